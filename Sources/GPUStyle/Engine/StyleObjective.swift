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
    /// Each style layer's share of `style`, in `styleLayers` order (`--style-layer-weights`); nil: 1 each.
    public var styleLayerWeights: [Float]?

    public init(content: Float, style: Float, tv: Float, contentLayers: [String], styleLayers: [String], normalizeGradients: Bool = false,
                styleLayerWeights: [Float]? = nil) {
        self.content = content
        self.style = style
        self.tv = tv
        self.contentLayers = contentLayers
        self.styleLayers = styleLayers
        self.normalizeGradients = normalizeGradients
        self.styleLayerWeights = styleLayerWeights
    }

    /// The weight of style layer `name`'s loss: `style` × its layer weight.
    func styleWeight(of name: String) -> Float {
        guard let styleLayerWeights, let index = styleLayers.firstIndex(of: name), index < styleLayerWeights.count else { return style }
        return style * styleLayerWeights[index]
    }

    /// Layers whose losses are active (a zero weight switches a term off entirely).
    var activeContentLayers: [String] { content == 0 ? [] : contentLayers }
    var activeStyleLayers: [String] { styleLayers.filter { styleWeight(of: $0) != 0 } }
}

/// A preprocessed `3 × height × width` network input; `values` is nil when only memory is being planned.
struct NetworkInput {
    let height: Int, width: Int
    let values: [Float]?
    /// For a style image: a `height × width` mask over it saying where its style is taken from (nil: all of it).
    var sampledRegion: MaskInput? = nil
}

/// A video frame's temporal term (Ruder, Dosovitskiy & Brox 2016): `weight` · mean(w·(x − target)²) over the
/// `3 × height × width` network input, `target` the previous frame's result carried along the optical flow and `w`
/// a weight per element (0 where the flow is not trusted). `target` and `elementWeights` are nil when only memory is
/// being planned.
struct TemporalInput {
    let target: [Float]?
    let elementWeights: [Float]?
    let weight: Float
}

/// A mask over an image (`height × width` weights in [0, 1], row-major): over the output, where a style image
/// paints; over a style image, where its style is taken from. `values` is nil when only memory is being planned.
struct MaskInput {
    let values: [Float]?

    /// Each style image's `sampledRegion` from `masks` (none, or one per style image, at that image's size).
    static func sampledRegions(_ masks: [[Float]], styles: Int) throws -> [MaskInput?] {
        guard !masks.isEmpty else { return Array(repeating: nil, count: styles) }
        guard masks.count == styles else {
            throw GPUStyleError(.usage, "\(masks.count) style image masks for \(styles) style images: give one mask per style image")
        }
        return masks.map { MaskInput(values: $0) }
    }
}

/// `evaluate(x) → (loss, gradient)` for a fixed output size, with content targets and blended style Grams captured.
public final class StyleObjective {
    final class ContentTerm {
        let name: String, slot: Int, target: DeviceBuffer, shape: FeatureShape
        /// L1 norm of the unweighted layer gradient, summed over bands (normalised gradients with a banded front).
        var norm = 0.0
        init(name: String, slot: Int, target: DeviceBuffer, shape: FeatureShape) {
            (self.name, self.slot, self.target, self.shape) = (name, slot, target, shape)
        }
    }

    /// A style layer's loss over the whole output (one target: the blended Grams) or, with style masks, over one
    /// mask's region (one per style image).
    final class StyleRegion {
        /// The loss slot this region's share of the layer's loss goes to.
        let slot: Int
        let target: DeviceBuffer, gram: DeviceBuffer, gradGram: DeviceBuffer
        /// The mask at the layer's size, and its square (the gradient's weights); nil for the whole output.
        let mask: DeviceBuffer?, maskSquared: DeviceBuffer?
        /// `--style-weight` × the layer's weight × the style's share ÷ the mask's mean square: the region's Gram
        /// (Σ over masked pixels ÷ all pixels) is compared with coverage × the style's Gram, so a pixel inside a mask
        /// feels its style as strongly as a whole image feels one style.
        let weight: Float
        /// The mask's mean square over the layer (1 without a mask or while planning): the target is this × the style's Gram.
        let coverage: Double
        /// With `--normalize-gradients`: the L1 norm its unweighted gradient is divided by (summed over bands), and
        /// the weight it is then given: `--style-weight` × the layer's weight × the style's share × coverage, so that
        /// each region's pixels are pushed as hard as a whole image's are by one style (a white mask is no mask).
        var norm = 0.0
        var normalizedWeight: Float { Float(Double(weight) * coverage * coverage) }
        /// `mask`: its pixel count and values (nil values: memory is only being planned).
        init(slot: Int, channels: Int, mask: (pixels: Int, values: [Float]?)?, coverage: Double = 1, weight: Float, backend: Backend) throws {
            (self.slot, self.weight, self.coverage) = (slot, weight, coverage)
            let c2 = channels * channels
            (target, gram, gradGram) = (try backend.makeBuffer(count: c2), try backend.makeBuffer(count: c2), try backend.makeBuffer(count: c2))
            if let mask {
                let (m, m2) = (try backend.makeBuffer(count: mask.pixels), try backend.makeBuffer(count: mask.pixels))
                if let values = mask.values { try backend.upload(values, to: m); try backend.upload(values.map { $0 * $0 }, to: m2) }
                (self.mask, maskSquared) = (m, m2)
            } else {
                (self.mask, maskSquared) = (nil, nil)
            }
        }
    }

