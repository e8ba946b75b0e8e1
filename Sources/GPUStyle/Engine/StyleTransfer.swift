// StyleTransfer.swift — one rendering: targets captured, the image optimised, progress reported, the result returned.
import Foundation

/// How the output image starts.
public enum Initialization: String, Sendable, CaseIterable {
    /// Gaussian noise × 0.001 in preprocessed space (neural-style's `-init random`). Without a content loss
    /// (texture synthesis, style reconstructions) white noise instead — uniform RGB — because a nearly constant image
    /// is a saddle of the style loss from which L-BFGS barely moves.
    case random
    /// The content image, or `--init-image` when given.
    case image
}

/// Everything about a rendering except its images.
public struct RenderSettings: Sendable {
    public var weights: LossWeights
    public var iterations: Int
    public var optimizer: OptimizerKind = .lbfgs
    /// Step size: for L-BFGS a factor on its steps (nil: 1); for Adam in levels of an 8-bit image whatever the
    /// model's preprocessing (nil: 10, neural-style's default on its Caffe models' 0…255 scale).
    public var learningRate: Float?
    public var lbfgsHistory: Int = 100
    public var initialization: Initialization = .random
    public var seed: UInt64 = 0
    public var pooling: PoolingMode = .max
    /// Consecutive non-finite steps tolerated (each restores x, resets the optimiser and shrinks the step 10×).
    public var maxRecoveries: Int = 5
    /// Device memory the rendering may use (`--max-memory`); nil: 90% of the device's (of available RAM on the CPU).
    public var maxMemoryBytes: Int?
    /// How activations are stored; `.auto` lets the memory planner choose (`--memory-plan`).
    public var layout: LayoutChoice = .auto
    /// The command's options a memory error suggests: the one that sets the size (bench: `--size`), and whether
    /// `--optimizer adam` is one (it is not for bench).
    public var sizeOption = "--image-size", offersAdam = true

    public init(weights: LossWeights, iterations: Int) {
        self.weights = weights
        self.iterations = iterations
    }
}

/// What ties a video frame to the previous one's result (Ruder, Dosovitskiy & Brox, "Artistic style transfer for
/// videos", 2016): the loss `weight` · mean over the image of c·(x − previous)², in levels of an 8-bit image whatever the
/// model's preprocessing, where `previous` is the previous frame's result carried along the optical flow into this frame.
public struct TemporalTarget: Sendable {
    /// The previous result, warped into this frame, at the rendering's size.
    public let image: RGBImage
    /// One weight per pixel (row-major, at the rendering's size): 1 where the flow is trusted, 0 where not (a
    /// disocclusion, a motion boundary, a margin); the loss's mean runs over all pixels and channels.
    public let pixelWeights: [Float]
    public let weight: Float

    public init(image: RGBImage, pixelWeights: [Float], weight: Float) {
        precondition(pixelWeights.count == image.width * image.height, "one temporal weight per pixel")
        (self.image, self.pixelWeights, self.weight) = (image, pixelWeights, weight)
    }
}

/// Progress of a rendering after an evaluation.
public struct IterationStatus: Sendable {
    /// 1-based; iteration k reports the losses at the image after k − 1 steps (as neural-style prints them).
    public let iteration: Int
    public let iterations: Int
    public let losses: LossBreakdown
    /// Seconds since optimisation started (target capture excluded).
    public let elapsed: Double
}

/// The outcome of a rendering.
public struct RenderResult: Sendable {
    /// The optimised image after the last step, RGB in [0, 1].
    public let image: RGBImage
    /// Every iteration's losses.
    public let history: [IterationStatus]
    /// Seconds spent optimising.
    public let seconds: Double
    /// Non-finite steps that were rejected and retried.
    public let recoveries: Int
    /// The memory plan the rendering followed.
    public let memoryPlan: MemoryPlan
}

/// Renders one image at one size on one backend; the algorithm never asks which backend it runs on.
public final class StyleTransfer {
    public let network: PreparedNetwork
    public let settings: RenderSettings
    var backend: Backend { network.backend }

    public init(network: PreparedNetwork, settings: RenderSettings) {
        self.network = network
        self.settings = settings
        network.poolingMode = settings.pooling
    }

