// TemporalLossTests.swift — the temporal term of video frames: its value, its gradient, its pull, and its memory.
import XCTest
@testable import GPUStyle

final class TemporalLossTests: XCTestCase {
    let backend = CPUBackend()
    let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
    let weights = LossWeights(content: 5, style: 100, tv: 1e-3, contentLayers: ["relu2_1"], styleLayers: ["relu1_1", "relu2_1"])

    func image(_ width: Int, _ height: Int, seed: UInt64) -> RGBImage {
        RGBImage(width: width, height: height, pixels: randomValues(3 * width * height, seed: seed, in: 0...1))
    }

    /// The whole objective with a temporal term (weights 0 over some pixels) against finite differences.
    func testObjectiveGradientWithATemporalTerm() throws {
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu2_1")
        let (w, h) = (7, 6), prep = model.preprocessing
        let small = LossWeights(content: 5e-3, style: 0.1, tv: 1e-4, contentLayers: ["relu2_1"], styleLayers: ["relu1_1", "relu2_1"])
        let elementWeights = randomValues(3 * w * h, seed: 9, in: 0...1).enumerated().map { $0.offset % 4 == 0 ? 0 : $0.element }
        let objective = try StyleObjective(network: network, weights: small, height: h, width: w, layout: .compact,
                                           content: NetworkInput(height: h, width: w, values: prep.apply(image(w, h, seed: 1))),
                                           styles: [NetworkInput(height: 8, width: 9, values: prep.apply(image(9, 8, seed: 2)))], blendWeights: [1],
                                           temporal: TemporalInput(target: prep.apply(image(w, h, seed: 3)), elementWeights: elementWeights, weight: 2e-3))
        try assertObjectiveGradient(objective, on: backend, at: prep.apply(image(w, h, seed: 4)), samples: 40, "objective gradient with a temporal term")
    }

    /// At the start the temporal loss is the weight × the mean over pixels and channels of c·(difference in 8-bit levels)²,
    /// whatever the preprocessing; the rendering then moves the trusted pixels toward the target, and not the others as much.
    func testTheTemporalTermPullsTrustedPixelsTowardTheTarget() throws {
        let (w, h) = (12, 10), plane = 12 * 10
        let content = image(w, h, seed: 1), target = image(w, h, seed: 7), style = image(11, 11, seed: 2)
        let trusted = (0..<plane).map { Float($0 % w < 6 ? 1 : 0) }  // the left half
        func distances(_ result: RGBImage) -> (left: Double, right: Double) {
            var (left, right) = (0.0, 0.0)
            for c in 0..<3 {
                for p in 0..<plane {
                    let d = Double(abs(result.pixels[c * plane + p] - target.pixels[c * plane + p]))
                    if p % w < 6 { left += d } else { right += d }
                }
            }
            return (left / Double(3 * plane / 2), right / Double(3 * plane / 2))
        }
        var torchvision = model
        torchvision.preprocessing = .torchvision
        for model in [model, torchvision] {
            let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu2_1")
            var settings = RenderSettings(weights: weights, iterations: 30)
            settings.initialization = .image
            let transfer = StyleTransfer(network: network, settings: settings)
            let free = try transfer.render(content: content, width: w, height: h, styles: [style], blendWeights: [1])
            let tied = try transfer.render(content: content, width: w, height: h, styles: [style], blendWeights: [1],
                                           temporal: TemporalTarget(image: target, pixelWeights: trusted, weight: 10))
            XCTAssertNil(free.history[0].losses.temporal, "no temporal term, no temporal loss")
            var expected = 0.0
            for c in 0..<3 {
                for p in 0..<plane { expected += Double(trusted[p]) * pow(255 * Double(content.pixels[c * plane + p] - target.pixels[c * plane + p]), 2) }
            }
            expected *= 10 / Double(3 * plane)
            XCTAssertEqual(tied.history[0].losses.temporal!, expected, accuracy: 1e-4 * expected, "\(model.preprocessing): in 8-bit levels")
            let (a, b) = (distances(free.image), distances(tied.image))
            XCTAssertLessThan(b.left, 0.25 * a.left, "\(model.preprocessing): trusted pixels go to the target (\(b.left) against \(a.left) untied)")
            XCTAssertGreaterThan(b.right, 0.5 * a.right, "\(model.preprocessing): untrusted pixels are left to the other terms")
        }
    }

    /// The planner counts the temporal term's two image-sized buffers (its target and weights) and its loss slot.
    func testThePlanCountsTheTemporalBuffers() throws {
        let network = try PreparedNetwork(backend: CPUBackend(convolution: .im2col), model: model, deepestLayer: "relu2_1")
        let transfer = StyleTransfer(network: network, settings: RenderSettings(weights: weights, iterations: 2))
        let plain = try transfer.memoryPlan(width: 40, height: 32, hasContent: true, styleSizes: [(20, 20)])
        let tied = try transfer.memoryPlan(width: 40, height: 32, hasContent: true, styleSizes: [(20, 20)], temporal: true)
        XCTAssertEqual(tied.plannedPeakBytes - plain.plannedPeakBytes, 2 * 3 * 40 * 32 * 4 + 4)
    }

