// StyleMaskTests.swift — `--style-masks`: masked style losses (exact gradient, every layout, OpenCL = CPU) and their checks.
import XCTest
@testable import GPUStyle

final class StyleMaskTests: XCTestCase {
    static let model = Model.random(.vgg16, seed: 5, upTo: "conv3_1")
    static let weights = LossWeights(content: 2e-3, style: 5e-2, tv: 1e-4, contentLayers: ["relu2_2"],
                                     styleLayers: ["relu1_1", "relu2_1", "relu3_1"])

    func image(_ width: Int, _ height: Int, seed: UInt64) -> [Float] {
        Self.model.preprocessing.apply(RGBImage(width: width, height: height, pixels: randomValues(3 * width * height, seed: seed, in: 0...1)))
    }

    /// Soft masks: the first fades from left to right, the second is its complement with a random texture.
    func masks(_ width: Int, _ height: Int) -> [[Float]] {
        let fade = (0..<(width * height)).map { Float($0 % width) / Float(width - 1) }
        let noise = randomValues(width * height, seed: 9, in: 0...1)
        return [fade, zip(fade, noise).map { (1 - $0) * (0.5 + 0.5 * $1) }]
    }

    /// The style images: 11×30, then one of the output's size (`styleImages(…)` of them).
    func styleImages(width w: Int, height h: Int) -> [(values: [Float], height: Int, width: Int)] {
        [(image(11, 30, seed: 2), 30, 11), (image(w, h, seed: 3), h, w)]
    }

    /// A mask over each style image: the first fades from top to bottom, the second is random.
    func styleImageMasks(width w: Int, height h: Int) -> [[Float]] {
        [(0..<(11 * 30)).map { Float($0 / 11) / 29 }, randomValues(w * h, seed: 11, in: 0...1)]
    }

    func objective(width w: Int, height h: Int, masks: [[Float]], layout: ActivationLayout = .compact, weights: LossWeights = weights,
                   styles: Int = 2, styleImageMasks: [[Float]] = [], backend: Backend = CPUBackend(convolution: .im2col)) throws -> StyleObjective {
        let network = try PreparedNetwork(backend: backend, model: Self.model, deepestLayer: "relu3_1")
        let blend: [Float] = styles == 1 ? [1] : [0.4, 0.6]
        return try StyleObjective(network: network, weights: weights, height: h, width: w, content: image(w, h, seed: 1),
                                  styles: Array(styleImages(width: w, height: h).prefix(styles)), blendWeights: blend, layout: layout,
                                  styleMasks: masks, styleImageMasks: styleImageMasks)
    }

    func evaluate(_ objective: StyleObjective, width w: Int, height h: Int) throws -> (LossBreakdown, [Float]) {
        let backend = objective.backend
        let x = try backend.makeBuffer(count: 3 * w * h), gradient = try backend.makeBuffer(count: 3 * w * h)
        try backend.upload(image(w, h, seed: 4), to: x)
        let losses = try objective.evaluate(x, gradient: gradient)
        return (losses, try backend.download(gradient))
    }

    /// A white mask over the whole image is no mask: the same losses and gradient as the plain objective.
    func testAWhiteMaskIsTheUnmaskedObjective() throws {
        let (w, h) = (13, 45)
        let (plainLoss, plainGrad) = try evaluate(try objective(width: w, height: h, masks: [], styles: 1), width: w, height: h)
        let white = [[Float](repeating: 1, count: w * h)]
        let (loss, grad) = try evaluate(try objective(width: w, height: h, masks: white, styles: 1), width: w, height: h)
        for (a, b) in zip(loss.styleLayers, plainLoss.styleLayers) { XCTAssertEqual(a, b, accuracy: 1e-5 * b) }
        assertClose(grad, plainGrad, tolerance: 1e-5, "white mask gradient")
        // A mask of 0.5 everywhere: each pixel's features at half strength, so a quarter of the Gram, compared with a
        // quarter of the target and weighted ×4: a quarter of the loss.
        let grey = [[Float](repeating: 0.5, count: w * h)]
        let (greyLoss, _) = try evaluate(try objective(width: w, height: h, masks: grey, styles: 1), width: w, height: h)
        for (a, b) in zip(greyLoss.styleLayers, plainLoss.styleLayers) { XCTAssertEqual(a, b / 4, accuracy: 1e-5 * b) }
        // --normalize-gradients divides each region's gradient by its own L1 norm and weights it by the mask's
        // coverage: a white mask gives the unmasked normalised gradient, a grey one that of a quarter of the style
        // weight (as without normalising), in every layout.
        var normalized = Self.weights
        normalized.normalizeGradients = true
        for layout in [ActivationLayout.keepAll, .banded(rows: 8)] {
            for (name, mask, styleFactor) in [("white", white, Float(1)), ("grey", grey, 0.25)] {
                var plainWeights = normalized
                plainWeights.style *= styleFactor
                let (_, plain) = try evaluate(try objective(width: w, height: h, masks: [], layout: layout, weights: plainWeights, styles: 1),
                                              width: w, height: h)
                let (_, masked) = try evaluate(try objective(width: w, height: h, masks: mask, layout: layout, weights: normalized, styles: 1),
                                               width: w, height: h)
                assertClose(masked, plain, tolerance: 1e-5, "normalised gradient, \(layout), \(name) mask")
            }
        }
    }

