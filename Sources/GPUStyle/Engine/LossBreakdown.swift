// LossBreakdown.swift — the weighted loss terms of one evaluation, as printed and reported.

/// Weighted losses of one evaluation: `content` and `style` summed over their layers, `tv` the weighted TV term,
/// `temporal` the weighted temporal term of a video frame (nil when the rendering has none).
public struct LossBreakdown: Sendable, Equatable, Codable {
    public var content: Double
    public var style: Double
    public var tv: Double
    public var temporal: Double?
    /// Per-layer weighted content losses, in `contentLayers` order.
    public var contentLayers: [Double]
    /// Per-layer weighted style losses, in `styleLayers` order.
    public var styleLayers: [Double]

    public var total: Double { content + style + tv + (temporal ?? 0) }
    public var isFinite: Bool { total.isFinite }

    public init(content: Double = 0, style: Double = 0, tv: Double = 0, temporal: Double? = nil, contentLayers: [Double] = [],
                styleLayers: [Double] = []) {
        self.content = content
        self.style = style
        self.tv = tv
        self.temporal = temporal
        self.contentLayers = contentLayers
        self.styleLayers = styleLayers
    }
}
