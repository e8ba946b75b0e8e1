// CoarseToFineTests.swift — `--scales`: every scale renders at its size, starting from the previous result upscaled.
import XCTest
@testable import GPUStyle

final class CoarseToFineTests: XCTestCase {
    // The CPU backend with im2col convolutions (the plain reference): these tests are about storage, and im2col is
    // much faster than Winograd in debug builds on tiny images.
    /// Smooth colour waves (like a photograph's low frequencies), so a coarse result upscaled is a good start.
    func smooth(_ width: Int, _ height: Int, frequency: Double) -> RGBImage {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let u = Double(x) / Double(width), v = Double(y) / Double(height)
                    pixels[(c * height + y) * width + x] = Float(0.5 + 0.4 * sin(frequency * 6.28 * (u + Double(c) * 0.3) + 4 * v))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("c2f-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Options with a smooth content image and a busier square style image written in `dir`, output `dir/out.png`.
    func smoothPair(in dir: URL, content size: (Int, Int), styleSide: Int) throws -> StylizeOptions {
        let content = dir.appendingPathComponent("content.png").path, style = dir.appendingPathComponent("style.png").path
        try ImageIO.write(smooth(size.0, size.1, frequency: 1), to: content)
        try ImageIO.write(smooth(styleSide, styleSide, frequency: 3), to: style)
        var options = StylizeOptions()
        (options.contentImage, options.styleImages) = (content, [style])
        options.outputImage = dir.appendingPathComponent("out.png").path
        return options
    }

    func testEachScaleStartsFromThePreviousResult() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = try smoothPair(in: dir, content: (60, 40), styleSide: 30)
        (options.imageSize, options.seed, options.saveEvery) = (64, 3, 21)
        options.margin = 0  // 16-px margins would make most of a 32×21 canvas margin
        (options.contentWeight, options.styleWeight, options.tvWeight) = (5, 100, 0)
        (options.contentLayers, options.styleLayers) = (["relu2_1"], ["relu1_1", "relu2_1"])
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")

        options.scales = .count(2)
        options.scaleIterations = [40, 3]
        options.saveScales = true
        var seen: [(scale: Int, width: Int, iteration: Int, total: Double)] = []
        var laterWork: [Double] = []
        let job = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model)
        var notes: [String] = []
        job.onNote = { notes.append($0) }
        let report = try job.run {
            seen.append(($0.scale, $0.width, $0.status.iteration, $0.status.losses.total))
            laterWork.append($0.laterScalesWork)
        }
        XCTAssertEqual(laterWork, Array(repeating: 12, count: 40) + [0, 0, 0], "3 iterations at 64 px are 12 of 32 px (4× the pixels)")
        // The 30-px style image is enlarged to 32 px (1.07×), then to 64 px (2.13×, past the note's 2×).
        XCTAssertEqual(report.scales.count, 2)
        for (scale, expected) in zip(report.scales, [32.0 / 30, 64.0 / 30]) { XCTAssertEqual(scale.styleEnlargement ?? 0, expected, accuracy: 1e-9) }
        XCTAssertEqual(notes.count, 1, "one note, before rendering, for the one style image enlarged past 2×")
        XCTAssertTrue(notes.first?.contains("style.png (30×30) is enlarged 2.1× to 64 px") == true, notes.first ?? "no note")
        XCTAssertTrue(notes.first?.contains("--style-scale 0.47") == true, "the --style-scale that keeps its own size: 30/64")
        XCTAssertEqual(report.scales.map(\.width), [32, 64])
        XCTAssertEqual(report.scales.map(\.height), [21, 43])
        XCTAssertEqual(report.scales.map(\.iterations), [40, 3])
        XCTAssertEqual([report.width, report.height, report.iterations], [64, 43, 43])
        XCTAssertEqual(report.precision, "fp32")
        XCTAssertEqual(seen.map(\.scale), Array(repeating: 0, count: 40) + [1, 1, 1])
        XCTAssertEqual(report.history.map(\.iteration), Array(1...43), "the report has every iteration of every scale")
        XCTAssertEqual(report.history.map(\.total), seen.map(\.total))
        XCTAssertEqual(report.scales.map(\.firstIteration), [1, 41])
        XCTAssertEqual(report.final.total, seen.last!.total)
        let written = try ImageIO.read(path: options.outputImage)
        XCTAssertEqual([written.width, written.height], [64, 43], "rendered on a 64×44 canvas, cropped to the asked size")
        let intermediate = try ImageIO.read(path: options.intermediatePath(iteration: 21))
        XCTAssertEqual([intermediate.width, intermediate.height], [32, 21])
        XCTAssertTrue(FileManager.default.fileExists(atPath: options.intermediatePath(iteration: 21)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: options.intermediatePath(iteration: 42)), "intermediates count on across scales")
        let coarse = try ImageIO.read(path: options.scalePath(width: 32, height: 21))
        XCTAssertEqual([coarse.width, coarse.height], [32, 21], "--save-scales writes the coarser scale's result")
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.scalePath(width: 64, height: 43)), "the last scale is the output")

        // The same 64-px scale from random noise starts far worse than from the upscaled 32-px result.
        (options.scales, options.scaleIterations, options.saveScales) = (nil, nil, false)
        options.iterations = 1
        var fresh = 0.0
        _ = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run { fresh = $0.status.losses.total }
        // Measured on this tiny problem: 0.32–0.63 of the fresh start over seeds 3–6.
        XCTAssertLessThan(seen[40].total, 0.75 * fresh, "scale 2 starts from scale 1 result")
    }

    func testDefaultTVWeightFallsWithTheSquareOfTheSizeAboveItsReference() {
        XCTAssertEqual(StyleDefaults.hedVGG16.tvWeight(forLongestSide: 256), 3e-6, "not raised below the size it was tuned at")
        XCTAssertEqual(StyleDefaults.hedVGG16.tvWeight(forLongestSide: 512), 3e-6)
        XCTAssertEqual(StyleDefaults.hedVGG16.tvWeight(forLongestSide: 1024), 7.5e-7, accuracy: 1e-12)
        XCTAssertEqual(StyleDefaults.hedVGG16.tvWeight(forLongestSide: 2048), 1.875e-7, accuracy: 1e-12)
        XCTAssertEqual(StyleDefaults.hedVGG16.tvWeight(forLongestSide: 640).description, "1.92e-06", "reported as the decimal it is, not 1.9200002e-06")
        XCTAssertEqual(StyleDefaults.neuralStyle.tvWeight(forLongestSide: 2048), 1e-3, "neural-style's TV weight stays fixed, as there")
    }

    func testEachScaleRendersWithItsOwnDefaultTVWeightAndAGivenOneAsIs() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = try smoothPair(in: dir, content: (48, 32), styleSide: 32)
        var model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
        model.defaults = StyleDefaults(contentWeight: 5, styleWeight: 100, tvWeight: 1e-2, contentLayers: ["relu2_1"],
                                       styleLayers: ["relu1_1"], iterations: 2, tvReferenceSide: 16)
        (options.imageSize, options.seed, options.saveEvery, options.margin) = (32, 3, 0, 0)
        options.scales = .count(2)
        options.scaleIterations = [2, 2]
        func run(_ options: StylizeOptions) throws -> (RunReport, firstTV: [Double]) {
            var firstTV: [Double] = []
            let report = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run {
                if $0.status.iteration == 1 { firstTV.append($0.status.losses.tv) }
            }
            return (report, firstTV)
        }
        let (scaled, _) = try run(options)
        XCTAssertEqual(scaled.scales.map(\.tvWeight), [1e-2, 2.5e-3], "16 px: the reference weight; 32 px: (16/32)² of it")
        options.tvWeight = 2.5e-3
        let (given, _) = try run(options)
        XCTAssertEqual(given.scales.map(\.tvWeight), [2.5e-3, 2.5e-3], "a given --tv-weight is used at every scale as is")
        // The objective uses the reported weight: one 32-px render from the same random start, with the default and
        // with its scaled value given, starts at the same TV loss.
        (options.scales, options.scaleIterations, options.iterations) = (nil, nil, 1)
        let (_, explicitTV) = try run(options)
        options.tvWeight = nil
        let (_, defaultTV) = try run(options)
        XCTAssertGreaterThan(defaultTV[0], 0)
        XCTAssertEqual(defaultTV[0], explicitTV[0], accuracy: 1e-6 * explicitTV[0])
        let json = try JSONSerialization.jsonObject(with: scaled.json()) as! [String: Any]
        let scaleRows = json["scales"] as! [[String: Any]]
        XCTAssertEqual((scaleRows[1]["tv_weight"] as! NSNumber).doubleValue, 2.5e-3, accuracy: 1e-9)
    }

    /// `--plan-only`: the plans `plans()` predicts are the ones `run()` then follows, scale by scale, and planning
    /// writes nothing.
    func testPlansAreTheOnesTheRunFollows() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = try smoothPair(in: dir, content: (60, 40), styleSide: 30)
        (options.imageSize, options.seed, options.saveEvery, options.margin) = (64, 3, 0, 8)
        (options.scales, options.scaleIterations) = (.count(2), [2, 1])
        options.maxMemoryBytes = 512 << 20
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
        (options.contentLayers, options.styleLayers) = (["relu2_1"], ["relu1_1", "relu2_1"])
        let planned = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).plans()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["content.png", "style.png"])
        XCTAssertEqual(planned.map { [$0.width, $0.height, $0.canvasWidth, $0.canvasHeight] }, [[32, 21, 48, 38], [64, 43, 80, 60]])
        let job = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model)
        var followed: [(ScaleStep, MemoryPlan)] = []
        job.onPlan = { followed.append(($0, $1)) }
        _ = try job.run()
        XCTAssertEqual(followed.map(\.0), planned.map(\.step))
        XCTAssertEqual(followed.map(\.1), planned.map(\.plan))
    }

    /// An --init-image of another shape than the result is stretched to it: one note says so; one of the same shape
    /// (to 2%) gets none.
    func testInitImageOfAnotherShapeGetsANote() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = try smoothPair(in: dir, content: (60, 40), styleSide: 64)
        (options.imageSize, options.initialization) = (64, .image)
        (options.contentLayers, options.styleLayers) = (["relu2_1"], ["relu1_1"])
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
        func notes(initImage size: (Int, Int)) throws -> [String] {
            options.initImage = dir.appendingPathComponent("init.png").path
            try ImageIO.write(smooth(size.0, size.1, frequency: 2), to: options.initImage!)
            let job = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model)
            var notes: [String] = []
            job.onNote = { notes.append($0) }
            _ = try job.plans()
            return notes
        }
        let square = try notes(initImage: (40, 40))
        XCTAssertEqual(square.count, 1, "\(square)")
        XCTAssertTrue(square.first?.contains("init.png (40×40, aspect 1.00) is stretched to the result's shape (64×43, aspect 1.49)") == true,
                      square.first ?? "no note")
        XCTAssertEqual(try notes(initImage: (90, 61)), [], "3:2 within 2% of 64×43's shape")
    }

    /// A frame that starts from the previous one's result (`--init previous`) gets it as rendered, not its file
    /// (recoloured by --original-colors, rounded to 8 bits); a result only on disk (an earlier call's) is read.
    func testNextFrameStartsFromThePreviousResultAsRendered() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = try smoothPair(in: dir, content: (60, 40), styleSide: 64)
        (options.imageSize, options.seed, options.saveEvery, options.originalColors) = (48, 3, 0, true)
        (options.contentLayers, options.styleLayers) = (["relu2_1"], ["relu1_1", "relu2_1"])
        options.scaleIterations = nil
        options.iterations = 3
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1"), backend = CPUBackend(convolution: .im2col)
        let kept = LastResult()
        _ = try StylizeJob(options: options, backend: backend, model: model, lastResult: kept).run()
        let rendered = try XCTUnwrap(kept.image(writtenTo: options.outputImage))
        let written = try ImageIO.read(path: options.outputImage)
        XCTAssertEqual([rendered.width, rendered.height], [written.width, written.height])
        XCTAssertGreaterThan(zip(rendered.pixels, written.pixels).map { abs($0 - $1) }.max()!, 2.0 / 255, "the file is recoloured")
        var next = options
        (next.initImage, next.initialization, next.initImageIsPreviousResult) = (options.outputImage, .image, true)
        next.outputImage = dir.appendingPathComponent("next.png").path
        func firstLoss(_ carry: LastResult) throws -> Double {
            try StylizeJob(options: next, backend: backend, model: model, lastResult: carry).run().history[0].total
        }
        let fromRendered = try firstLoss(kept), fromFile = try firstLoss(LastResult())
        XCTAssertNotEqual(fromRendered, fromFile)
        let seeded = LastResult()
        seeded.keep(rendered, writtenTo: options.outputImage)
        XCTAssertEqual(try firstLoss(seeded), fromRendered, "the kept image is the start")
    }

    /// A budget too small names the size asked for, and the canvas with its margins that the plan is for.
    func testMemoryErrorNamesTheAskedSizeAndItsCanvas() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = try smoothPair(in: dir, content: (60, 40), styleSide: 64)
        (options.imageSize, options.maxMemoryBytes) = (64, 1 << 20)
        (options.contentLayers, options.styleLayers) = (["relu2_1"], ["relu1_1"])
        let job = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: Model.random(.vgg16, seed: 5, upTo: "conv2_1"))
        XCTAssertThrowsError(try job.plans()) { error in
            XCTAssertTrue("\(error)".contains("64×43 (rendered as 96×76 with its margins) needs about"), "\(error)")
        }
    }

    func testNoEnlargementNoteAtOrBelowTwiceTheStyleImagesSize() {
        let (wide, tall) = (smooth(32, 20, frequency: 1), smooth(20, 32, frequency: 1))
        func notes(styleSide: Int) -> [String] {
            StylizeJob.styleEnlargementNotes(paths: ["a.png", "b.png"], images: [wide, tall], styleSide: styleSide, resultSide: 64, styleScale: 1)
        }
        XCTAssertEqual(notes(styleSide: 64), [], "exactly 2× gets no note")
        XCTAssertEqual(notes(styleSide: 65).count, 2)
        XCTAssertNil(StylizeJob.enlargement(of: [wide, tall], toLongestSide: 32), "a style image only kept at its size is not enlarged")
        XCTAssertEqual(StylizeJob.enlargement(of: [wide, smooth(20, 24, frequency: 1)], toLongestSide: 48) ?? 0, 2, accuracy: 1e-12, "the most enlarged")
    }
}