    /// Two styles, each through its own soft mask: the gradient matches finite differences (odd sizes: the masks
    /// are reduced as the poolings reduce the maps, dropping the last row).
    func testMaskedGradientMatchesFiniteDifferences() throws {
        let (w, h) = (7, 9)
        let objective = try objective(width: w, height: h, masks: masks(w, h))
        XCTAssertEqual(objective.styleTerms.map(\.regions.count), [2, 2, 2])
        try assertObjectiveGradient(objective, on: objective.backend, at: image(w, h, seed: 4), samples: 40, "masked objective gradient")
    }

    /// The weights without and with normalised gradients, each with keep-all's CPU losses and gradient for `masks(w, h)`.
    func maskedReferences(width w: Int, height h: Int) throws -> [(weights: LossWeights, loss: LossBreakdown, gradient: [Float])] {
        try [false, true].map { normalize in
            var weights = Self.weights
            weights.normalizeGradients = normalize
            let (loss, gradient) = try evaluate(try objective(width: w, height: h, masks: masks(w, h), layout: .keepAll, weights: weights),
                                                width: w, height: h)
            return (weights, loss, gradient)
        }
    }

    /// Compact storage and bands give keep-all's losses and gradient with masks too (a band's rows of each mask),
    /// normalised gradients too (each region's norm summed over the bands).
    func testLayoutsAgreeWithMasks() throws {
        let (w, h) = (13, 45)
        for (weights, refLoss, refGrad) in try maskedReferences(width: w, height: h) {
            let normalize = weights.normalizeGradients
            for layout in [ActivationLayout.compact, .banded(rows: 8), .banded(rows: 12)] {
                let (loss, grad) = try evaluate(try objective(width: w, height: h, masks: masks(w, h), layout: layout, weights: weights),
                                                width: w, height: h)
                for (a, b) in zip(loss.styleLayers + [loss.content], refLoss.styleLayers + [refLoss.content]) {
                    XCTAssertEqual(a, b, accuracy: 2e-5 * max(abs(b), 1e-9), "\(layout) loss")
                }
                assertClose(grad, refGrad, tolerance: 2e-5, "\(layout) gradient with masks, normalised \(normalize)")
            }
        }
    }

    /// The masked objective on OpenCL (compact and banded) gives the CPU reference's losses and gradient.
    func testOpenCLMaskedObjectiveMatchesCPU() throws {
        let gpu = try OpenCLTestDevice.backend()
        let (w, h) = (13, 45)
        for (weights, refLoss, refGrad) in try maskedReferences(width: w, height: h) {
            let normalize = weights.normalizeGradients
            for layout in [ActivationLayout.compact, .banded(rows: 8)] {
                let (loss, grad) = try evaluate(try objective(width: w, height: h, masks: masks(w, h), layout: layout, weights: weights, backend: gpu),
                                                width: w, height: h)
                assertRelative(loss.total, refLoss.total, 1e-4, "OpenCL \(layout) masked loss")
                assertClose(grad, refGrad, tolerance: 1e-4, "OpenCL \(layout) masked gradient, normalised \(normalize)")
            }
        }
    }

