// RunReport.swift — the JSON written by --report: what ran where, how long it took, and the loss history.
import Foundation

/// One row of the loss history (weighted sums, as printed).
public struct LossRecord: Codable, Sendable, Equatable {
    public let iteration: Int
    public let content: Double
    public let style: Double
    public let tv: Double
    /// The weighted temporal loss of a video frame tied to the previous one (absent otherwise).
    public let temporal: Double?
    public let total: Double

    public init(iteration: Int, losses: LossBreakdown) {
        self.iteration = iteration
        content = losses.content
        style = losses.style
        tv = losses.tv
        temporal = losses.temporal
        total = losses.total
    }
}

/// The report of a stylisation (`--report FILE`).
public struct RunReport: Codable, Sendable {
    public var backend: String
    public var device: String
    /// How the convolutions multiplied: "fp32", or OpenCL's `--precision` ("tf32x3", "tf32").
    public var precision: String
    public var model: String
    public var width: Int
    public var height: Int
    public var iterations: Int
    public var seconds: Double
    public var secondsPerIteration: Double
    public var peakDeviceMemoryBytes: Int
    /// Every iteration of every scale, numbered on across scales (a scale's first is its `first_iteration`).
    public var history: [LossRecord]
    public var final: LossRecord
    public var seed: UInt64
    public var optimizer: String
    /// The image written (absolute); absent when the run was interrupted (then nothing was written there).
    public var output: String?
    /// Non-finite steps that were rejected and retried (over all scales).
    public var recoveries: Int
    /// The memory plan of the last (full-size) scale.
    public var memoryPlan: String
    /// Each scale of a coarse-to-fine run, coarse first (one entry without `--scales`); `final` is the last's.
    public var scales: [ScaleReport]
    /// The inputs and loss weights the run used (absolute paths, style folders expanded, blend weights normalised to
    /// sum 1; no style images or layers with `--style-weight 0`, no content layers with `--content-weight 0`).
    public var contentImage: String?
    public var styleImages: [String]
    public var styleBlendWeights: [Float]
    public var contentWeight: Float
    public var styleWeight: Float
    public var contentLayers: [String]
    public var styleLayers: [String]
    /// Each style layer's weight (`--style-layer-weights`, in `styleLayers` order); absent: 1 each.
    public var styleLayerWeights: [Float]?
    /// `--style-masks` (absolute paths, one per style image); absent without masks.
    public var styleMasks: [String]?
    /// `--style-image-masks` (absolute paths, one per style image); absent without them.
    public var styleImageMasks: [String]?
    /// Whose colours the result has: "style" (plain transfer), "original" (`--original-colors`: the content's
    /// chrominance) or "matched" (`--match-style-colors`: style images recoloured to the content's statistics).
    public var colors: String = "style"
    /// How the first scale started: "random" or "image" (`--init`), and from which file (`--init-image`; absent: the content).
    public var initialization: String = "random"
    public var initImage: String?
    /// The settings besides the inputs and weights that shape the result: `--pooling`, `--normalize-gradients`,
    /// `--style-scale`, `--margin`, and the step size (`--learning-rate`: L-BFGS's factor, or Adam's step in 8-bit levels).
    public var pooling: String = "max"
    public var normalizeGradients = false
    public var styleScale: Float = 1
    public var margin = StylizeOptions.defaultMargin
    public var learningRate: Float = 1
    /// true when the run was interrupted (SIGINT/SIGTERM/SIGHUP): the report covers the iterations done; absent otherwise.
    public var interrupted: Bool?
    /// An interrupted run's image so far (`NAME_K.EXT`), when one was saved.
    public var savedImage: String?
    /// `--temporal-weight` (absent when 0), and how this frame was tied to the previous one (absent for a frame that was not).
    public var temporalWeight: Float?
    public var temporal: TemporalReport?
    /// The gpustyle release that wrote the report.
    public var version = gpustyleVersion

    enum CodingKeys: String, CodingKey {
        case backend, device, precision, model, width, height, iterations, seconds
        case secondsPerIteration = "seconds_per_iteration"
        case peakDeviceMemoryBytes = "peak_device_memory_bytes"
        case history, final, seed, optimizer, output, recoveries, scales
        case memoryPlan = "memory_plan"
        case contentImage = "content_image", styleImages = "style_images", styleBlendWeights = "style_blend_weights"
        case contentWeight = "content_weight", styleWeight = "style_weight"
        case contentLayers = "content_layers", styleLayers = "style_layers", colors, interrupted, savedImage = "saved_image", version = "gpustyle_version"
        case styleLayerWeights = "style_layer_weights", styleMasks = "style_masks", styleImageMasks = "style_image_masks"
        case initialization = "init", initImage = "init_image"
        case pooling, normalizeGradients = "normalize_gradients", styleScale = "style_scale", margin, learningRate = "learning_rate"
        case temporalWeight = "temporal_weight", temporal
    }

    /// Pretty-printed JSON, keys sorted.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// One scale of a run: its size, iterations, time, last losses, memory plan, TV weight and how much the style was enlarged.
public struct ScaleReport: Codable, Sendable {
    public var width: Int
    public var height: Int
    /// The run-wide number of this scale's first iteration (as in `history` and the `--save-iter` names).
    public var firstIteration: Int
    public var iterations: Int
    public var seconds: Double
    public var final: LossRecord
    public var memoryPlan: String
    /// The plan's predicted peak and the budget it was made for (`--max-memory`, or 90% of the device's memory).
    public var plannedPeakBytes: Int, budgetBytes: Int
    public var lbfgsHistory: Int?
    /// The TV weight this scale rendered with (the model's default scales with the size; `--tv-weight` does not).
    public var tvWeight: Float
    /// How much the most enlarged style image was scaled up at this scale (absent when none was enlarged).
    public var styleEnlargement: Double?

    enum CodingKeys: String, CodingKey {
        case width, height, iterations, seconds, final
        case firstIteration = "first_iteration"
        case memoryPlan = "memory_plan", plannedPeakBytes = "planned_peak_bytes", budgetBytes = "budget_bytes"
        case lbfgsHistory = "lbfgs_history"
        case tvWeight = "tv_weight"
        case styleEnlargement = "style_enlargement"
    }
}

/// The release this build is (`gpustyle --version`, and every report's `gpustyle_version`).
public let gpustyleVersion = "0.9.0"