    final class StyleTerm {
        let name: String, slot: Int, shape: FeatureShape
        /// `--style-weight` × this layer's `--style-layer-weights` entry.
        let weight: Float
        /// One region for the whole output, or one per style mask.
        var regions: [StyleRegion] = []
        /// One band's Gram, and gradGram rescaled for one band (both `channels²`).
        let bandGram: DeviceBuffer, bandGradGram: DeviceBuffer
        init(name: String, slot: Int, shape: FeatureShape, weight: Float, backend: Backend) throws {
            (self.name, self.slot, self.shape, self.weight) = (name, slot, shape, weight)
            let c2 = shape.channels * shape.channels
            (bandGram, bandGradGram) = (try backend.makeBuffer(count: c2), try backend.makeBuffer(count: c2))
        }
    }

    public let weights: LossWeights
    public let height: Int, width: Int
    /// How activations are stored (the memory plan).
    public let layout: ActivationLayout
    let network: PreparedNetwork
    let runner: ActivationRunner
    var contentTerms: [ContentTerm] = []
    var styleTerms: [StyleTerm] = []
    /// The temporal term's target and element weights, its weight, and its slot (the last of `losses`).
    var temporalTerm: (target: DeviceBuffer, weights: DeviceBuffer, weight: Float, slot: Int)?
    /// Slots: content layers, style layers, TV, one scratch slot, Σ|gradient|, then per content layer one slot per
    /// band, then (style masks) one per further region of each style layer.
    let losses: DeviceBuffer
    var scratchBuffers: [String: DeviceBuffer] = [:]
    var backend: Backend { network.backend }
    /// Whether the gradient of the last `evaluate` is finite (its Σ|g| is read back with the losses).
    public private(set) var gradientIsFinite = true
    /// When set, evaluation phases are timed (forward, backward, Gram/loss).
    public var clock: PhaseClock?

    /// Allocates activations for `height × width` and captures the targets.
    /// - Parameters:
    ///   - content: preprocessed content image (`3 × height × width`); may be nil when the content weight is 0.
    ///   - styles: preprocessed style images with their sizes, and blend weights summing to 1.
    ///   - layout: how activations are stored during an evaluation.
    ///   - styleMasks: none, or one `height × width` mask per style image (weights in [0, 1]: where it paints); each
    ///     style then has its own loss over its mask's region, weighted by its blend weight relative to the others.
    ///   - styleImageMasks: none, or one mask per style image at that image's size (weights in [0, 1]: where its
    ///     style is taken from); its Gram is then the mask-weighted mean over that region.
    public convenience init(network: PreparedNetwork, weights: LossWeights, height: Int, width: Int, content: [Float]?,
                            styles: [(values: [Float], height: Int, width: Int)], blendWeights: [Float],
                            layout: ActivationLayout = .compact, styleMasks: [[Float]] = [], styleImageMasks: [[Float]] = []) throws {
        let sampled = try MaskInput.sampledRegions(styleImageMasks, styles: styles.count)
        try self.init(network: network, weights: weights, height: height, width: width, layout: layout,
                      content: content.map { NetworkInput(height: height, width: width, values: $0) },
                      styles: zip(styles, sampled).map { NetworkInput(height: $0.height, width: $0.width, values: $0.values, sampledRegion: $1) },
                      blendWeights: blendWeights, styleMasks: styleMasks.map { MaskInput(values: $0) })
    }