    /// The kernel against the CPU reference, on a map whose size is not a multiple of the work-group size.
    func testMultiplyPixelsOnOpenCLMatchesCPU() throws {
        let gpu = try OpenCLTestDevice.backend()
        let (channels, pixels) = (5, 333)
        let features = randomValues(channels * pixels, seed: 1), weights = randomValues(pixels, seed: 2, in: 0...1)
        var results: [[Float]] = []
        for backend in [CPUBackend() as Backend, gpu] {
            let f = try backend.makeBuffer(count: features.count), m = try backend.makeBuffer(count: pixels)
            let out = try backend.makeBuffer(count: features.count)
            try backend.upload(features, to: f)
            try backend.upload(weights, to: m)
            try backend.multiplyPixels(f, by: m, into: out, channels: channels, pixels: pixels)
            results.append(try backend.download(out))
        }
        XCTAssertEqual(results[0][pixels + 7], features[pixels + 7] * weights[7])
        XCTAssertEqual(results[0], results[1])
    }

    /// Black everywhere and a count that is not one per style are refused.
    func testMasksThatCannotWorkAreRefused() throws {
        let (w, h) = (7, 9)
        XCTAssertThrowsError(try objective(width: w, height: h, masks: [[Float](repeating: 0, count: w * h), masks(w, h)[1]])) {
            XCTAssertTrue("\($0)".contains("style mask 1 has no white part left at relu1_1"), "\($0)")
        }
        XCTAssertThrowsError(try objective(width: w, height: h, masks: [masks(w, h)[0]])) {
            XCTAssertTrue("\($0)".contains("1 style masks for 2 style images"), "\($0)")
        }
    }

    /// The planner counts the masks' buffers and the masked-features scratch: a masked run plans a larger peak.
    func testThePlanCountsTheMasks() throws {
        let network = try PreparedNetwork(backend: CPUBackend(convolution: .im2col), model: Self.model, deepestLayer: "relu3_1")
        var settings = RenderSettings(weights: Self.weights, iterations: 1)
        settings.layout = .fixed(.compact)
        func peak(masks: Int) throws -> Int {
            try MemoryPlanner(network: network, settings: settings, width: 64, height: 48, hasContent: true,
                              styleSizes: [(64, 48), (40, 30)], styleMasks: masks).simulatedPeak(layout: .compact, history: 5)
        }
        XCTAssertGreaterThan(try peak(masks: 2), try peak(masks: 0) + 64 * 64 * 48 * 4 / 2, "at least the masked relu1_1 features")
    }

    /// A white or uniformly grey mask over each style image is no mask (its Gram is the mean over the mask), with
    /// and without masks over the output.
    func testAUniformStyleImageMaskIsNoMask() throws {
        let (w, h) = (13, 45)
        for outputMasks in [[], masks(w, h)] {
            let (plainLoss, plainGrad) = try evaluate(try objective(width: w, height: h, masks: outputMasks), width: w, height: h)
            for value: Float in [1, 0.3] {
                let uniform = [[Float](repeating: value, count: 11 * 30), [Float](repeating: value, count: w * h)]
                let (loss, grad) = try evaluate(try objective(width: w, height: h, masks: outputMasks, styleImageMasks: uniform), width: w, height: h)
                for (a, b) in zip(loss.styleLayers, plainLoss.styleLayers) { XCTAssertEqual(a, b, accuracy: 1e-5 * b, "mask \(value)") }
                assertClose(grad, plainGrad, tolerance: 1e-5, "style image mask \(value), \(outputMasks.count) output masks")
            }
        }
    }

