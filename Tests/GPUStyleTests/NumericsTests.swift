// NumericsTests.swift — non-finite losses: steps are rejected and shrunk, persistent failure is an error, never a NaN image.
import XCTest
@testable import GPUStyle

final class NumericsTests: XCTestCase {
    let backend = CPUBackend()

    func render(optimizer: OptimizerKind, learningRate: Float, styleWeight: Float = 100) throws -> RenderResult {
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu2_1")
        var settings = RenderSettings(weights: LossWeights(content: 5, style: styleWeight, tv: 0, contentLayers: ["relu2_1"],
                                                           styleLayers: ["relu1_1", "relu2_1"]), iterations: 6)
        settings.optimizer = optimizer
        settings.learningRate = learningRate
        let image = RGBImage(width: 10, height: 9, pixels: randomValues(270, seed: 1, in: 0...1))
        return try StyleTransfer(network: network, settings: settings)
            .render(content: image, width: 10, height: 9, styles: [image], blendWeights: [1])
    }

    func testOverflowingStepIsShrunkAndTheRunRecovers() throws {
        // Adam moves every pixel by ~lr: 1e12 overflows the Gram matrices; a few 10× shrinks make it finite.
        let result = try render(optimizer: .adam, learningRate: 1e12)
        XCTAssertGreaterThan(result.recoveries, 0, "the first step must have overflowed")
        XCTAssertTrue(result.history.allSatisfy { $0.losses.isFinite })
        XCTAssertTrue(result.image.pixels.allSatisfy(\.isFinite))
    }

    func testPersistentOverflowIsANumericsError() {
        XCTAssertThrowsError(try render(optimizer: .adam, learningRate: 1e36)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .numerics)
            XCTAssertTrue("\(error)".contains("non-finite"), "\(error)")
        }
    }

    func testNonFiniteStartingLossIsAnError() {
        XCTAssertThrowsError(try render(optimizer: .lbfgs, learningRate: 1, styleWeight: 1e38)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .numerics)
        }
    }

    func testLBFGSRecoversFromAnOverflowingStep() throws {
        let result = try render(optimizer: .lbfgs, learningRate: 1e12)
        XCTAssertGreaterThan(result.recoveries, 0)
        XCTAssertTrue(result.image.pixels.allSatisfy(\.isFinite))
    }
}
