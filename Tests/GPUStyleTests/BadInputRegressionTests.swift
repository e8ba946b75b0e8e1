// BadInputRegressionTests.swift — regressions from fuzzing and the bad-input corpus: one-line messages, FIFOs, sniffing, options.
import XCTest
@testable import GPUStyle

final class BadInputRegressionTests: XCTestCase {
    /// Found by the HDF5 fuzz target: a group name holding a newline made a two-line message.
    func testInputErrorsStayOnOneLine() throws {
        let error = GPUStyleError(.weights, "x.h5: group 'a\nb\r\tc\u{1B}[31m\u{2028}' is corrupt")
        XCTAssertEqual(error.message, "x.h5: group 'a\\nb\\r\\tc\\u{1B}[31m\\u{2028}' is corrupt")
        XCTAssertEqual(GPUStyleError(.image, "plain text, ünïcödé").message, "plain text, ünïcödé")
        XCTAssertEqual(GPUStyleError(.opencl, "build failed; build log:\nline 1").message, "build failed; build log:\nline 1",
                       "multi-line details stay where they are wanted (OpenCL build logs)")
        // Through a reader: a tensor name with a JSON-escaped newline and an unknown dtype.
        let header = Array(#"{"conv1\n_1":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        let file = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + [0, 0, 0, 0]
        XCTAssertThrowsError(try readSafetensors(file, path: "named.safetensors")) { error in
            let message = (error as? GPUStyleError)?.message ?? "\(error)"
            XCTAssertFalse(message.contains("\n"), message)
            XCTAssertTrue(message.contains(#"'conv1\n_1': unknown dtype 'Q7'"#), message)
        }
    }

    /// Bytes that are not UTF-8 are not "text" (a lone 0xFF, the first byte of a JPEG, was called text).
    func testOnlyValidUTF8CountsAsText() {
        XCTAssertEqual(SniffedContent.sniff([0xFF]), .unknown("FF"))
        XCTAssertEqual(SniffedContent.sniff([0x63, 0x61, 0x66, 0xE9, 0x0A]), .unknown("63 61 66 E9 0A"), "Latin-1")
        XCTAssertEqual(SniffedContent.sniff(Array("café\n".utf8)), .text)
        // A 512-byte window may cut a multi-byte character when the file goes on.
        let long = Array(String(repeating: "a", count: 511).utf8) + Array("é and more".utf8)
        XCTAssertEqual(SniffedContent.sniff(long), .text)
    }

    /// A safetensors file whose header length runs past its end is recognised, so the reader can say so.
    func testTruncatedSafetensorsHeaderIsReportedAsSuch() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cut.safetensors"
        let bytes = withUnsafeBytes(of: UInt64(5000).littleEndian, Array.init) + Array(#"{"a": {"dtype"#.utf8)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        XCTAssertEqual(try WeightReaders.sniff(path: path), .safetensors)
        assertWeightsError(try WeightReaders.read(path: path), path, "header length 5000 runs past the end of the 21-byte file")
        _ = FileManager.default.createFile(atPath: folder + "/empty.pth", contents: Data())
        assertWeightsError(try WeightReaders.read(path: folder + "/empty.pth"), "empty.pth: the file is empty (0 bytes)")
    }

    /// Content the sniffer cannot place is read as its name suggests, so the message says what is wrong with it; a
    /// failing reader chosen by content says when the name disagrees. Content still decides which reader runs.
    func testTheFileNameExplainsUnrecognisedContent() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func file(_ name: String, _ bytes: [UInt8]) -> String {
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(bytes))
            return folder + "/" + name
        }
        assertWeightsError(try WeightReaders.read(path: file("cut.safetensors", [8, 0, 0, 0])),
                           "shorter than the 8-byte header length", "as its name says; its first bytes match no supported format")
        assertWeightsError(try WeightReaders.read(path: file("cut.h5", [8, 0, 0, 0])), "not an HDF5 file")
        assertWeightsError(try WeightReaders.read(path: file("cut.weights", [8, 0, 0, 0])), "unrecognised weight file (4 bytes)")
        assertWeightsError(try WeightReaders.read(path: file("text.safetensors", Array("\n\u{2}ab".utf8))),
                           "read as Caffe .caffemodel, as its first bytes say, though its name says safetensors")
    }

    /// Opening a FIFO used to wait for a writer forever. A writer thread unblocks a regression after 3 s,
    /// so this test fails instead of hanging.
    func testFIFOsAreRefusedWithoutWaiting() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, read) in [("image.png", { (path: String) in _ = try ImageIO.read(path: path) }),
                             ("model.safetensors", { (path: String) in _ = try WeightReaders.read(path: path) })] {
            let path = folder + "/" + name
            XCTAssertEqual(mkfifo(path, 0o600), 0)
            let watchdog = Thread {
                Thread.sleep(forTimeInterval: 3)
                let fd = open(path, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
            watchdog.start()
            let started = Date()
            XCTAssertThrowsError(try read(path)) { error in
                XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 2, "\(name): opening the FIFO waited")
        }
    }

    /// A convolution missing in the middle of a Caffe-named file is named (it was "holds only 12 … up to conv5_2").
    func testMissingMiddleConvolutionIsNamed() {
        var convs = referenceConvs(.vgg16, count: 13, random: false)
        convs.remove(at: 5)  // conv3_2
        let file = makeWeightFile(convs, naming: .caffe, path: "gap.safetensors")
        assertWeightsError(try ModelAssembler.assemble(file, name: "m"), "gap.safetensors",
                           "VGG16's conv3_2 is missing (the file holds 12 of its 13 convolutions)")
        let gapAndShort = makeWeightFile([convs[0], convs[1], convs[3]], naming: .caffe, path: "short.safetensors")
        assertWeightsError(try ModelAssembler.assemble(gapAndShort, name: "m"),
                           "VGG16's conv2_1, conv3_1, conv3_2 and 7 more are missing (the file holds 3 of its 13")
        let short = makeWeightFile(Array(convs.prefix(4)), naming: .caffe, path: "short.safetensors")
        assertWeightsError(try ModelAssembler.assemble(short, name: "m"), "only 4 of VGG16's 13")
    }

    /// A 2000×3 image resized to 64×1 failed deep in the network with a message naming neither file nor option.
    func testImageTooThinForTheNetworkIsNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (thin, square) = (folder + "/thin.png", folder + "/square.png")
        for (path, width, height) in [(thin, 2000, 3), (square, 32, 32)] {
            let png = try Fixture.png([UInt16](repeating: 90, count: width * height * 3), width: width, height: height, color: .rgb, bitDepth: 8)
            _ = FileManager.default.createFile(atPath: path, contents: Data(png))
        }
        let model = Model.random(.vgg16, upTo: "conv1_1")  // the check comes before any weight is used
        for (content, style, expected) in [(thin, square, "--content-image \(thin): resized to 64×1 px, too small to reach relu5_1 (which needs at least 16 px on each side)"),
                                           (square, thin, "--style-image \(thin): resized to 64×1 px, too small to reach relu5_1")] {
            var options = StylizeOptions()
            options.contentImage = content
            options.styleImages = [style]
            options.imageSize = 64
            options.outputImage = folder + "/out.png"
            options.contentLayers = ["relu4_2"]
            options.styleLayers = ["relu1_1", "relu5_1"]
            let job = try StylizeJob(options: options, backend: CPUBackend(threads: 1), model: model)
            XCTAssertThrowsError(try job.run()) { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: options.outputImage))
        }
    }

    func testOptionsThatWereCheckedTooLate() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = Model.random(.vgg16, upTo: "conv1_1")
        let content = folder + "/content.png"
        _ = FileManager.default.createFile(atPath: content, contents: Data([1]))
        func options(_ change: (inout StylizeOptions) -> Void) -> StylizeOptions {
            var options = StylizeOptions()
            options.contentImage = content
            options.styleImages = [content]
            options.outputImage = folder + "/out.png"
            change(&options)
            return options
        }
        func assertUsage(_ change: (inout StylizeOptions) -> Void, _ fragments: String..., line: UInt = #line) {
            XCTAssertThrowsError(try options(change).validate(for: model), line: line) { error in
                let error = error as? GPUStyleError
                XCTAssertEqual(error?.kind, .usage, line: line)
                for fragment in fragments {
                    XCTAssertTrue(error?.message.contains(fragment) == true, "'\(fragment)' not in \(String(describing: error))", line: line)
                }
            }
        }
        XCTAssertNoThrow(try options { $0.reportPath = folder + "/report.json" }.validate(for: model))
        assertUsage({ $0.maxPixels = 0 }, "--max-pixels must be at least 1 (got 0)")
        assertUsage({ $0.jpegQuality = 0 }, "--jpeg-quality must be 1…100 (got 0)")
        assertUsage({ $0.jpegQuality = 101 }, "--jpeg-quality must be 1…100 (got 101)")
        assertUsage({ $0.reportPath = folder + "/missing/report.json" }, "--report", "does not exist")
        assertUsage({ $0.reportPath = folder + "/out.png" }, "--report", "same file as --output-image")
        assertUsage({ $0.reportPath = content }, "--report", "same file as --content-image")
        assertUsage({ $0.plotPath = content }, "--plot", "same file as --content-image")
        assertUsage({ $0.plotPath = folder + "/out.png" }, "--plot", "same file as --output-image")
        assertUsage({ $0.plotPath = folder + "/missing/loss.svg" }, "--plot", "does not exist")
        assertUsage({ $0.plotPath = folder + "/loss.pdf" }, "--plot", "use a .svg or .png name")
        assertUsage({ $0.outputSize = (64, 64) }, "--output-size is for texture synthesis")
        assertUsage({ $0.initImage = content }, "--init-image starts from an image, but --init is random")
        assertUsage({ $0.scaleIterations = [10, 5] }, "--scale-iterations", "add --scales")
        assertUsage({ $0.saveScales = true }, "--save-scales", "add --scales")
        assertUsage({ ($0.styleLayers, $0.styleLayerWeights) = (["relu1_1"], [1, 2]) }, "--style-layer-weights has 2 values for 1 style layer (relu1_1)")
        assertUsage({ ($0.styleLayers, $0.styleLayerWeights) = (["relu1_1"], [0]) }, "--style-layer-weights must be ≥ 0 with at least one above 0")
        assertUsage({ ($0.styleLayers, $0.styleLayerWeights) = (["relu1_1"], [.nan]) }, "--style-layer-weights must be ≥ 0")
        for derived in ["out_2.png", "out_128x96.png"] {
            let path = folder + "/" + derived
            _ = FileManager.default.createFile(atPath: path, contents: Data([1]))
            assertUsage({ $0.styleImages = [path] }, "--style-image", derived, "would be overwritten")
        }
        for unrelated in ["out_a.png", "out_2.jpg", "out_2x.png", "out_.png"] {  // not names the run derives
            let path = folder + "/" + unrelated
            _ = FileManager.default.createFile(atPath: path, contents: Data([1]))
            XCTAssertNoThrow(try options { $0.styleImages = [path] }.validate(for: model), unrelated)
        }
        assertUsage({ $0.outputImage = folder + "/out.png"; try? FileManager.default.createDirectory(atPath: $0.outputImage, withIntermediateDirectories: true) },
                    "--output-image", "is a folder")
        assertUsage({ $0.outputImage = content + "/out.png" }, "--output-image", "content.png is not a folder")
        if FileManager.default.fileExists(atPath: "/proc/self") {  // a folder no one can create files in, even root
            assertUsage({ $0.outputImage = "/proc/out.png" }, "--output-image /proc/out.png: the folder /proc is not writable")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "the writability probe leaves nothing behind")
    }
}
