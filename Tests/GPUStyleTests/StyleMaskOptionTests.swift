// StyleMaskOptionTests.swift — `--style-masks` and `--style-image-masks` as options: counts, files and proportions checked, a masked render.
import XCTest
@testable import GPUStyle

final class StyleMaskOptionTests: XCTestCase {
    let model = Model.random(.vgg16, seed: 5, upTo: "conv1_1")

    func folderWithImages(maskSize: (Int, Int)) throws -> (String, StylizeOptions) {
        let folder = try temporaryFolder()
        var options = StylizeOptions()
        (options.contentImage, options.styleImages, options.outputImage) = (folder + "/c.png", [folder + "/s.png", folder + "/t.png"], folder + "/out.png")
        options.styleMasks = [folder + "/left.png", folder + "/right.png"]
        try ImageIO.write(RGBImage(width: 48, height: 32, pixels: randomValues(3 * 48 * 32, seed: 1, in: 0...1)), to: options.contentImage!)
        for (index, path) in options.styleImages.enumerated() {
            try ImageIO.write(RGBImage(width: 40, height: 40, pixels: randomValues(3 * 1600, seed: UInt64(2 + index), in: 0...1)), to: path)
        }
        let (mw, mh) = maskSize
        let left = (0..<(mw * mh)).map { $0 % mw < mw / 2 ? Float(1) : 0 }
        try ImageIO.write(RGBImage(width: mw, height: mh, pixels: left + left + left), to: options.styleMasks[0])
        let right = left.map { 1 - $0 }
        try ImageIO.write(RGBImage(width: mw, height: mh, pixels: right + right + right), to: options.styleMasks[1])
        (options.imageSize, options.iterations, options.margin, options.saveEvery) = (32, 2, 4, 0)
        (options.contentLayers, options.styleLayers) = (["relu1_1"], ["relu1_1"])
        return (folder, options)
    }

    func testOneMaskPerStyleImageWithAStyleWeight() throws {
        let (folder, options) = try folderWithImages(maskSize: (96, 64))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var wrong = options
        wrong.styleMasks.removeLast()
        XCTAssertThrowsError(try wrong.validate(for: model)) { XCTAssertTrue("\($0)".contains("--style-masks has 1 mask for 2 style images"), "\($0)") }
        wrong = options
        wrong.styleWeight = 0
        XCTAssertThrowsError(try wrong.validate(for: model)) { XCTAssertTrue("\($0)".contains("--style-weight is 0"), "\($0)") }
        wrong = options
        wrong.styleMasks[1] = folder + "/missing.png"
        XCTAssertThrowsError(try wrong.validate(for: model)) { XCTAssertTrue("\($0)".contains("--style-masks \(folder)/missing.png"), "\($0)") }
        wrong = options
        wrong.outputImage = options.styleMasks[0]
        XCTAssertThrowsError(try wrong.validate(for: model)) { XCTAssertTrue("\($0)".contains("same file as --style-masks"), "\($0)") }
    }

    /// A mask of twice the content's size renders (each style in its half, the report names the masks); one of other
    /// proportions, or black, is refused naming the file.
    func testMasksAreCheckedAgainstTheContentAndRender() throws {
        let (folder, options) = try folderWithImages(maskSize: (96, 64))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let report = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run()
        XCTAssertEqual(report.styleMasks?.map { ($0 as NSString).lastPathComponent }, ["left.png", "right.png"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: options.outputImage))

        try ImageIO.write(RGBImage(width: 64, height: 64, red: 1, green: 1, blue: 1), to: folder + "/square.png")
        var wrong = options
        wrong.styleMasks[0] = folder + "/square.png"
        assertRunRefused(wrong, "--style-masks \(folder)/square.png is 64×64, but the content image \(folder)/c.png is 48×32")
        try ImageIO.write(RGBImage(width: 48, height: 32, red: 0, green: 0, blue: 0), to: folder + "/black.png")
        wrong.styleMasks[0] = folder + "/black.png"
        assertRunRefused(wrong, "black everywhere")
        // White paint on a fully transparent layer: transparent counts as black in a mask, not as white.
        let clear = try Fixture.png([UInt16](repeating: 0, count: 48 * 32).flatMap { _ in [255, 255, 255, 0] }, width: 48, height: 32,
                                    color: .rgba, bitDepth: 8)
        try Data(clear).write(to: URL(fileURLWithPath: folder + "/clear.png"))
        XCTAssertEqual(try StylizeJob.readMask(folder + "/clear.png", maxPixels: 10_000).maskWeights, [Float](repeating: 0, count: 48 * 32))
        wrong.styleMasks[0] = folder + "/clear.png"
        assertRunRefused(wrong, "black everywhere")
    }

