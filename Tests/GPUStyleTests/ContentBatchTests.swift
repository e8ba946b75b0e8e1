// ContentBatchTests.swift — several content images in one call: their output names, the mistakes refused up front, and how failures are handled.
import XCTest
@testable import GPUStyle

final class ContentBatchTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = try temporaryFolder()
        for name in ["photos", "out"] { try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true) }
        for name in ["photos/b.jpg", "photos/a.png", "photos/paint.png", "photos/start.png", "photos/notes.txt"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([1])))
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    private func base(output: String, report: String? = nil, plot: String? = nil) -> StylizeOptions {
        var options = StylizeOptions()
        (options.outputImage, options.reportPath, options.plotPath) = (output, report, plot)
        (options.styleImages, options.initImage) = (["\(folder)/photos/paint.png"], "\(folder)/photos/start.png")
        return options
    }

    private func assertUsageError(_ body: @autoclosure () throws -> ContentBatch, _ expected: String, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage, line: line)
            XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
        }
    }

    func testAFolderGivesOneJobPerImageNamedAfterIt() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/photos/a_styled.png", contents: Data([1])))  // an earlier result
        let batch = try ContentBatch(base: base(output: "\(folder)/photos/{name}_styled.png", report: "\(folder)/out/", plot: "\(folder)/out/{name}.svg"),
                                     contentImages: ["\(folder)/photos"])
        XCTAssertEqual(batch.jobs.map(\.contentImage), ["\(folder)/photos/a.png", "\(folder)/photos/b.jpg"],
                       "the folder's images in name order, without the style and init images it holds or an output's name")
        XCTAssertEqual(batch.jobs.map(\.outputImage), ["\(folder)/photos/a_styled.png", "\(folder)/photos/b_styled.png"])
        XCTAssertEqual(batch.jobs.map(\.reportPath), ["\(folder)/out/a.json", "\(folder)/out/b.json"], "a folder stands for FOLDER/{name}.json")
        XCTAssertEqual(batch.jobs.map(\.plotPath), ["\(folder)/out/a.svg", "\(folder)/out/b.svg"])
        XCTAssertEqual(batch.jobs.map(\.styleImages), [["\(folder)/photos/paint.png"], ["\(folder)/photos/paint.png"]])
        XCTAssertEqual(batch.count, 2)

        let one = try ContentBatch(base: base(output: "\(folder)/out"), contentImages: ["\(folder)/photos/b.jpg"])
        XCTAssertEqual(one.jobs.map(\.outputImage), ["\(folder)/out/{name}.png".replacingOccurrences(of: "{name}", with: "b")],
                       "one content image into a folder takes its name too")
        try FileManager.default.createDirectory(atPath: "\(folder)/out/odd.png", withIntermediateDirectories: true)
        let oddFolder = try ContentBatch(base: base(output: "\(folder)/out/odd.png"), contentImages: ["\(folder)/photos/b.jpg"])
        XCTAssertEqual(oddFolder.jobs.map(\.outputImage), ["\(folder)/out/odd.png"], "a folder named like a file stays a file name (refused later)")
        let plain = try ContentBatch(base: base(output: "x.jpg"), contentImages: ["\(folder)/photos/b.jpg"])
        XCTAssertEqual(plain.jobs.map(\.outputImage), ["x.jpg"], "one content image with a file name: as before")
    }

    func testAStyleFolderLeavesOutTheContentImagesAndOutputs() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/photos/a_styled.png", contents: Data([1])))  // an earlier result
        var options = base(output: "\(folder)/photos/{name}_styled.png")
        options.styleImages = ["\(folder)/photos"]
        options.initImage = nil
        let batch = try ContentBatch(base: options, contentImages: ["\(folder)/photos/a.png", "\(folder)/photos/b.jpg"])
        XCTAssertEqual(batch.jobs[0].styleImages, ["\(folder)/photos/paint.png", "\(folder)/photos/start.png"],
                       "not a.png, b.jpg (content) or a_styled.png (an output's name)")
    }

    func testMistakesAreRefusedBeforeAnyRendering() throws {
        let photos = "\(folder)/photos"
        assertUsageError(try ContentBatch(base: base(output: "out.png"), contentImages: [photos]),
                         "--output-image out.png would be written for each of 2 content images; give a folder (results/) or a name with {name}, such as results/{name}_styled.png")
        assertUsageError(try ContentBatch(base: base(output: "o/{name}.png", report: "r.json"), contentImages: [photos]),
                         "--report r.json would be written for each of 2 content images")
        assertUsageError(try ContentBatch(base: base(output: "o/{name}.png"), contentImages: ["\(photos)/a.png", "\(photos)/../photos/a.png"]),
                         "--content-image \(photos)/../photos/a.png is given twice")
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/out/a.jpg", contents: Data([1])))
        assertUsageError(try ContentBatch(base: base(output: "o/{name}.png"), contentImages: ["\(photos)/a.png", "\(folder)/out/a.jpg"]),
                         "--content-image \(photos)/a.png and \(folder)/out/a.jpg are both named 'a', so both results would be o/a.png")
        assertUsageError(try ContentBatch(base: base(output: "o/{name}/x.png"), contentImages: [photos]), "{name} may only be in the file name")
        assertUsageError(try ContentBatch(base: base(output: "o/{name}{name}.png"), contentImages: [photos]), "give {name} once")
        assertUsageError(try ContentBatch(base: base(output: "\(photos)/{name}_styled.png"), contentImages: ["\(photos)/a.png", "\(photos)/a_styled.png"]),
                         "--content-image \(photos)/a_styled.png has the name of an output of this call")
        assertUsageError(try ContentBatch(base: base(output: "{name}.png"), contentImages: []), "texture synthesis has no content image")
        let empty = "\(folder)/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        assertUsageError(try ContentBatch(base: base(output: "o/"), contentImages: [empty]), "--content-image \(empty) is a folder without .png, .jpg or .jpeg images")
    }

    func testResultsMayNotOverwriteEachOtherOrThePhotographs() throws {
        let photos = "\(folder)/photos"
        assertUsageError(try ContentBatch(base: base(output: "o/{name}.png"), contentImages: ["\(photos)/b_100.png", "\(photos)/b.jpg"]),
                         "--content-image \(photos)/b_100.png: its result o/b_100.png has the name of an in-between image of \(photos)/b.jpg's result")
        assertUsageError(try ContentBatch(base: base(output: "\(photos)/"), contentImages: [photos]),
                         "--output-image \(photos)/{name}.png puts each result in the content folder under the photograph's own name")
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(photos)/a.styled.jpg", contents: Data([1])))  // an earlier result
        let batch = try ContentBatch(base: base(output: "\(photos)/{name}.styled.jpg"), contentImages: [photos], saveEveryInBatch: 0)
        XCTAssertEqual(batch.jobs.map(\.contentImage), ["\(photos)/a.png", "\(photos)/b.jpg"])
        XCTAssertEqual(batch.notes, ["left out 1 image of the content folder named like this call's outputs (a.styled.jpg): earlier results, not photographs"])
        XCTAssertEqual(batch.jobs.map(\.saveEvery), [0, 0], "no intermediates in a batch unless asked")
        XCTAssertEqual(try ContentBatch(base: base(output: "x.png"), contentImages: ["\(photos)/a.png"], saveEveryInBatch: 0).jobs[0].saveEvery, 100)
    }

    /// `--init previous` (frames): each image starts from the result before it in name order, when that is there.
    func testFramesStartFromThePreviousResult() throws {
        for name in ["f1.png", "f2.png", "f3.png", "f4.png"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/out/\(name)", contents: Data([1])))
        }
        var options = base(output: "\(folder)/res/")
        options.initImage = nil
        try FileManager.default.createDirectory(atPath: "\(folder)/res", withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/res/f1.png", contents: Data([1])))  // done by an earlier call
        let frames = ["f1.png", "f2.png", "f3.png", "f4.png"].map { "\(folder)/out/\($0)" }
        let batch = try ContentBatch(base: options, contentImages: frames, skipExisting: true, initFromPrevious: true)
        var starts: [String?] = []
        XCTAssertThrowsError(try batch.renderAll { index, job in
            starts.append(job.initImage)
            XCTAssertEqual(job.initialization, job.initImage == nil ? .random : .image)
            if index == 0 { throw GPUStyleError(.image, "f2 is broken") }  // no result: f3 starts as set
            XCTAssertTrue(FileManager.default.createFile(atPath: job.outputImage, contents: Data([1])))
            return index
        }) { XCTAssertTrue("\($0)".contains("1 of 3 content images failed"), "\($0)") }
        XCTAssertEqual(starts, ["\(folder)/res/f1.png", nil, "\(folder)/res/f3.png"], "f2 from f1's earlier result, f3 as set (f2 failed), f4 from f3's")
        assertUsageError(try ContentBatch(base: options, contentImages: [frames[0]], initFromPrevious: true), "give several content images")

        // Without --skip-existing a result left by an earlier run is not a start: f1 fails now, so f2 starts as set.
        starts = []
        let again = try ContentBatch(base: options, contentImages: frames, initFromPrevious: true)
        XCTAssertThrowsError(try again.renderAll { index, job in
            starts.append(job.initImage)
            if index == 0 { throw GPUStyleError(.image, "f1 is broken") }
            return index
        })
        XCTAssertEqual(starts, [nil, nil, "\(folder)/res/f2.png", "\(folder)/res/f3.png"])
        var scaled = options
        scaled.scales = .count(2)
        XCTAssertNoThrow(try ContentBatch(base: scaled, contentImages: frames, initFromPrevious: true), "later frames render the finest scale only")
    }

    /// --temporal-weight and --init previous-warped tie each frame after the first to the one before it (its content
    /// image and result), where that one has a result; neither works without several frames at one scale.
    func testFramesAreTiedToThePreviousFrame() throws {
        let frames = ["f1.png", "f2.png", "f3.png"].map { "\(folder)/out/\($0)" }
        for frame in frames { XCTAssertTrue(FileManager.default.createFile(atPath: frame, contents: Data([1]))) }
        try FileManager.default.createDirectory(atPath: "\(folder)/res", withIntermediateDirectories: true)
        var options = base(output: "\(folder)/res/")
        options.initImage = nil
        options.temporalWeight = 200
        var ties: [StylizeOptions.PreviousFrame?] = [], starts: [String?] = []
        let tied = try ContentBatch(base: options, contentImages: frames)
        XCTAssertThrowsError(try tied.renderAll { index, job in
            (ties, starts) = (ties + [job.previousFrame], starts + [job.initImage])
            if index == 1 { throw GPUStyleError(.image, "f2 is broken") }
            return index
        })
        XCTAssertEqual(ties, [nil, .init(contentImage: frames[0], result: "\(folder)/res/f1.png", warpsInit: false), nil],
                       "f2 tied to f1; f3 not (f2 failed)")
        XCTAssertEqual(tied.planned(2).previousFrame?.result, "\(folder)/res/f2.png", "--plan-only plans f3 as tied")
        XCTAssertNil(tied.planned(0).previousFrame)
        XCTAssertTrue(tied.start(of: 2, available: [0]).untiedReason?.contains("f2 before it has no result") ?? false)
        XCTAssertNil(tied.start(of: 0, available: []).untiedReason, "the first frame follows none")
        XCTAssertEqual(starts, [nil, nil, nil], "a temporal loss alone leaves the start as it is")

        options.temporalWeight = 0
        ties = []; starts = []
        let warped = try ContentBatch(base: options, contentImages: frames, warpsPrevious: true)
        _ = try warped.renderAll { index, job in
            (ties, starts) = (ties + [job.previousFrame], starts + [job.initImage])
            return index
        }
        XCTAssertEqual(ties.map { $0?.warpsInit }, [nil, true, true])
        XCTAssertEqual(ties.map { $0?.contentImage }, [nil, frames[0], frames[1]])
        XCTAssertEqual(starts, [nil, "\(folder)/res/f1.png", "\(folder)/res/f2.png"], "the warped start is the previous result, carried along the flow")

        options.temporalWeight = 1000
        assertUsageError(try ContentBatch(base: options, contentImages: [frames[0]]), "--temporal-weight ties each image to the result of the one before it")
        assertUsageError(try ContentBatch(base: base(output: "\(folder)/res/x.png"), contentImages: [], warpsPrevious: true), "texture synthesis has none")
        options.temporalWeight = 0
        let plain = try ContentBatch(base: options, contentImages: frames)
        XCTAssertFalse(plain.followsFrames, "no tie without a temporal weight or a warped start")
    }

    /// A claim is made once, refused to a second taker while its process lives, taken over when it is gone, and
    /// released; with --skip-existing a batch renders only the images no other process finished or holds.
    func testProcessesOnOneFolderShareItsImages() throws {
        let output = "\(folder)/out/a.png"
        let claim = try XCTUnwrap(OutputClaim.take(for: output))
        XCTAssertEqual(claim.path, "\(folder)/out/.a.png.claim")
        let owner = try String(contentsOfFile: claim.path, encoding: .utf8)
        XCTAssertEqual(owner, "\(ProcessInfo.processInfo.hostName) \(getpid())\n")
        XCTAssertNil(OutputClaim.take(for: output), "held by a live process")
        claim.release()
        XCTAssertFalse(FileManager.default.fileExists(atPath: claim.path))
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        try "\(ProcessInfo.processInfo.hostName) \(ended.processIdentifier)\n".write(toFile: claim.path, atomically: false, encoding: .utf8)
        XCTAssertNotNil(OutputClaim.take(for: output), "its process is gone: taken over (and released on deinit)")
        try "another-host 1\n".write(toFile: claim.path, atomically: false, encoding: .utf8)
        XCTAssertNil(OutputClaim.take(for: output), "another host's claim is kept")
        try FileManager.default.removeItem(atPath: claim.path)

        let photos = ["a.png", "b.jpg", "start.png"].map { "\(folder)/photos/\($0)" }
        var options = base(output: "\(folder)/out/", report: "\(folder)/out/")
        options.initImage = nil
        let batch = try ContentBatch(base: options, contentImages: photos, skipExisting: true)
        try "\(ProcessInfo.processInfo.hostName) \(getpid())\n".write(toFile: "\(folder)/out/.start.png.claim", atomically: false, encoding: .utf8)
        var rendered: [Int] = [], taken: [(Int, String)] = []
        _ = try batch.renderAll({ index, job in
            rendered.append(index)
            XCTAssertTrue(FileManager.default.fileExists(atPath: OutputClaim.path(for: job.outputImage)), "claimed while it renders")
            for path in ["\(folder)/out/b.png", "\(folder)/out/b.json"] {  // another process finishes b meanwhile
                XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([1])))
            }
            return index
        }, onTaken: { index, _, reason in taken.append((index, reason)) })
        XCTAssertEqual(rendered, [0])
        XCTAssertEqual(taken.map(\.0), [1, 2])
        XCTAssertTrue(taken[0].1.hasPrefix("done meanwhile") && taken[1].1.hasPrefix("being rendered"), "\(taken)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/out/.a.png.claim"), "released after rendering")
    }

    func testABrokenSharedImageIsOneError() throws {
        let batch = try ContentBatch(base: base(output: "\(folder)/out/"), contentImages: ["\(folder)/photos"])
        XCTAssertThrowsError(try batch.checkSharedImages(styles: true)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .image)
            XCTAssertTrue("\(error)".contains("paint.png"), "\(error)")
        }
    }

    /// A black mask is one error before the first content image renders (its style would paint nowhere in any of them).
    func testABlackMaskIsOneError() throws {
        var options = base(output: "\(folder)/out/")
        (options.styleImages, options.initImage, options.styleMasks) = (["\(folder)/style.png"], nil, ["\(folder)/black.png"])
        try ImageIO.write(RGBImage(width: 8, height: 8, red: 0.2, green: 0.5, blue: 0.9), to: options.styleImages[0])
        try ImageIO.write(RGBImage(width: 8, height: 8, red: 0, green: 0, blue: 0), to: options.styleMasks[0])
        let batch = try ContentBatch(base: options, contentImages: ["\(folder)/photos"])
        XCTAssertGreaterThan(batch.jobs.count, 1)
        XCTAssertThrowsError(try batch.checkSharedImages(styles: true)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("--style-masks \(self.folder)/black.png is black everywhere"), "\(error)")
        }
        XCTAssertNoThrow(try batch.checkSharedImages(styles: false), "no style loss: the masks are not read")
        // A mask over the style image at other proportions than the style image's: one error too.
        (options.styleMasks, options.styleImageMasks) = ([], ["\(folder)/wide.png"])
        try ImageIO.write(RGBImage(width: 16, height: 8, red: 1, green: 1, blue: 1), to: options.styleImageMasks[0])
        XCTAssertThrowsError(try ContentBatch(base: options, contentImages: ["\(folder)/photos"]).checkSharedImages(styles: true)) {
            XCTAssertTrue("\($0)".contains("--style-image-masks \(self.folder)/wide.png is 16×8, but its style image \(self.folder)/style.png is 8×8"), "\($0)")
        }
    }

    func testSkipExistingLeavesOutFinishedImages() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/out/a.png", contents: Data([1])))
        let batch = try ContentBatch(base: base(output: "\(folder)/out/"), contentImages: ["\(folder)/photos"], skipExisting: true)
        XCTAssertEqual(batch.jobs.map(\.contentImage), ["\(folder)/photos/b.jpg"])
        XCTAssertEqual(batch.skipped.map(\.outputImage), ["\(folder)/out/a.png"])
        XCTAssertEqual(batch.count, 2)
        XCTAssertEqual(try ContentBatch(base: base(output: "\(folder)/out/"), contentImages: ["\(folder)/photos"]).jobs.count, 2, "not without the flag")
    }

    func testAFailedImageIsReportedAndTheBatchGoesOn() throws {
        let batch = try ContentBatch(base: base(output: "\(folder)/out/"), contentImages: ["\(folder)/photos/a.png", "\(folder)/photos/b.jpg", "\(folder)/photos/paint.png"])
        var failed: [String] = [], finished: [Int] = []
        XCTAssertThrowsError(try batch.renderAll({ index, job in
            if index == 0 { throw GPUStyleError(.image, "\(job.contentImage!): not an image") }
            if index == 2 { throw GPUStyleError(.numerics, "the loss is NaN") }
            return index
        }, onFailure: { _, job, _ in failed.append(job.contentImage!) }, finished: { finished = [$0, $1] })) { error in
            XCTAssertEqual(finished, [1, 2], "the batch's end (batch_done) comes before the summary error")
            XCTAssertEqual((error as? GPUStyleError)?.kind, .image, "the first failure's kind (its exit code)")
            XCTAssertEqual((error as? GPUStyleError)?.message,
                           "2 of 3 content images failed (\(folder)/photos/a.png: not an image; \(folder)/photos/paint.png: the loss is NaN); the other result was written")
        }
        XCTAssertEqual(failed, ["\(folder)/photos/a.png", "\(folder)/photos/paint.png"])

        var rendered: [Int] = []
        finished = []
        XCTAssertThrowsError(try batch.renderAll({ index, _ in
            if index == 1 { throw GPUStyleError(.opencl, "clEnqueueNDRangeKernel failed") }
            rendered.append(index)
            return index
        }, finished: { finished = [$0, $1] })) { XCTAssertEqual(($0 as? GPUStyleError)?.kind, .opencl, "a device error stops the batch") }
        XCTAssertEqual(rendered, [0])
        XCTAssertEqual(finished, [], "a stopped batch did not finish")

        rendered = []
        XCTAssertThrowsError(try batch.renderAll { index, _ in
            if index == 1 { throw GPUStyleError(.interrupted, "interrupted at iteration 3 of 10") }
            rendered.append(index)
            return index
        }) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .interrupted)
            XCTAssertEqual((error as? GPUStyleError)?.message,
                           "interrupted at iteration 3 of 10; 1 of 3 content images were done, 1 not started (add --skip-existing to the same command to go on)")
        }
        XCTAssertEqual(rendered, [0], "nothing after the interrupt")
        rendered = []
        XCTAssertThrowsError(try batch.renderAll({ index, _ in rendered.append(index); return index }, isInterrupted: { rendered.count == 2 })) { error in
            XCTAssertEqual((error as? GPUStyleError)?.message,
                           "interrupted between two content images; 2 of 3 content images were done, 1 not started (add --skip-existing to the same command to go on)")
        }
        XCTAssertEqual(rendered, [0, 1], "an interrupt between two images starts no third")

        let single = try ContentBatch(base: base(output: "x.png"), contentImages: ["\(folder)/photos/a.png"])
        XCTAssertThrowsError(try single.renderAll { _, _ -> Int in throw GPUStyleError(.image, "broken") }) {
            XCTAssertEqual(($0 as? GPUStyleError)?.message, "broken", "one image's error as it is")
        }
    }

    /// The jobs of a batch share the network on the device; a job renders the same after another as on its own.
    func testJobsShareTheNetworkAndRenderAsAlone() throws {
        for (name, red) in [("c1.png", 0.2), ("c2.png", 0.7), ("s.png", 0.9)] as [(String, Float)] {
            var image = RGBImage(width: 32, height: 24, red: red, green: 0.4, blue: 0.3)
            for i in stride(from: 0, to: image.pixels.count, by: 7) { image.pixels[i] = Float(i % 13) / 13 }
            try ImageIO.write(image, to: "\(folder)/\(name)")
        }
        var options = StylizeOptions()
        (options.styleImages, options.outputImage) = (["\(folder)/s.png"], "\(folder)/out/")
        (options.imageSize, options.iterations, options.margin, options.saveEvery, options.seed) = (32, 3, 0, 0, 7)
        (options.contentLayers, options.styleLayers) = (["relu2_1"], ["relu1_1", "relu2_1"])
        let model = Model.random(.vgg16, seed: 3, upTo: "conv2_1")
        let backend = CPUBackend(convolution: .im2col)
        let batch = try ContentBatch(base: options, contentImages: ["\(folder)/c1.png", "\(folder)/c2.png"])
        let networks = PreparedNetworkCache()
        let reports = try batch.renderAll { _, job in try StylizeJob(options: job, backend: backend, model: model, networks: networks).run() }
        XCTAssertEqual(networks.prepared, 1, "one network for both jobs")
        let alone = try StylizeJob(options: batch.jobs[1], backend: CPUBackend(convolution: .im2col), model: model).run()
        XCTAssertEqual(reports[1].history.map(\.total), alone.history.map(\.total))
        XCTAssertNotEqual(reports[0].history.last!.content, reports[1].history.last!.content)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/out/c1.png") && FileManager.default.fileExists(atPath: "\(folder)/out/c2.png"))
    }
}