    /// A frame tied to the previous one: the flow between the two photographs is measured and reported, the run's
    /// history has the temporal loss, and the start is the previous result carried along the flow; a frame that does
    /// not follow the previous one (a cut) is not tied, with a note.
    func testAJobTiesItsFrameToThePreviousResult() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("temporal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples").standardized
        let photo = try ImageIO.read(path: examples.appendingPathComponent("chelsea.png").path)
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        // The second frame sees the scene 4 px left and 2 px up of the first: its flow into the first is (4, 2).
        try ImageIO.write(photo.cropped(x: 100, y: 80, width: 96, height: 64), to: path("f1.png"))
        try ImageIO.write(photo.cropped(x: 104, y: 82, width: 96, height: 64), to: path("f2.png"))
        try ImageIO.write(try ImageIO.read(path: examples.appendingPathComponent("shipwreck.jpg").path).resized(width: 96, height: 64), to: path("cut.png"))
        var options = StylizeOptions()
        (options.contentImage, options.styleImages, options.outputImage) = (path("f1.png"), [examples.appendingPathComponent("the_scream.jpg").path], path("r1.png"))
        (options.imageSize, options.iterations, options.saveEvery, options.seed) = (96, 3, 0, 1)
        (options.contentLayers, options.styleLayers, options.initialization) = (["relu2_1"], ["relu1_1", "relu2_1"], .image)
        let backend = CPUBackend(convolution: .im2col), kept = LastResult()
        let first = try StylizeJob(options: options, backend: backend, model: model, lastResult: kept).run()
        XCTAssertNil(first.temporal)
        XCTAssertNil(first.history[0].temporal)

        var next = options
        (next.contentImage, next.outputImage, next.temporalWeight) = (path("f2.png"), path("r2.png"), 50)
        (next.initImage, next.initImageIsPreviousResult) = (path("r1.png"), true)
        next.previousFrame = .init(contentImage: path("f1.png"), result: path("r1.png"), warpsInit: true)
        let tied = try StylizeJob(options: next, backend: backend, model: model, lastResult: kept).run()
        let temporal = try XCTUnwrap(tied.temporal)
        XCTAssertEqual(temporal.meanMotionPixels, (16.0 + 4).squareRoot(), accuracy: 0.5, "the scene moved by (4, 2) px")
        XCTAssertGreaterThan(temporal.trustedFraction, 0.8)
        XCTAssertTrue(temporal.initWarped)
        XCTAssertFalse(temporal.cut)
        XCTAssertEqual(tied.temporalWeight, 50)
        XCTAssertTrue(tied.history.allSatisfy { $0.temporal != nil })
        XCTAssertLessThan(tied.history[0].temporal!, 1e-6 * tied.history[0].total, "the warped start is the target where trusted")
        let json = String(decoding: try tied.json(), as: UTF8.self)
        for key in ["\"temporal_weight\"", "\"trusted_fraction\"", "\"mean_motion_pixels\"", "\"init_warped\""] { XCTAssertTrue(json.contains(key), key) }

        // With --scales a frame that starts from the previous result renders the finest scale only; one tied by the
        // temporal loss alone renders every scale, the loss at the finest.
        var scaled = next
        (scaled.scales, scaled.scaleIterations, scaled.iterations, scaled.outputImage) = (.count(2), [2], nil, path("r2s.png"))
        let finest = try StylizeJob(options: scaled, backend: backend, model: model, lastResult: kept).run()
        XCTAssertEqual(finest.scales.map(\.width), [96])
        XCTAssertTrue(finest.history.allSatisfy { $0.temporal != nil })
        (scaled.initImage, scaled.initImageIsPreviousResult, scaled.initialization) = (nil, false, .image)
        scaled.previousFrame!.warpsInit = false
        let both = try StylizeJob(options: scaled, backend: backend, model: model, lastResult: kept).run()
        XCTAssertEqual(both.scales.map(\.width), [48, 96])
        XCTAssertEqual(both.history.map { $0.temporal != nil }, [false, false, true, true], "the temporal loss at the finest scale only")
        // --plan-only plans a later frame before the one before it is rendered: its result is not read.
        var planned = scaled
        (planned.initImage, planned.initImageIsPreviousResult, planned.previousFrame!.result) = (path("none.png"), true, path("none.png"))
        let plans = try StylizeJob(options: planned, backend: backend, model: model).plans()
        XCTAssertEqual(plans.map(\.width), [96], "the finest scale only, as it will render")

        var cut = next
        (cut.contentImage, cut.outputImage) = (path("cut.png"), path("r3.png"))
        let job = try StylizeJob(options: cut, backend: backend, model: model, lastResult: kept)
        var notes: [String] = []
        job.onNote = { notes.append($0) }
        let untied = try job.run()
        XCTAssertTrue(try XCTUnwrap(untied.temporal).cut)
        XCTAssertFalse(untied.temporal!.initWarped)
        XCTAssertTrue(untied.history.allSatisfy { $0.temporal == nil }, "a cut has no temporal loss")
        XCTAssertTrue(notes.contains { $0.contains("(a cut?)") }, "\(notes)")
        XCTAssertEqual(untied.history[0].content, 0, "a cut starts from its content image")
        XCTAssertNil(untied.initImage, "…which the report says")
        cut.previousFrame!.warpsInit = false  // --init previous: the previous result as it is would be another scene's
        XCTAssertEqual(try StylizeJob(options: cut, backend: backend, model: model, lastResult: kept).run().history[0].content, 0)
        // With --scales a cut renders every scale, as a first frame does.
        (cut.scales, cut.scaleIterations, cut.iterations, cut.outputImage) = (.count(2), [2], nil, path("r4.png"))
        let restarted = try StylizeJob(options: cut, backend: backend, model: model, lastResult: kept).run()
        XCTAssertEqual(restarted.scales.map(\.width), [48, 96])
        XCTAssertEqual(restarted.history[0].content, 0)
    }
}