    /// Rendering `options` fails with a message holding `expected`.
    func assertRunRefused(_ options: StylizeOptions, _ expected: String, line: UInt = #line) {
        XCTAssertThrowsError(try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run(), line: line) {
            XCTAssertTrue("\($0)".contains(expected), "\($0)", line: line)
        }
    }

    /// A content folder that also holds the masks renders its photographs only.
    func testAContentFolderLeavesTheMasksOut() throws {
        let (folder, options) = try folderWithImages(maskSize: (48, 32))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/results", withIntermediateDirectories: true)
        var base = options
        base.outputImage = folder + "/results/{name}.png"
        base.styleImages = [folder + "/s.png", folder + "/t.png"]
        let batch = try ContentBatch(base: base, contentImages: [folder])
        XCTAssertEqual(batch.jobs.map { ($0.contentImage! as NSString).lastPathComponent }, ["c.png"])
    }

    /// Masks over the style images: one per style image, with a style weight; each of its style image's proportions
    /// and not black (named by file); with masks over the content too, the run renders and the report names both.
    func testStyleImageMasksAreCheckedAgainstTheirStyleImages() throws {
        let (folder, options) = try folderWithImages(maskSize: (48, 32))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var sampled = options
        sampled.styleImageMasks = [folder + "/top.png", folder + "/all.png"]
        let top = (0..<(80 * 80)).map { $0 / 80 < 40 ? Float(1) : 0 }
        try ImageIO.write(RGBImage(width: 80, height: 80, pixels: top + top + top), to: sampled.styleImageMasks[0])
        try ImageIO.write(RGBImage(width: 20, height: 20, red: 1, green: 1, blue: 1), to: sampled.styleImageMasks[1])
        var wrong = sampled
        wrong.styleImageMasks.removeLast()
        XCTAssertThrowsError(try wrong.validate(for: model)) { XCTAssertTrue("\($0)".contains("--style-image-masks has 1 mask for 2 style images"), "\($0)") }
        wrong = sampled
        (wrong.styleWeight, wrong.styleMasks) = (0, [])
        XCTAssertThrowsError(try wrong.validate(for: model)) { XCTAssertTrue("\($0)".contains("--style-weight is 0: drop --style-image-masks"), "\($0)") }
        wrong = sampled
        wrong.outputImage = sampled.styleImageMasks[0]
        XCTAssertThrowsError(try wrong.validate(for: model)) { XCTAssertTrue("\($0)".contains("same file as --style-image-masks"), "\($0)") }

        let report = try StylizeJob(options: sampled, backend: CPUBackend(convolution: .im2col), model: model).run()
        XCTAssertEqual(report.styleImageMasks?.map { ($0 as NSString).lastPathComponent }, ["top.png", "all.png"])
        XCTAssertEqual(report.styleMasks?.count, 2)

        wrong.outputImage = sampled.outputImage
        wrong.styleImageMasks[1] = options.styleMasks[0]  // 48×32, over a 40×40 style image
        assertRunRefused(wrong, "--style-image-masks \(folder)/left.png is 48×32, but its style image \(folder)/t.png is 40×40: draw each mask over its style image")
        try ImageIO.write(RGBImage(width: 40, height: 40, red: 0, green: 0, blue: 0), to: folder + "/black.png")
        wrong.styleImageMasks[1] = folder + "/black.png"
        assertRunRefused(wrong, "--style-image-masks \(folder)/black.png is black everywhere, so no style would be taken")
    }
}
