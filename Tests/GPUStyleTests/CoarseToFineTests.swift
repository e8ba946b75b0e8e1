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

    func testEachScaleStartsFromThePreviousResult() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("c2f-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let content = dir.appendingPathComponent("content.png").path, style = dir.appendingPathComponent("style.png").path
        try ImageIO.write(smooth(60, 40, frequency: 1), to: content)
        try ImageIO.write(smooth(30, 30, frequency: 3), to: style)
        var options = StylizeOptions()
        (options.contentImage, options.styleImages) = (content, [style])
        options.outputImage = dir.appendingPathComponent("out.png").path
        (options.imageSize, options.seed, options.saveEvery) = (64, 3, 21)
        options.margin = 0  // 16-px margins would make most of a 32×21 canvas margin
        (options.contentWeight, options.styleWeight, options.tvWeight) = (5, 100, 0)
        (options.contentLayers, options.styleLayers) = (["relu2_1"], ["relu1_1", "relu2_1"])
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")

        options.scales = .count(2)
        options.scaleIterations = [40, 3]
        options.saveScales = true
        var seen: [(scale: Int, width: Int, iteration: Int, total: Double)] = []
        let job = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model)
        var notes: [String] = []
        job.onNote = { notes.append($0) }
        let report = try job.run { seen.append(($0.scale, $0.width, $0.status.iteration, $0.status.losses.total)) }
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
        (options.scales, options.scaleIterations) = (nil, nil)
        options.iterations = 1
        var fresh = 0.0
        _ = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run { fresh = $0.status.losses.total }
        // Measured on this tiny problem: 0.32–0.63 of the fresh start over seeds 3–6.
        XCTAssertLessThan(seen[40].total, 0.75 * fresh, "scale 2 starts from scale 1 result")
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
