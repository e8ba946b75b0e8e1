// MemoryLayoutTests.swift — the memory plan changes where activations live, never the loss or the gradient: layouts, bands, pool.
import XCTest
@testable import GPUStyle

final class MemoryLayoutTests: XCTestCase {
    // The CPU backend with im2col convolutions (the plain reference): these tests are about storage, and im2col is
    // much faster than Winograd in debug builds on tiny images.
    /// Front layers (relu1_1, conv1_2, relu2_2, pool1) and back layers (relu3_1, conv3_1) in one objective.
    static let frontAndBack = LossWeights(content: 2e-3, style: 5e-2, tv: 1e-4, contentLayers: ["relu2_2", "relu3_1"],
                                          styleLayers: ["relu1_1", "relu2_1", "relu3_1"])
    static let preReLU = LossWeights(content: 1e-3, style: 1e-2, tv: 0, contentLayers: ["conv1_2"],
                                     styleLayers: ["pool1", "conv3_1"])
    static let layouts: [ActivationLayout] = [.compact, .banded(rows: 8), .banded(rows: 12), .banded(rows: 1000)]
    static let model = Model.random(.vgg16, seed: 5, upTo: "conv3_1")

    func image(_ width: Int, _ height: Int, seed: UInt64) -> [Float] {
        Self.model.preprocessing.apply(RGBImage(width: width, height: height, pixels: randomValues(3 * width * height, seed: seed, in: 0...1)))
    }

    /// One evaluation's losses and gradient on a tall 13×45 image (six bands of 8 rows) with a 11×30 style image.
    func evaluate(_ weights: LossWeights, layout: ActivationLayout, pooling: PoolingMode = .max,
                  backend: Backend = CPUBackend(convolution: .im2col)) throws -> (LossBreakdown, [Float], StyleObjective) {
        let network = try PreparedNetwork(backend: backend, model: Self.model, deepestLayer: "relu3_1")
        network.poolingMode = pooling
        let (w, h) = (13, 45)
        let objective = try StyleObjective(network: network, weights: weights, height: h, width: w, content: image(w, h, seed: 1),
                                           styles: [(image(11, 30, seed: 2), 30, 11), (image(w, h, seed: 3), h, w)],
                                           blendWeights: [0.4, 0.6], layout: layout)
        let x = try backend.makeBuffer(count: 3 * w * h), gradient = try backend.makeBuffer(count: 3 * w * h)
        try backend.upload(image(w, h, seed: 4), to: x)
        let losses = try objective.evaluate(x, gradient: gradient)
        return (losses, try backend.download(gradient), objective)
    }

    func assertSame(_ weights: LossWeights, pooling: PoolingMode = .max, file: StaticString = #filePath, line: UInt = #line) throws {
        let (refLoss, refGrad, _) = try evaluate(weights, layout: .keepAll, pooling: pooling)
        for layout in Self.layouts {
            let (loss, grad, objective) = try evaluate(weights, layout: layout, pooling: pooling)
            for (a, b) in zip(loss.contentLayers + loss.styleLayers + [loss.tv], refLoss.contentLayers + refLoss.styleLayers + [refLoss.tv]) {
                XCTAssertEqual(a, b, accuracy: 2e-5 * max(abs(b), 1e-9), "\(layout) loss", file: file, line: line)
            }
            assertClose(grad, refGrad, tolerance: 2e-5, "\(layout) gradient \(pooling)", file: file, line: line)
            XCTAssertEqual(objective.runner.pool.unplannedRequests, 0, "\(layout): the pool served every request from its plan", file: file, line: line)
        }
    }

    func testLayoutsGiveTheSameLossesAndGradient() throws {
        try assertSame(Self.frontAndBack)
        XCTAssertEqual(try evaluate(Self.frontAndBack, layout: .banded(rows: 8)).2.runner.bands.count, 6, "the test really runs bands")
    }

    func testLayoutsAgreeWithAveragePoolingAndPreReLULayers() throws {
        try assertSame(Self.preReLU, pooling: .avg)
        try assertSame(Self.preReLU, pooling: .max)
    }

    func testLayoutsAgreeWithNormalizedGradients() throws {
        var weights = Self.frontAndBack
        weights.normalizeGradients = true
        try assertSame(weights)
    }