    /// A style image whose left half is dark and right half bright: a mask over its left half gives the dark half's
    /// style, so a dark output has a lower style loss than with the whole image, and a bright one a higher.
    func testAStyleImageMaskTakesTheStyleOfItsPart() throws {
        let (w, h) = (16, 16)
        let network = try PreparedNetwork(backend: CPUBackend(convolution: .im2col), model: Self.model, deepestLayer: "relu3_1")
        var styleOnly = Self.weights
        (styleOnly.content, styleOnly.tv) = (0, 0)
        // The dark half on the left of a 32×16 image, and on top of a 16×32 one (a mask flipped or transposed fails one).
        for (sw, sh, isDark) in [(32, 16, { (x: Int, y: Int) in x < 16 }), (16, 32, { (x: Int, y: Int) in y < 16 })] {
            let noise = randomValues(3 * sw * sh, seed: 6, in: 0...0.3)
            let halves = RGBImage(width: sw, height: sh, pixels: noise.indices.map { i in noise[i] + (isDark(i % sw, i / sw % sh) ? 0 : 0.7) })
            let darkHalf = (0..<(sw * sh)).map { isDark($0 % sw, $0 / sw) ? Float(1) : 0 }
            func styleLoss(of output: [Float], sampling mask: [[Float]]) throws -> Double {
                let objective = try StyleObjective(network: network, weights: styleOnly, height: h, width: w, content: nil,
                                                   styles: [(Self.model.preprocessing.apply(halves), sh, sw)], blendWeights: [1], styleImageMasks: mask)
                let x = try objective.backend.makeBuffer(count: output.count), g = try objective.backend.makeBuffer(count: output.count)
                try objective.backend.upload(output, to: x)
                return try objective.evaluate(x, gradient: g).style
            }
            for (brightness, darkIsCloser) in [(Float(0), true), (0.7, false)] {
                let tile = RGBImage(width: w, height: h, pixels: randomValues(3 * w * h, seed: 7, in: 0...0.3).map { $0 + brightness })
                let output = Self.model.preprocessing.apply(tile)
                let (whole, sampled) = (try styleLoss(of: output, sampling: []), try styleLoss(of: output, sampling: [darkHalf]))
                XCTAssertEqual(sampled < whole, darkIsCloser, "\(sw)×\(sh), brightness \(brightness): loss \(sampled) with the dark half's style, \(whole) with the whole image's")
            }
        }
    }

    /// Compact and banded layouts (the style images banded too, each band taking its rows of the mask) and OpenCL
    /// agree with keep-all on the CPU when the style images have masks.
    func testLayoutsAndOpenCLAgreeWithStyleImageMasks() throws {
        let gpu = try OpenCLTestDevice.backend()
        let (w, h) = (13, 45)
        let sampled = styleImageMasks(width: w, height: h)
        let (refLoss, refGrad) = try evaluate(try objective(width: w, height: h, masks: masks(w, h), layout: .keepAll, styleImageMasks: sampled),
                                              width: w, height: h)
        for (layout, backend) in [(ActivationLayout.compact, CPUBackend(convolution: .im2col) as Backend), (.banded(rows: 8), CPUBackend(convolution: .im2col)),
                                  (.banded(rows: 8), gpu)] {
            let (loss, grad) = try evaluate(try objective(width: w, height: h, masks: masks(w, h), layout: layout, styleImageMasks: sampled,
                                                          backend: backend), width: w, height: h)
            assertRelative(loss.total, refLoss.total, 1e-4, "\(backend.kind) \(layout) loss with style image masks")
            assertClose(grad, refGrad, tolerance: 1e-4, "\(backend.kind) \(layout) gradient with style image masks")
        }
    }

    /// A count that is not one per style image, and a mask black everywhere, are refused; the planner counts the masks.
    func testStyleImageMasksAreCheckedAndPlanned() throws {
        let (w, h) = (7, 9)
        XCTAssertThrowsError(try objective(width: w, height: h, masks: [], styleImageMasks: [styleImageMasks(width: w, height: h)[0]])) {
            XCTAssertTrue("\($0)".contains("1 style image masks for 2 style images"), "\($0)")
        }
        XCTAssertThrowsError(try objective(width: w, height: h, masks: [], styleImageMasks: [[Float](repeating: 0, count: 11 * 30), [Float](repeating: 1, count: w * h)])) {
            XCTAssertTrue("\($0)".contains("the mask over style image 1 has no white part left at relu1_1"), "\($0)")
        }
        let network = try PreparedNetwork(backend: CPUBackend(convolution: .im2col), model: Self.model, deepestLayer: "relu3_1")
        var settings = RenderSettings(weights: Self.weights, iterations: 1)
        settings.layout = .fixed(.compact)
        func peak(styleImageMasks: Int) throws -> Int {
            try MemoryPlanner(network: network, settings: settings, width: 64, height: 48, hasContent: true, styleSizes: [(96, 72), (40, 30)],
                              styleImageMasks: styleImageMasks).simulatedPeak(layout: .compact, history: 5)
        }
        XCTAssertGreaterThan(try peak(styleImageMasks: 2), try peak(styleImageMasks: 0) + 64 * 96 * 72 * 4 / 2,
                             "at least the larger style image's masked relu1_1 features")
    }
}
