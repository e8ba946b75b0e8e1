// StyleObjective.swift — Gatys' loss for one image size: content, style and TV terms and their gradient.
import Dispatch

/// The loss terms' weights and layers (neural-style's meanings).
public struct LossWeights: Sendable, Equatable {
    public var content: Float
    public var style: Float
    public var tv: Float
    public var contentLayers: [String]
    public var styleLayers: [String]
    /// Divide each content/style loss's gradient by its own L1 norm (+1e-8) before weighting.
    public var normalizeGradients: Bool

    public init(content: Float, style: Float, tv: Float, contentLayers: [String], styleLayers: [String], normalizeGradients: Bool = false) {
        self.content = content
        self.style = style
        self.tv = tv
        self.contentLayers = contentLayers
        self.styleLayers = styleLayers
        self.normalizeGradients = normalizeGradients
    }

    /// Layers whose losses are active (a zero weight switches a term off entirely).
    var activeContentLayers: [String] { content == 0 ? [] : contentLayers }
    var activeStyleLayers: [String] { style == 0 ? [] : styleLayers }
}

/// `evaluate(x) → (loss, gradient)` for a fixed output size, with content targets and blended style Grams captured.
public final class StyleObjective {
    struct ContentTerm { let step: Int; let slot: Int; let target: DeviceBuffer; let shape: FeatureShape }
    struct StyleTerm { let step: Int; let slot: Int; let target: DeviceBuffer; let gram: DeviceBuffer; let gradGram: DeviceBuffer; let shape: FeatureShape }

    public let weights: LossWeights
    public let height: Int, width: Int
    let network: PreparedNetwork
    let runner: FeatureRunner
    private var contentTerms: [ContentTerm] = []
    private var styleTerms: [StyleTerm] = []
    private let losses: DeviceBuffer
    private var scratch: DeviceBuffer?
    private var backend: Backend { network.backend }
    /// When set, evaluation phases are timed (forward, backward, Gram/loss).
    public var clock: PhaseClock?

    /// Allocates activations for `height × width` and captures the targets.
    /// - Parameters:
    ///   - content: preprocessed content image (`3 × height × width`); may be nil when the content weight is 0.
    ///   - styles: preprocessed style images with their sizes, and blend weights summing to 1.
    public init(network: PreparedNetwork, weights: LossWeights, height: Int, width: Int, content: [Float]?,
                styles: [(values: [Float], height: Int, width: Int)], blendWeights: [Float]) throws {
        self.network = network
        self.weights = weights
        self.height = height
        self.width = width
        let exposed = Set(weights.activeContentLayers + weights.activeStyleLayers)
        runner = try FeatureRunner(network: network, height: height, width: width, exposed: exposed)
        let backend = network.backend
        losses = try backend.makeBuffer(count: weights.contentLayers.count + weights.styleLayers.count + 1)

        if !weights.activeContentLayers.isEmpty {
            guard let content else { throw GPUStyleError(.usage, "a content image is needed when --content-weight is not 0") }
            let input = try backend.makeBuffer(count: content.count)
            try backend.upload(content, to: input)
            try runner.forward(input)
            for name in weights.activeContentLayers {
                let (index, step) = try locate(name, in: runner)
                let target = try backend.makeBuffer(count: step.output.count)
                try backend.copy(step.outputBuffer, to: target)
                contentTerms.append(ContentTerm(step: index, slot: weights.contentLayers.firstIndex(of: name)!, target: target, shape: step.output))
            }
        }
        if !weights.activeStyleLayers.isEmpty {
            guard !styles.isEmpty, styles.count == blendWeights.count else {
                throw GPUStyleError(.usage, "\(styles.count) style images but \(blendWeights.count) blend weights")
            }
            for name in weights.activeStyleLayers {
                let (index, step) = try locate(name, in: runner)
                let c = step.output.channels
                styleTerms.append(StyleTerm(step: index, slot: weights.contentLayers.count + weights.styleLayers.firstIndex(of: name)!, target: try backend.makeBuffer(count: c * c),
                                            gram: try backend.makeBuffer(count: c * c),
                                            gradGram: try backend.makeBuffer(count: c * c), shape: step.output))
            }
            for (style, blend) in zip(styles, blendWeights) {
                let styleRunner = (style.height == height && style.width == width) ? runner
                    : try FeatureRunner(network: network, height: style.height, width: style.width, exposed: exposed)
                let input = try backend.makeBuffer(count: style.values.count)
                try backend.upload(style.values, to: input)
                try styleRunner.forward(input)
                for (name, term) in zip(weights.activeStyleLayers, styleTerms) {
                    let (_, step) = try locate(name, in: styleRunner)
                    try backend.gram(features: step.outputBuffer, gram: term.gram, channels: step.output.channels, pixels: step.output.pixels)
                    try backend.axpy(alpha: blend, x: term.gram, y: term.target)
                }
            }
        }
        if weights.normalizeGradients {
            let largest = (contentTerms.map(\.shape.count) + styleTerms.map(\.shape.count)).max() ?? 0
            scratch = try backend.makeBuffer(count: largest)
        }
        try backend.finish()
    }