    /// The deepest layer among `layers` in `architecture` (the network is cut there).
    public static func deepestLayer(of layers: [String], in architecture: Architecture) throws -> String {
        let names = architecture.layers.map(\.name)
        var deepest = -1
        for layer in layers {
            guard let i = names.firstIndex(of: layer) else {
                throw GPUStyleError(.usage, "unknown layer '\(layer)'; \(architecture.rawValue) layers are \(names.joined(separator: ","))")
            }
            deepest = max(deepest, i)
        }
        guard deepest >= 0 else { throw GPUStyleError(.usage, "no content or style layers are active") }
        return names[deepest]
    }

    /// Optimises an image of `width × height`.
    /// - Parameters:
    ///   - content: the content image at `width × height` (nil allowed when the content weight is 0).
    ///   - styles: style images, each already at its own working size; `blendWeights` sum to 1.
    ///   - initImage: the starting image for `.image` initialisation (default: the content image), at `width × height`.
    ///   - styleMasks: none, or one mask per style image at `width × height` (row-major weights in [0, 1]: where it paints).
    ///   - styleImageMasks: none, or one mask per style image at that image's size (weights in [0, 1]: where its style is taken from).
    ///   - temporal: a video frame's tie to the previous frame's result, at `width × height` (nil: none).
    ///   - plan: the memory plan to follow (default: `memoryPlan(…)` for these sizes).
    ///   - observer: called after every evaluation with the status and a way to fetch the current image; throwing stops the run.
    public func render(content: RGBImage?, width: Int, height: Int, styles: [RGBImage], blendWeights: [Float],
                       initImage: RGBImage? = nil, styleMasks: [[Float]] = [], styleImageMasks: [[Float]] = [],
                       temporal: TemporalTarget? = nil, plan: MemoryPlan? = nil,
                       observer: (IterationStatus, () throws -> RGBImage) throws -> Void = { _, _ in }) throws -> RenderResult {
        let prep = network.model.preprocessing
        let plan = try plan ?? memoryPlan(width: width, height: height, hasContent: content != nil,
                                          styleSizes: styles.map { ($0.width, $0.height) }, styleMasks: styleMasks.count,
                                          styleImageMasks: styleImageMasks.count, temporal: temporal != nil)
        let sampled = try MaskInput.sampledRegions(styleImageMasks, styles: styles.count)
        let state = try RenderState(network: network, settings: settings, layout: plan.layout, history: plan.lbfgsHistory ?? 1,
                                    width: width, height: height,
                                    content: content.map { NetworkInput(height: height, width: width, values: prep.apply($0)) },
                                    styles: zip(styles, sampled).map {
                                        NetworkInput(height: $0.height, width: $0.width, values: prep.apply($0), sampledRegion: $1)
                                    },
                                    blendWeights: blendWeights, styleMasks: styleMasks.map { MaskInput(values: $0) },
                                    temporal: try temporal.map { try temporalInput($0, width: width, height: height) })
        let (objective, x, optimizer, backup) = (state.objective, state.x, state.optimizer, state.backup)
        try backend.upload(try startingPoint(content: content, initImage: initImage, width: width, height: height), to: x)
        let currentImage = { prep.invert(try self.backend.download(x), width: width, height: height) }

        let start = Date()
        var losses = try objective.evaluate(x, gradient: optimizer.gradient)
        guard isFinite(losses, of: objective) else {
            let terms = "content \(losses.content), style \(losses.style), tv \(losses.tv)" + (losses.temporal.map { ", temporal \($0)" } ?? "")
            let what = losses.isFinite ? "the loss's gradient at the starting image is not finite (the losses are: \(terms)), so a weight is too large for FP32"
                : "the loss at the starting image is not finite (\(terms))"
            throw GPUStyleError(.numerics, "\(what); check the images and weights")
        }
        var history: [IterationStatus] = []
        var recoveries = 0
        for k in 1...max(1, settings.iterations) {
            let status = IterationStatus(iteration: k, iterations: settings.iterations, losses: losses, elapsed: Date().timeIntervalSince(start))
            history.append(status)
            try observer(status, currentImage)
            try backend.copy(x, to: backup)
            var failures = 0
            while true {
                try optimizer.step(x: x)
                let finite: Bool
                if k == settings.iterations {
                    finite = try backend.sumAbs(x).isFinite  // no evaluation after the last step, as in neural-style
                } else {
                    losses = try objective.evaluate(x, gradient: optimizer.gradient)
                    finite = isFinite(losses, of: objective)
                }
                if finite { optimizer.acceptLastStep(); break }
                failures += 1
                recoveries += 1
                guard failures <= settings.maxRecoveries else {
                    throw GPUStyleError(.numerics, "iteration \(k): the loss or gradient stayed non-finite after \(settings.maxRecoveries) smaller steps; try a lower --learning-rate or --tv-weight, or --normalize-gradients")
                }
                try backend.copy(backup, to: x)
                optimizer.recover(shrinkingStepBy: 0.1)
                losses = try objective.evaluate(x, gradient: optimizer.gradient)
            }
        }
        let image = try currentImage()
        return RenderResult(image: image, history: history, seconds: Date().timeIntervalSince(start), recoveries: recoveries,
                            memoryPlan: plan)
    }