    /// Bands and compact storage on OpenCL give the CPU reference's losses and gradient (FP32 sums in other orders: 1e-4).
    func testOpenCLLayoutsMatchCPU() throws {
        let gpu = try OpenCLTestDevice.backend()
        var weights = Self.frontAndBack
        for normalize in [false, true] {
            weights.normalizeGradients = normalize
            let (refLoss, refGrad, _) = try evaluate(weights, layout: .keepAll)
            for layout in [ActivationLayout.compact, .banded(rows: 8)] {
                let (loss, grad, _) = try evaluate(weights, layout: layout, backend: gpu)
                assertRelative(loss.total, refLoss.total, 1e-4, "OpenCL \(layout) loss")
                assertClose(grad, refGrad, tolerance: 1e-4, "OpenCL \(layout) gradient, normalized \(normalize)")
            }
        }
    }

    /// The planned runner's gradient against finite differences of the loss, with bands (the layouts agree, and one is right).
    func testBandedGradientMatchesFiniteDifferences() throws {
        let backend = CPUBackend(convolution: .im2col)
        let network = try PreparedNetwork(backend: backend, model: Self.model, deepestLayer: "relu3_1")
        let (w, h) = (5, 26)
        let objective = try StyleObjective(network: network, weights: Self.frontAndBack, height: h, width: w, content: image(w, h, seed: 1),
                                           styles: [(image(w, h, seed: 2), h, w)], blendWeights: [1], layout: .banded(rows: 8))
        XCTAssertEqual(objective.runner.bands.count, 4)
        try assertObjectiveGradient(objective, on: backend, at: image(w, h, seed: 4), samples: 12, "banded objective gradient")
    }

    /// The bands own every row once, start on pool-aligned rows, and compute a halo around what they own.
    func testBandsCoverTheImageOnce() throws {
        let network = try PreparedNetwork(backend: CPUBackend(convolution: .im2col), model: Model.random(.vgg19, seed: 1, upTo: "conv3_1"), deepestLayer: "pool2")
        let steps = network.steps(exposed: [])
        for height in [7, 64, 333, 1024] {
            let bands = BandLayout.bands(steps: steps[...], height: height, rowsPerBand: 50)
            XCTAssertEqual(bands.flatMap { Array($0.owned) }, Array(0..<height), "height \(height)")
            for band in bands {
                XCTAssertEqual(band.computed.lowerBound % 4, 0)
                XCTAssertTrue(band.computed.lowerBound <= band.owned.lowerBound && band.owned.upperBound <= band.computed.upperBound)
                XCTAssertLessThanOrEqual(band.computed.count, band.owned.count + 2 * 24, "the halo to pool2 is small")
                if band.owned.lowerBound > 24 { XCTAssertLessThan(band.computed.lowerBound, band.owned.lowerBound - 8, "a halo above") }
            }
        }
        let one = BandLayout.bands(steps: steps[...], height: 333, rowsPerBand: .max)
        XCTAssertEqual(one.map(\.owned), [0..<333], "bands taller than the image (banded:HUGE): one band")
    }

    /// Requests overlap in memory only when their lifetimes are disjoint; arenas respect the size limit and alignment.
    func testPoolPlanOverlapsOnlyDisjointLifetimes() {
        typealias R = BufferPool.Request
        let requests = [R(count: 64, acquired: 0, released: nil), R(count: 64, acquired: 1, released: 3),
                        R(count: 32, acquired: 4, released: 8), R(count: 30, acquired: 5, released: 6), R(count: 8, acquired: 9, released: 10)]
        for (limit, alignment, expected) in [(Int.max, 1, [128]), (100, 1, [96, 64]), (Int.max, 16, [128])] {
            let (capacities, placements) = BufferPool.plan(requests, arenaLimit: limit, alignment: alignment)
            XCTAssertEqual(capacities, expected, "limit \(limit), alignment \(alignment)")
            for (i, a) in requests.enumerated() {
                let p = placements[i]
                XCTAssertEqual(p.offset % alignment, 0)
                XCTAssertLessThanOrEqual(p.offset + a.count, capacities[p.arena])
                for (j, b) in requests.enumerated() where j > i && placements[j].arena == p.arena {
                    let q = placements[j]
                    let apart = p.offset + a.count <= q.offset || q.offset + b.count <= p.offset
                    let disjoint = (a.released ?? .max) <= b.acquired || (b.released ?? .max) <= a.acquired
                    XCTAssertTrue(apart || disjoint, "requests \(i) and \(j) share memory while both live")
                }
            }
        }
    }
}
