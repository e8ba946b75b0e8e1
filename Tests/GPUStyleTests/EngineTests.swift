// EngineTests.swift — the whole objective's gradient (network backward + losses) against finite differences, and small renderings.
import XCTest
@testable import GPUStyle

final class EngineTests: XCTestCase {
    let backend = CPUBackend()

    func image(_ width: Int, _ height: Int, seed: UInt64) -> RGBImage {
        RGBImage(width: width, height: height, pixels: randomValues(3 * width * height, seed: seed, in: 0...1))
    }

    /// Checks evaluate(x)'s gradient against central differences of the total loss. Inputs are in Caffe scale
    /// (±128), so h = 0.1 is small; loss weights keep the total near 1–10 so FP32 rounding of the loss stays
    /// far below the differences.
    func checkObjectiveGradient(weights: LossWeights, pooling: PoolingMode, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_2")
        let deepest = try StyleTransfer.deepestLayer(of: weights.contentLayers + weights.styleLayers, in: .vgg16)
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: deepest)
        network.poolingMode = pooling
        let (w, h) = (7, 6)
        let prep = model.preprocessing
        let objective = try StyleObjective(network: network, weights: weights, height: h, width: w,
                                           content: prep.apply(image(w, h, seed: 1)),
                                           styles: [(prep.apply(image(9, 8, seed: 2)), 8, 9), (prep.apply(image(w, h, seed: 3)), h, w)],
                                           blendWeights: [0.3, 0.7])
        try assertObjectiveGradient(objective, on: backend, at: prep.apply(image(w, h, seed: 4)), samples: 40,
                                    "objective gradient \(weights) \(pooling)", file: file, line: line)
    }

    func testObjectiveGradientWithPoolingAndFusedLayers() throws {
        try checkObjectiveGradient(weights: LossWeights(content: 5e-3, style: 0.1, tv: 1e-4, contentLayers: ["relu2_1"],
                                                        styleLayers: ["relu1_1", "relu1_2", "relu2_2"]), pooling: .max)
    }

    func testObjectiveGradientWithPreReLUAndPoolLayers() throws {
        try checkObjectiveGradient(weights: LossWeights(content: 1e-3, style: 1e-2, tv: 0, contentLayers: ["conv2_1"],
                                                        styleLayers: ["conv1_2", "pool1"]), pooling: .avg)
    }

    /// `--style-layer-weights`: each layer's loss scaled by its weight (0: left out), the gradient still exact.
    func testStyleLayerWeightsScaleEachLayer() throws {
        var weights = LossWeights(content: 5e-3, style: 0.1, tv: 0, contentLayers: ["relu2_1"], styleLayers: ["relu1_1", "relu1_2", "relu2_2"],
                                  styleLayerWeights: [2, 0, 0.5])
        try checkObjectiveGradient(weights: weights, pooling: .max)
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_2")
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu2_2")
        let prep = model.preprocessing
        func losses(_ weights: LossWeights) throws -> LossBreakdown {
            let objective = try StyleObjective(network: network, weights: weights, height: 6, width: 7, content: prep.apply(image(7, 6, seed: 1)),
                                               styles: [(prep.apply(image(7, 6, seed: 2)), 6, 7)], blendWeights: [1])
            let x = try backend.makeBuffer(count: 3 * 42), grad = try backend.makeBuffer(count: 3 * 42)
            try backend.upload(prep.apply(image(7, 6, seed: 4)), to: x)
            return try objective.evaluate(x, gradient: grad)
        }
        let weighted = try losses(weights)
        weights.styleLayerWeights = nil
        let plain = try losses(weights)
        XCTAssertEqual(weighted.styleLayers[0], 2 * plain.styleLayers[0], accuracy: 1e-5 * plain.styleLayers[0])
        XCTAssertEqual(weighted.styleLayers[1], 0, "a weight of 0 leaves the layer out")
        XCTAssertEqual(weighted.styleLayers[2], 0.5 * plain.styleLayers[2], accuracy: 1e-5 * plain.styleLayers[2])
        XCTAssertGreaterThan(plain.styleLayers[1], 0)
        XCTAssertEqual(weighted.content, plain.content, accuracy: 1e-6 * plain.content)
    }

    func testNormalizedGradientsHaveUnitL1PerTerm() throws {
        // One content loss only: the image gradient is (content weight) · J ĝ with ‖ĝ‖₁ = 1 at the layer.
        let model = Model.random(.vgg16, seed: 5, upTo: "conv1_1")
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "conv1_1")
        let weights = LossWeights(content: 7, style: 0, tv: 0, contentLayers: ["conv1_1"], styleLayers: [], normalizeGradients: true)
        let prep = model.preprocessing
        let objective = try StyleObjective(network: network, weights: weights, height: 5, width: 5,
                                           content: prep.apply(image(5, 5, seed: 1)), styles: [], blendWeights: [])
        let x = try backend.makeBuffer(count: 75), grad = try backend.makeBuffer(count: 75)
        try backend.upload(prep.apply(image(5, 5, seed: 2)), to: x)
        let plain = try StyleObjective(network: network, weights: LossWeights(content: 7, style: 0, tv: 0, contentLayers: ["conv1_1"], styleLayers: []),
                                       height: 5, width: 5, content: prep.apply(image(5, 5, seed: 1)), styles: [], blendWeights: [])
        let plainGrad = try backend.makeBuffer(count: 75)
        let lossA = try objective.evaluate(x, gradient: grad), lossB = try plain.evaluate(x, gradient: plainGrad)
        XCTAssertEqual(lossA.content, lossB.content, accuracy: 1e-6 * lossB.content, "normalisation leaves the loss alone")
        // The layer gradient 2·7(F−P)/n has L1 norm s; normalised it is scaled by 1/(7·s)·7 — the image gradients are parallel.
        let a = try backend.download(grad), b = try backend.download(plainGrad)
        let ratio = a[10] / b[10]
        for i in a.indices { XCTAssertEqual(a[i], b[i] * ratio, accuracy: 1e-4 * a.map { Swift.abs($0) }.max()!) }
        XCTAssertNotEqual(ratio, 1, accuracy: 1e-3)
    }

    func testRenderingReducesLossAndReportsEveryIteration() throws {
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
        let weights = LossWeights(content: 5, style: 100, tv: 1e-3, contentLayers: ["relu2_1"], styleLayers: ["relu1_1", "relu2_1"])
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu2_1")
        for optimizer in OptimizerKind.allCases {
            var settings = RenderSettings(weights: weights, iterations: 15)
            settings.optimizer = optimizer
            settings.seed = 3
            let transfer = StyleTransfer(network: network, settings: settings)
            var seen: [Int] = []
            let result = try transfer.render(content: image(12, 10, seed: 1), width: 12, height: 10,
                                             styles: [image(11, 11, seed: 2)], blendWeights: [1]) { status, _ in seen.append(status.iteration) }
            XCTAssertEqual(seen, Array(1...15))
            XCTAssertLessThan(result.history.last!.losses.total, 0.5 * result.history.first!.losses.total, "\(optimizer) reduces the loss")
            XCTAssertEqual(result.image.width, 12)
            XCTAssertTrue(result.image.pixels.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        }
    }

    func testStyleOnlyTextureSynthesisOptimisesWithoutAContentImage() throws {
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
        let weights = LossWeights(content: 0, style: 100, tv: 0, contentLayers: ["relu2_1"], styleLayers: ["relu1_1", "relu2_1"])
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu2_1")
        let result = try StyleTransfer(network: network, settings: RenderSettings(weights: weights, iterations: 20))
            .render(content: nil, width: 12, height: 10, styles: [image(11, 11, seed: 2)], blendWeights: [1])
        XCTAssertEqual(result.history.first!.losses.content, 0)
        XCTAssertLessThan(result.history.last!.losses.style, 0.5 * result.history.first!.losses.style,
                          "style-only runs start from white noise, not from a saddle")
    }

    func testUnknownLayerIsAUsageError() {
        XCTAssertThrowsError(try StyleTransfer.deepestLayer(of: ["relu9_9"], in: .vgg19)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("relu9_9"))
        }
    }
}

