// CPUAlgorithmParityTests.swift — the whole Gatys objective and its image gradient through VGG16 (to relu4_1) with Winograd and with im2col.
import XCTest
@testable import GPUStyle

final class CPUAlgorithmParityTests: XCTestCase {
    func testObjectiveAndGradientAgreeBetweenConvolutionAlgorithms() throws {
        let (width, height) = (44, 36)
        let model = Model.random(.vgg16, seed: 3, upTo: "conv4_1")
        let weights = LossWeights(content: 5, style: 100, tv: 1e-3, contentLayers: ["relu3_3"],
                                  styleLayers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1"])
        let prep = model.preprocessing
        func image(_ seed: UInt64) -> [Float] {
            prep.apply(RGBImage(width: width, height: height, pixels: randomValues(3 * width * height, seed: seed, in: 0...1)))
        }
        var results: [(loss: Double, gradient: [Float])] = []
        for algorithm in [CPUConvolutionAlgorithm.im2col, .winograd] {
            let backend = CPUBackend(threads: 2, convolution: algorithm)
            let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu4_1")
            let objective = try StyleObjective(network: network, weights: weights, height: height, width: width, content: image(1),
                                               styles: [(image(2), height, width)], blendWeights: [1])
            let x = try backend.makeBuffer(count: 3 * width * height), g = try backend.makeBuffer(count: 3 * width * height)
            try backend.upload(image(3), to: x)
            let loss = try objective.evaluate(x, gradient: g).total
            results.append((loss, try backend.download(g)))
        }
        let (plain, fast) = (results[0], results[1])
        XCTAssertEqual(fast.loss, plain.loss, accuracy: 1e-5 * plain.loss, "total loss")  // 4e-8 measured
        // Relative L2 distance of the image gradients (8 convolutions forward and back, max pooling argmaxes): 4e-6 measured.
        let difference = zip(fast.gradient, plain.gradient).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = plain.gradient.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertGreaterThan(norm, 0)
        XCTAssertLessThan((difference / norm).squareRoot(), 1e-4, "gradient")
    }
}
