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

    func objective(width w: Int, height h: Int, masks: [[Float]], layout: ActivationLayout = .compact, weights: LossWeights = weights,
                   styles: Int = 2, backend: Backend = CPUBackend(convolution: .im2col)) throws -> StyleObjective {
        let network = try PreparedNetwork(backend: backend, model: Self.model, deepestLayer: "relu3_1")
        let styleImages = [(image(11, 30, seed: 2), 30, 11), (image(w, h, seed: 3), h, w)].prefix(styles)
        let blend: [Float] = styles == 1 ? [1] : [0.4, 0.6]
        return try StyleObjective(network: network, weights: weights, height: h, width: w, content: image(w, h, seed: 1),
                                  styles: Array(styleImages), blendWeights: blend, layout: layout, styleMasks: masks)
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
        // --normalize-gradients divides each region's gradient by its own L1 norm: a white or a uniformly grey mask
        // then gives the unmasked normalised gradient, in every layout.
        var normalized = Self.weights
        normalized.normalizeGradients = true
        for layout in [ActivationLayout.keepAll, .banded(rows: 8)] {
            let (_, plain) = try evaluate(try objective(width: w, height: h, masks: [], layout: layout, weights: normalized, styles: 1), width: w, height: h)
            for (name, mask) in [("white", white), ("grey", grey)] {
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

    /// Compact storage and bands give keep-all's losses and gradient with masks too (a band's rows of each mask),
    /// normalised gradients too (each region's norm summed over the bands).
    func testLayoutsAgreeWithMasks() throws {
        let (w, h) = (13, 45)
        var weights = Self.weights
        for normalize in [false, true] {
            weights.normalizeGradients = normalize
            let (refLoss, refGrad) = try evaluate(try objective(width: w, height: h, masks: masks(w, h), layout: .keepAll, weights: weights),
                                                  width: w, height: h)
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
        var weights = Self.weights
        for normalize in [false, true] {
            weights.normalizeGradients = normalize
            let (refLoss, refGrad) = try evaluate(try objective(width: w, height: h, masks: masks(w, h), layout: .keepAll, weights: weights),
                                                  width: w, height: h)
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
            XCTAssertTrue("\($0)".contains("style mask 1 is black everywhere"), "\($0)")
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
}

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
        XCTAssertThrowsError(try StylizeJob(options: wrong, backend: CPUBackend(convolution: .im2col), model: model).run()) {
            XCTAssertTrue("\($0)".contains("--style-masks \(folder)/square.png is 64×64, but the content image \(folder)/c.png is 48×32"), "\($0)")
        }
        try ImageIO.write(RGBImage(width: 48, height: 32, red: 0, green: 0, blue: 0), to: folder + "/black.png")
        wrong.styleMasks[0] = folder + "/black.png"
        XCTAssertThrowsError(try StylizeJob(options: wrong, backend: CPUBackend(convolution: .im2col), model: model).run()) {
            XCTAssertTrue("\($0)".contains("black everywhere"), "\($0)")
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
}