    private func locate(_ name: String, in runner: FeatureRunner) throws -> (Int, FeatureRunner.Step) {
        guard let index = runner.steps.firstIndex(where: { $0.names.contains(name) }) else {
            throw GPUStyleError(.usage, "layer '\(name)' is not in the network (layers: \(network.layerNames.joined(separator: ",")))")
        }
        return (index, runner.steps[index])
    }

    /// Loss at `x` (preprocessed image, `3 × height × width`); its gradient is written into `gradient`.
    public func evaluate(_ x: DeviceBuffer, gradient: DeviceBuffer) throws -> LossBreakdown {
        let nContent = weights.contentLayers.count, nStyle = weights.styleLayers.count
        try backend.fill(losses, value: 0)
        try timed(.forward) { try runner.forward(x) }
        let lossBefore = clock?.seconds[.gramLoss] ?? 0
        if clock != nil { try backend.finish() }
        let backwardStart = DispatchTime.now().uptimeNanoseconds
        try runner.backward(into: gradient) { index, grad in
            try timed(.gramLoss) {
                for term in contentTerms where term.step == index { try addContent(term, into: grad) }
                for term in styleTerms where term.step == index { try addStyle(term, into: grad) }
            }
        }
        if let clock {
            try backend.finish()
            let total = Double(DispatchTime.now().uptimeNanoseconds - backwardStart) * 1e-9
            clock.add(.backward, seconds: total - ((clock.seconds[.gramLoss] ?? 0) - lossBefore))
        }
        try timed(.gramLoss) {
            if weights.tv != 0 {
                try backend.tvLoss(image: x, channels: 3, height: height, width: width, lossWeight: weights.tv,
                                   gradient: gradient, gradientWeight: weights.tv, losses: losses, slot: nContent + nStyle)
            }
        }
        let values = try backend.download(losses).map(Double.init)
        let contentValues = Array(values[0..<nContent]), styleValues = Array(values[nContent..<(nContent + nStyle)])
        return LossBreakdown(content: contentValues.reduce(0, +), style: styleValues.reduce(0, +), tv: values[nContent + nStyle],
                             contentLayers: contentValues, styleLayers: styleValues)
    }

    private func timed(_ phase: PhaseClock.Phase, _ body: () throws -> Void) throws {
        if let clock { try clock.measure(phase, body) } else { try body() }
    }

    private func addContent(_ term: ContentTerm, into grad: DeviceBuffer) throws {
        let step = runner.steps[term.step]
        guard weights.normalizeGradients, let scratch else {
            try backend.contentLoss(features: step.outputBuffer, target: term.target, count: term.shape.count, lossWeight: weights.content,
                                    gradient: grad, gradientWeight: weights.content, losses: losses, slot: term.slot)
            return
        }
        try backend.fill(scratch, value: 0)
        try backend.contentLoss(features: step.outputBuffer, target: term.target, count: term.shape.count, lossWeight: weights.content,
                                gradient: scratch, gradientWeight: 1, losses: losses, slot: term.slot)
        try addNormalized(scratch, count: term.shape.count, weight: weights.content, into: grad)
    }

    private func addStyle(_ term: StyleTerm, into grad: DeviceBuffer) throws {
        let step = runner.steps[term.step]
        let c = term.shape.channels, p = term.shape.pixels
        try backend.gram(features: step.outputBuffer, gram: term.gram, channels: c, pixels: p)
        let normalize = weights.normalizeGradients && scratch != nil
        try backend.styleLoss(gram: term.gram, target: term.target, channels: c, lossWeight: weights.style, gradGram: term.gradGram,
                              gradientWeight: normalize ? 1 : weights.style, losses: losses, slot: term.slot)
        guard normalize, let scratch else {
            try backend.gramBackward(gradGram: term.gradGram, features: step.outputBuffer, gradFeatures: grad, channels: c, pixels: p)
            return
        }
        try backend.fill(scratch, value: 0)
        try backend.gramBackward(gradGram: term.gradGram, features: step.outputBuffer, gradFeatures: scratch, channels: c, pixels: p)
        try addNormalized(scratch, count: term.shape.count, weight: weights.style, into: grad)
    }

    /// grad += weight · g / (‖g‖₁ + 1e-8) with g the first `count` elements of `scratch` (neural-style's -normalize_gradients).
    private func addNormalized(_ scratch: DeviceBuffer, count: Int, weight: Float, into grad: DeviceBuffer) throws {
        let norm = try backend.sumAbs(scratch)  // the tail beyond `count` is zero
        try backend.axpy(alpha: Float(Double(weight) / (norm + 1e-8)), x: scratch, y: grad)
    }
}