    /// The memory plan for a rendering of `width × height` (layout and L-BFGS history within the budget).
    /// `styleMasks`, `styleImageMasks`: how many masks there are over the output and over the style images;
    /// `sizeLabel`: how an error names the size (default `width×height`).
    /// `temporal`: whether a `TemporalTarget` will be given.
    public func memoryPlan(width: Int, height: Int, hasContent: Bool, styleSizes: [(width: Int, height: Int)], styleMasks: Int = 0,
                           styleImageMasks: Int = 0, temporal: Bool = false, sizeLabel: String? = nil) throws -> MemoryPlan {
        try MemoryPlanner(network: network, settings: settings, width: width, height: height, hasContent: hasContent,
                          styleSizes: styleSizes, styleMasks: styleMasks, styleImageMasks: styleImageMasks, temporal: temporal,
                          sizeLabel: sizeLabel).plan()
    }

    /// The temporal term on the network's input: the target preprocessed, and each pixel's weight times the square of
    /// 8-bit levels per input unit of its channel (so the loss reads in 8-bit levels whatever the preprocessing).
    private func temporalInput(_ temporal: TemporalTarget, width: Int, height: Int) throws -> TemporalInput {
        guard temporal.image.width == width && temporal.image.height == height else {
            throw GPUStyleError(.internal, "the temporal target is \(temporal.image.width)×\(temporal.image.height), expected \(width)×\(height)")
        }
        let prep = network.model.preprocessing
        var elementWeights = [Float](); elementWeights.reserveCapacity(3 * width * height)
        for c in 0..<3 {
            let levels = 255 * prep.std[c] / prep.scale
            elementWeights += temporal.pixelWeights.map { $0 * levels * levels }
        }
        return TemporalInput(target: prep.apply(temporal.image), elementWeights: elementWeights, weight: temporal.weight)
    }

    private func isFinite(_ losses: LossBreakdown, of objective: StyleObjective) -> Bool {
        losses.isFinite && objective.gradientIsFinite
    }

    private func startingPoint(content: RGBImage?, initImage: RGBImage?, width: Int, height: Int) throws -> [Float] {
        switch settings.initialization {
        case .random:
            var rng = SplitMix64(seed: settings.seed)
            if settings.weights.content == 0 {
                let noise = (0..<(3 * width * height)).map { _ in Float(rng.nextUniform()) }
                return network.model.preprocessing.apply(RGBImage(width: width, height: height, pixels: noise))
            }
            return (0..<(3 * width * height)).map { _ in rng.nextGaussian() * 0.001 }
        case .image:
            guard let start = initImage ?? content else {
                throw GPUStyleError(.usage, "--init image needs a content image or --init-image")
            }
            guard start.width == width && start.height == height else {
                throw GPUStyleError(.internal, "the initial image is \(start.width)×\(start.height), expected \(width)×\(height)")
            }
            return network.model.preprocessing.apply(start)
        }
    }
}