    init(network: PreparedNetwork, weights: LossWeights, height: Int, width: Int, layout: ActivationLayout,
         content: NetworkInput?, styles: [NetworkInput], blendWeights: [Float], styleMasks: [MaskInput] = [],
         temporal: TemporalInput? = nil) throws {
        self.network = network
        self.weights = weights
        self.height = height
        self.width = width
        self.layout = layout
        let lossLayers = Set(weights.activeContentLayers + weights.activeStyleLayers)
        for name in lossLayers where !network.layerNames.contains(name) {
            throw GPUStyleError(.usage, "layer '\(name)' is not in the network (layers: \(network.layerNames.joined(separator: ",")))")
        }
        runner = try ActivationRunner(network: network, height: height, width: width, lossLayers: lossLayers, layout: layout,
                                      revisitsFront: weights.normalizeGradients)
        let backend = network.backend
        let regionSlots = weights.activeStyleLayers.count * max(0, styleMasks.count - 1)
        let slots = weights.contentLayers.count + weights.styleLayers.count + 3 + weights.contentLayers.count * max(1, runner.bands.count)
            + regionSlots + (temporal == nil ? 0 : 1)
        losses = try backend.makeBuffer(count: slots)
        let shapes = try layerShapes(height: height, width: width)

        if !weights.activeContentLayers.isEmpty {
            guard let content else { throw GPUStyleError(.usage, "a content image is needed when --content-weight is not 0") }
            for name in weights.activeContentLayers {
                contentTerms.append(ContentTerm(name: name, slot: weights.contentLayers.firstIndex(of: name)!,
                                                target: try backend.makeBuffer(count: shapes[name]!.count), shape: shapes[name]!))
            }
            try runner.forward(try upload(content)) { slice in
                for term in contentTerms where slice.names.contains(term.name) {
                    try backend.copyRows(from: slice.features, sourceHeight: slice.shape.height, sourceRow: slice.ownedRows.lowerBound,
                                         to: term.target, destinationHeight: term.shape.height, destinationRow: slice.firstRow + slice.ownedRows.lowerBound,
                                         rows: slice.ownedRows.count, channels: term.shape.channels, width: term.shape.width)
                }
            }
        }
        if let layerWeights = weights.styleLayerWeights, layerWeights.count != weights.styleLayers.count {
            throw GPUStyleError(.usage, "\(layerWeights.count) style layer weights for \(weights.styleLayers.count) style layers (\(weights.styleLayers.joined(separator: ",")))")
        }
        if !weights.activeStyleLayers.isEmpty {
            guard !styles.isEmpty, styles.count == blendWeights.count else {
                throw GPUStyleError(.usage, "\(styles.count) style images but \(blendWeights.count) blend weights")
            }
            try makeStyleTerms(shapes: shapes, styleMasks: styleMasks, blendWeights: blendWeights)
            for (index, (style, blend)) in zip(styles, blendWeights).enumerated() {
                let styleRunner = (style.height == height && style.width == width) ? runner
                    : try ActivationRunner(network: network, height: style.height, width: style.width, lossLayers: lossLayers, layout: layout)
                let scratchGram = { (term: StyleTerm) in term.regions[0].gram }  // refilled by every evaluation
                for term in styleTerms { try backend.fill(scratchGram(term), value: 0) }
                let sampled = try sampledRegion(of: style, index: index)
                try styleRunner.forward(try upload(style)) { slice in
                    for term in styleTerms where slice.names.contains(term.name) {
                        try accumulateGram(term, slice, into: scratchGram(term), mask: sampled[term.name]?.mask)
                    }
                }
                for term in styleTerms {
                    // Unmasked: the blended Gram. Masked: style `index`'s own Gram × its mask's coverage. A mask over
                    // the style image makes its Gram the mean over that region (÷ the mask's own coverage).
                    let (region, alpha) = styleMasks.isEmpty ? (term.regions[0], blend) : (term.regions[index], Float(term.regions[index].coverage))
                    try backend.axpy(alpha: Float(Double(alpha) / (sampled[term.name]?.coverage ?? 1)), x: scratchGram(term), y: region.target)
                }
            }
            // Masked style images grew the mask scratch to their maps; an evaluation regrows it to the output's, with masks only.
            (scratchBuffers[Self.maskedFeaturesScratch], scratchBuffers[Self.maskRowsScratch]) = (nil, nil)
        }
        if let temporal {
            let count = 3 * height * width
            let (target, elementWeights) = (try backend.makeBuffer(count: count), try backend.makeBuffer(count: count))
            if let values = temporal.target { try backend.upload(values, to: target) }
            if let values = temporal.elementWeights { try backend.upload(values, to: elementWeights) }
            temporalTerm = (target, elementWeights, temporal.weight, slots - 1)
        }
        try backend.finish()
    }