final class BackendFallbackTests: XCTestCase {
    func testOpenCLFailureRetriesOnFallbackOnly() throws {
        let primary = CPUBackend(), spare = CPUBackend()
        var warnings: [String] = [], calls: [ObjectIdentifier] = []
        let result = try runWithFallback(on: primary, fallback: { spare }, warn: { warnings.append($0) }) { backend -> Int in
            calls.append(ObjectIdentifier(backend))
            if backend === primary { throw GPUStyleError(.opencl, "clEnqueueNDRangeKernel(conv3x3): CL_OUT_OF_RESOURCES (-5)") }
            return 7
        }
        XCTAssertEqual(result, 7)
        XCTAssertEqual(calls, [ObjectIdentifier(primary), ObjectIdentifier(spare)])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("CL_OUT_OF_RESOURCES") && warnings[0].contains("CPU"))
    }

    func testWithoutFallbackOrForOtherErrorsTheErrorPropagates() {
        let backend = CPUBackend()
        XCTAssertThrowsError(try runWithFallback(on: backend, fallback: nil, warn: { _ in }) { _ in
            throw GPUStyleError(.opencl, "x")
        }) { XCTAssertEqual(($0 as? GPUStyleError)?.kind, .opencl) }
        var fellBack = false
        XCTAssertThrowsError(try runWithFallback(on: backend, fallback: { fellBack = true; return backend }, warn: { _ in }) { _ in
            throw GPUStyleError(.numerics, "x")
        }) { XCTAssertEqual(($0 as? GPUStyleError)?.kind, .numerics) }
        XCTAssertFalse(fellBack)
    }
}