    /// The style terms, each with one region (no masks) or one per mask, its mask reduced to the layer's size.
    private func makeStyleTerms(shapes: [String: FeatureShape], styleMasks: [MaskInput], blendWeights: [Float]) throws {
        if !styleMasks.isEmpty {
            guard styleMasks.count == blendWeights.count else {
                throw GPUStyleError(.usage, "\(styleMasks.count) style masks for \(blendWeights.count) style images: give one mask per style image")
            }
        }
        var masksAtLayers = try styleMasks.map { mask in
            try mask.values.map { try StyleMaskPyramid(values: $0, height: height, width: width) }
        }
        var nextRegionSlot = fixedSlots + weights.contentLayers.count * max(1, runner.bands.count)
        for name in weights.activeStyleLayers {
            let shape = shapes[name]!
            let term = try StyleTerm(name: name, slot: weights.contentLayers.count + weights.styleLayers.firstIndex(of: name)!,
                                     shape: shape, weight: weights.styleWeight(of: name), backend: backend)
            if styleMasks.isEmpty {
                term.regions = [try StyleRegion(slot: term.slot, channels: shape.channels, mask: nil, weight: term.weight, backend: backend)]
            } else {
                for index in masksAtLayers.indices {
                    let mask = try masksAtLayers[index]?.mask(height: shape.height, width: shape.width)
                    let coverage = mask.map(StyleMaskPyramid.meanSquare) ?? 1
                    guard coverage > 0 else {
                        throw GPUStyleError(.usage, "style mask \(index + 1) has no white part left at \(name) (\(shape.width)×\(shape.height)): its style image would paint nowhere; give it a larger white region")
                    }
                    let share = Double(blendWeights[index]) * Double(blendWeights.count)  // 1 each with equal blend weights
                    let slot = index == 0 ? term.slot : nextRegionSlot
                    if index > 0 { nextRegionSlot += 1 }
                    term.regions.append(try StyleRegion(slot: slot, channels: shape.channels, mask: (shape.pixels, mask), coverage: coverage,
                                                        weight: Float(Double(term.weight) * share / coverage), backend: backend))
                }
            }
            styleTerms.append(term)
        }
    }

    /// A style image's mask (`sampledRegion`) at each style layer of that image, on the device, with its mean square
    /// there (1 while planning); empty without a mask. Refuses a mask that is black at a layer.
    private func sampledRegion(of style: NetworkInput, index: Int) throws -> [String: (mask: DeviceBuffer, coverage: Double)] {
        guard let region = style.sampledRegion else { return [:] }
        let shapes = try layerShapes(height: style.height, width: style.width)
        var pyramid = try region.values.map { try StyleMaskPyramid(values: $0, height: style.height, width: style.width) }
        var result: [String: (mask: DeviceBuffer, coverage: Double)] = [:]
        for term in styleTerms {
            let shape = shapes[term.name]!
            let buffer = try backend.makeBuffer(count: shape.pixels)
            var coverage = 1.0
            if let values = try pyramid?.mask(height: shape.height, width: shape.width) {
                coverage = StyleMaskPyramid.meanSquare(values)
                guard coverage > 0 else {
                    throw GPUStyleError(.usage, "the mask over style image \(index + 1) has no white part left at \(term.name) (\(shape.width)×\(shape.height)): no style would be taken from it; give it a larger white region")
                }
                try backend.upload(values, to: buffer)
            }
            result[term.name] = (buffer, coverage)
        }
        return result
    }

    /// The full-size shape of every layer of the network for a `height × width` input.
    private func layerShapes(height: Int, width: Int) throws -> [String: FeatureShape] {
        let shapes = try stepShapes(runner.steps[...], input: FeatureShape(channels: 3, height: height, width: width))
        var result: [String: FeatureShape] = [:]
        for (step, shape) in zip(runner.steps, shapes) { for name in step.names { result[name] = shape.output } }
        return result
    }

    private func upload(_ input: NetworkInput) throws -> DeviceBuffer {
        let buffer = try backend.makeBuffer(count: 3 * input.height * input.width)
        if let values = input.values { try backend.upload(values, to: buffer) }
        return buffer
    }

    /// Loss at `x` (preprocessed image, `3 × height × width`); its gradient is written into `gradient`.
    public func evaluate(_ x: DeviceBuffer, gradient: DeviceBuffer) throws -> LossBreakdown {
        let nContent = weights.contentLayers.count, nStyle = weights.styleLayers.count
        try backend.fill(losses, value: 0)
        for term in styleTerms { for region in term.regions { try backend.fill(region.gram, value: 0) } }
        try timedExcludingLosses(.forward) {
            try runner.forward(x) { slice in
                try timed(.gramLoss) {
                    for term in contentTerms where slice.names.contains(term.name) && !slice.isWhole { try addContentBandLoss(term, slice) }
                    for term in styleTerms where slice.names.contains(term.name) {
                        for region in term.regions { try accumulateGram(term, slice, into: region.gram, mask: region.mask) }
                    }
                }
            }
        }
        try timed(.gramLoss) {
            for term in styleTerms {
                for region in term.regions {
                    try backend.styleLoss(gram: region.gram, target: region.target, channels: term.shape.channels, lossWeight: region.weight,
                                          gradGram: region.gradGram, gradientWeight: weights.normalizeGradients ? 1 : region.weight,
                                          losses: losses, slot: region.slot)
                    region.norm = 0
                }
            }
            for term in contentTerms { term.norm = 0 }
        }
        try timedExcludingLosses(.backward) {
            try runner.backward(into: gradient, revisit: { slice in
                try timed(.gramLoss) { try accumulateBandNorms(slice) }
            }, inject: { slice, grad in
                try timed(.gramLoss) {
                    for term in contentTerms where slice.names.contains(term.name) { try addContent(term, slice, into: grad) }
                    for term in styleTerms where slice.names.contains(term.name) { try addStyle(term, slice, into: grad) }
                }
            })
        }
        try timed(.gramLoss) {
            if weights.tv != 0 {
                try backend.tvLoss(image: x, channels: 3, height: height, width: width, lossWeight: weights.tv,
                                   gradient: gradient, gradientWeight: weights.tv, losses: losses, slot: nContent + nStyle)
            }
            if let term = temporalTerm {
                try backend.weightedContentLoss(features: x, target: term.target, weights: term.weights, count: 3 * height * width,
                                                lossWeight: term.weight, gradient: gradient, gradientWeight: term.weight, losses: losses, slot: term.slot)
            }
        }
        try backend.sumAbs(gradient, losses: losses, slot: gradientNormSlot)
        let values = try backend.download(losses).map(Double.init)  // the one wait of an evaluation
        gradientIsFinite = values[gradientNormSlot].isFinite
        let bands = max(1, runner.bands.count), first = fixedSlots
        let contentValues = (0..<nContent).map { t in values[t] + values[(first + t * bands)..<(first + (t + 1) * bands)].reduce(0, +) }
        var styleValues = Array(values[nContent..<(nContent + nStyle)])
        for term in styleTerms { for region in term.regions.dropFirst() { styleValues[term.slot - nContent] += values[region.slot] } }
        return LossBreakdown(content: contentValues.reduce(0, +), style: styleValues.reduce(0, +), tv: values[nContent + nStyle],
                             temporal: temporalTerm.map { values[$0.slot] },
                             contentLayers: contentValues, styleLayers: styleValues)
    }

    func timed(_ phase: PhaseClock.Phase, _ body: () throws -> Void) throws {
        if let clock { try clock.measure(phase, body) } else { try body() }
    }

    /// Times `body` as `phase`, less the Gram/loss time nested inside it (which is charged to `.gramLoss`).
    private func timedExcludingLosses(_ phase: PhaseClock.Phase, _ body: () throws -> Void) throws {
        guard let clock else { return try body() }
        try backend.finish()
        let lossBefore = clock.seconds[.gramLoss] ?? 0
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        try backend.finish()
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        clock.add(phase, seconds: total - ((clock.seconds[.gramLoss] ?? 0) - lossBefore))
    }

    /// A grow-only scratch buffer per purpose, at least `count` floats.
    func scratch(_ purpose: String, count: Int) throws -> DeviceBuffer {
        if let existing = scratchBuffers[purpose], existing.count >= count { return existing }
        scratchBuffers[purpose] = nil
        let buffer = try backend.makeBuffer(count: count)
        scratchBuffers[purpose] = buffer
        return buffer
    }
}
