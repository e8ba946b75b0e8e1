// StylizeOptions.swift — a stylisation request in neural-style's terms, validated before any work starts.
import Foundation

/// What to render and how; `nil` settings take the model's recommended defaults.
public struct StylizeOptions: Sendable {
    public var contentImage: String?
    public var styleImages: [String] = []
    public var styleBlendWeights: [Float]?
    /// One mask per style image, over the content image (`--style-masks`): white where that style paints, black where
    /// it does not, grey for less; empty: every style everywhere, blended.
    public var styleMasks: [String] = []
    /// One mask per style image, over that style image (`--style-image-masks`): white where its style is taken from
    /// (its Gram is the mask-weighted mean over that part); empty: each whole style image.
    public var styleImageMasks: [String] = []
    public var outputImage: String = "out.png"
    /// JPEG quality (1…100) of .jpg outputs and intermediates.
    public var jpegQuality = 95
    /// Longest side of the output (neural-style's `-image_size`).
    public var imageSize: Int = 512
    /// Explicit output size for texture synthesis (content weight 0, no content image).
    public var outputSize: (width: Int, height: Int)?
    public var iterations: Int?
    public var contentWeight: Float?
    public var styleWeight: Float?
    public var tvWeight: Float?
    public var contentLayers: [String]?
    public var styleLayers: [String]?
    /// Each style layer's weight, in `--style-layers` order (`--style-layer-weights`); nil: 1 each.
    public var styleLayerWeights: [Float]?
    public var initialization: Initialization = .random
    public var initImage: String?
    /// `initImage` is the previous content image's result (`--init previous` in a batch), not one the user named.
    public var initImageIsPreviousResult = false
    /// Weight of the temporal loss that ties each frame of a batch after the first to the previous frame's result carried
    /// along the optical flow (`--temporal-weight`, in levels of an 8-bit image; 0: none).
    public var temporalWeight: Float = 0
    /// The frame before this one, when this one follows it (`--temporal-weight`, `--init previous-warped`; set by `ContentBatch`).
    public var previousFrame: PreviousFrame?
    /// Why a frame that would follow the one before it does not (that one has no result): said in a note.
    public var untiedReason: String?
    public var optimizer: OptimizerKind = .lbfgs
    public var learningRate: Float?
    public var lbfgsHistory: Int = 100
    public var normalizeGradients = false
    public var pooling: PoolingMode = .max
    /// Style images are scaled so their longest side is styleScale × imageSize.
    public var styleScale: Float = 1
    public var originalColors = false
    /// Recolour each style image to the content image's colour mean and covariance before transfer (`--match-style-colors`).
    public var matchStyleColors = false
    /// Mirrored margin in pixels rendered around the image on every side and cropped away (`--margin`).
    public var margin = StylizeOptions.defaultMargin
    public static let defaultMargin = 16
    public var seed: UInt64 = 0
    /// Save `<output>_<k>.<ext>` every k iterations (0: never).
    public var saveEvery: Int = 100
    /// With `scales`: also write each coarser scale's result as `<output>_<W>x<H>.<ext>` (`--save-scales`).
    public var saveScales = false
    public var maxPixels: Int = ImageIO.defaultMaxPixels
    /// Coarse-to-fine rendering (`--scales`); nil renders once at `imageSize`.
    public var scales: ScaleSpec?
    /// Iterations per scale (`--scale-iterations`): one per scale, or one value for every scale.
    public var scaleIterations: [Int]?
    /// Device memory to plan for (`--max-memory`); nil: 90% of the device's.
    public var maxMemoryBytes: Int?
    /// How activations are stored (`--memory-plan`).
    public var layout: LayoutChoice = .auto
    /// Draw the loss curves here (.svg or .png) after the run.
    public var plotPath: String?
    /// Where the caller will write the JSON run report (`--report`), checked like the output; nil: none.
    public var reportPath: String?

    public init() {}

    /// The frame before a job's in a batch of frames, whose result the job is tied to along the optical flow.
    public struct PreviousFrame: Sendable, Equatable {
        /// Its content image and its result (as rendered in this process, else the file).
        public var contentImage: String, result: String
        /// Start from that result carried along the flow (`--init previous-warped`), not as it is.
        public var warpsInit: Bool

        public init(contentImage: String, result: String, warpsInit: Bool) {
            (self.contentImage, self.result, self.warpsInit) = (contentImage, result, warpsInit)
        }
    }

    /// Fills unset loss settings from the model's defaults.
    public func resolvedSettings(for model: Model) -> (weights: LossWeights, iterations: Int) {
        let d = model.defaults
        return (LossWeights(content: contentWeight ?? d.contentWeight, style: styleWeight ?? d.styleWeight,
                            tv: tvWeight ?? d.tvWeight, contentLayers: contentLayers ?? d.contentLayers,
                            styleLayers: styleLayers ?? d.styleLayers, normalizeGradients: normalizeGradients,
                            styleLayerWeights: styleLayerWeights),
                iterations ?? d.iterations)
    }

    /// The TV weight at a scale whose longest side is `longestSide`: `--tv-weight` as given, else the model's
    /// default for that size (`StyleDefaults.tvWeight(forLongestSide:)`).
    public func tvWeight(for model: Model, longestSide: Int) -> Float {
        tvWeight ?? model.defaults.tvWeight(forLongestSide: longestSide)
    }

    /// Checks every option that can be checked without reading images; each message names its option.
    public func validate(for model: Model) throws {
        func fail(_ message: String) -> GPUStyleError { GPUStyleError(.usage, message) }
        let (weights, iterations) = resolvedSettings(for: model)
        for (name, value) in [("--content-weight", weights.content), ("--style-weight", weights.style), ("--tv-weight", weights.tv),
                              ("--temporal-weight", temporalWeight)] {
            guard value.isFinite && value >= 0 else { throw fail("\(name) must be a finite number ≥ 0 (got \(value))") }
        }
        guard (1...Self.maxIterations).contains(iterations) else { throw fail("--num-iterations must be 1…\(Self.maxIterations) (got \(iterations))") }
        try validateImageOptions()
        guard styleScale.isFinite && styleScale > 0 else { throw fail("--style-scale must be a finite number > 0 (got \(styleScale))") }
        try LBFGS.checkHistory(lbfgsHistory)
        if scales == nil && scaleIterations != nil { throw fail("--scale-iterations gives the iterations per scale of --scales: add --scales") }
        if let counts = scaleIterations, let big = counts.first(where: { $0 > Self.maxIterations }) {
            throw fail("--scale-iterations must each be 1…\(Self.maxIterations) (got \(big))")
        }
        if self.iterations != nil && scaleIterations != nil {
            throw fail("--num-iterations and --scale-iterations both set the iterations of --scales; give one: --scale-iterations per scale, or --num-iterations for the first scale (half as many at each finer one)")
        }
        if scales == nil && saveScales { throw fail("--save-scales saves the coarser scales of --scales: add --scales") }
        let finest = try scaleSchedule(iterations: iterations).last!.longestSide
        // The style images' longest side at the finest scale; even a one-pixel strip that long passes --max-pixels.
        let styleSide = Double(styleScale) * Double(finest)
        guard styleSide <= Double(maxPixels) else {
            throw fail("--style-scale \(styleScale) makes the style images \(String(format: "%.3g", styleSide)) px long at the \(finest)-px scale, over the --max-pixels limit of \(maxPixels); use a smaller --style-scale")
        }
        if let bytes = maxMemoryBytes, bytes < 1 << 20 { throw fail("--max-memory must be at least 1 MiB (got \(bytes) bytes)") }
        guard saveEvery >= 0 else { throw fail("--save-iter must be ≥ 0 (got \(saveEvery))") }
        if let lr = learningRate, !(lr.isFinite && lr > 0) { throw fail("--learning-rate must be > 0 (got \(lr))") }
        let names = Set(model.architecture.layers.map(\.name))
        for (option, layers) in [("--content-layers", weights.contentLayers), ("--style-layers", weights.styleLayers)] {
            for layer in layers where !names.contains(layer) {
                throw fail("\(option): unknown layer '\(layer)'; \(model.architecture.rawValue) has \(model.architecture.layers.map(\.name).joined(separator: ","))")
            }
            if Set(layers).count != layers.count { throw fail("\(option) names a layer twice: \(layers.joined(separator: ","))") }
        }
        if weights.content > 0 && weights.contentLayers.isEmpty { throw fail("--content-layers is empty but --content-weight is \(weights.content)") }
        if weights.style > 0 && weights.styleLayers.isEmpty { throw fail("--style-layers is empty but --style-weight is \(weights.style)") }
        if let layerWeights = weights.styleLayerWeights {
            guard layerWeights.count == weights.styleLayers.count else {
                throw fail("--style-layer-weights has \(layerWeights.count) value\(layerWeights.count == 1 ? "" : "s") for \(weights.styleLayers.count) style layer\(weights.styleLayers.count == 1 ? "" : "s") (\(weights.styleLayers.joined(separator: ",")))")
            }
            guard layerWeights.allSatisfy({ $0.isFinite && $0 >= 0 }), layerWeights.contains(where: { $0 > 0 }) else {
                throw fail("--style-layer-weights must be ≥ 0 with at least one above 0 (got \(layerWeights.map { "\($0)" }.joined(separator: ",")))")
            }
        }
        if weights.content == 0 && weights.style == 0 { throw fail("--content-weight and --style-weight are both 0: nothing to optimise") }
        if weights.style > 0 && styleImages.isEmpty { throw fail("--style-image is required (or set --style-weight 0)") }
        if weights.content > 0 && contentImage == nil { throw fail("--content-image is required (or set --content-weight 0 and give --output-size)") }
        if contentImage == nil && outputSize == nil { throw fail("--output-size WxH is required without --content-image") }
        if contentImage != nil && outputSize != nil {
            throw fail("--output-size is for texture synthesis without --content-image; with a content image the size comes from --image-size")
        }
        if let size = outputSize {
            guard size.width >= 16 && size.height >= 16 && size.width <= 32768 && size.height <= 32768 else {
                throw fail("--output-size must be 16…32768 on each side (got \(size.width)×\(size.height))")
            }
            guard size.width * size.height <= maxPixels else { throw fail("--output-size \(size.width)×\(size.height) is over the --max-pixels limit of \(maxPixels)") }
        }
        if matchStyleColors && contentImage == nil { throw fail("--match-style-colors recolours the style images to the content image's: add --content-image") }
        if originalColors && contentImage == nil {
            throw fail("--original-colors keeps the content image's colours, and texture synthesis has none; drop --original-colors")
        }
        if matchStyleColors && originalColors {
            throw fail("--match-style-colors and --original-colors are two ways to keep the content's colours; choose one")
        }
        if initialization == .image && contentImage == nil && initImage == nil { throw fail("--init image needs --content-image or --init-image") }
        if initialization == .random && initImage != nil { throw fail("--init-image starts from an image, but --init is random; drop --init random or --init-image") }
        if let blend = styleBlendWeights {
            guard blend.count == styleImages.count else {
                let listed = styleImages.count <= 12 ? ": " + styleImages.joined(separator: ", ") : " (the first: \(styleImages[0]))"
                throw fail("--style-blend-weights has \(blend.count) value\(blend.count == 1 ? "" : "s") for \(styleImages.count) style image\(styleImages.count == 1 ? "" : "s")\(listed)")
            }
            guard blend.allSatisfy({ $0.isFinite && $0 >= 0 }), blend.reduce(0, +) > 0 else {
                throw fail("--style-blend-weights must be ≥ 0 with a positive sum (got \(blend.map { "\($0)" }.joined(separator: ",")))")
            }
        }
        try validateMasks(weights: weights)
        try validateInputsReadable()
        if let plotPath, !["svg", "png"].contains((plotPath as NSString).pathExtension.lowercased()) {
            throw fail("--plot \(plotPath): use a .svg or .png name")
        }
        try validateOutputPath()
    }

    /// `--style-masks` (over the content) and `--style-image-masks` (over each style image): one mask per style
    /// image, in their order, and a style loss for them to steer.
    private func validateMasks(weights: LossWeights) throws {
        let kinds = [("--style-masks", styleMasks, "say where each style image paints", ""),
                     ("--style-image-masks", styleImageMasks, "say which part of each style image gives its style", ", each drawn over its style image")]
        for (option, masks, purpose, drawn) in kinds where !masks.isEmpty {
            guard weights.style > 0 else { throw GPUStyleError(.usage, "\(option) \(purpose), but --style-weight is 0: drop \(option)") }
            guard masks.count == styleImages.count else {
                let listed = styleImages.count <= 12 ? ": " + styleImages.joined(separator: ", ") : " (the first: \(styleImages[0]))"
                throw GPUStyleError(.usage, "\(option) has \(masks.count) mask\(masks.count == 1 ? "" : "s") for \(styleImages.count) style image\(styleImages.count == 1 ? "" : "s")\(listed); give one mask per style image, in that order\(drawn)")
            }
        }
    }

    /// The ranges shared with `gpustyle reconstruct`: `imageSize`, `jpegQuality`, `margin`, `maxPixels`.
    public func validateImageOptions() throws {
        func fail(_ message: String) -> GPUStyleError { GPUStyleError(.usage, message) }
        guard imageSize >= 16 && imageSize <= 32768 else { throw fail("--image-size must be 16…32768 px (got \(imageSize))") }
        guard (1...100).contains(jpegQuality) else { throw fail("--jpeg-quality must be 1…100 (got \(jpegQuality))") }
        guard (0...256).contains(margin) else { throw fail("--margin must be 0…256 pixels (got \(margin))") }
        guard maxPixels >= 1 else { throw fail("--max-pixels must be at least 1 (got \(maxPixels))") }
    }

    /// Every input image exists and is readable: a missing file is a usage error naming its option (exit 64).
    public func validateInputsReadable() throws {
        for (option, path) in inputPaths where access(path, R_OK) != 0 {
            throw GPUStyleError(.usage, "\(option) \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Every input image with the option that named it (not the previous frame's result a frame starts from: another
    /// job's output, which `--plan-only` plans for before it exists).
    var inputPaths: [(option: String, path: String)] {
        [("--content-image", contentImage), ("--init-image", initImageIsPreviousResult ? nil : initImage)].compactMap { o, p in p.map { (o, $0) } }
            + styleImages.map { ("--style-image", $0) } + styleMasks.map { ("--style-masks", $0) }
            + styleImageMasks.map { ("--style-image-masks", $0) }
    }

    /// The output must be a .png/.jpg/.jpeg in a writable folder, and not one of the inputs; the same
    /// goes for the report and the plot, which must not be the output either. No input may have the name of
    /// an image the run derives from the output (`--save-iter`, the interrupt save, `--save-scales`).
    public func validateOutputPath() throws {
        let ext = (outputImage as NSString).pathExtension.lowercased()
        guard ["png", "jpg", "jpeg"].contains(ext) else {
            throw GPUStyleError(.usage, "--output-image \(outputImage): use a .png, .jpg or .jpeg name")
        }
        let written = writtenPaths
        for (index, (option, path)) in written.enumerated() {
            let clashes = inputPaths + written.prefix(index)
            if let clash = clashes.first(where: { Self.sameFile($0.path, path) }) {
                let named = clash.path == path ? "" : " \(clash.path)"
                throw GPUStyleError(.usage, "\(option) \(path) is the same file as \(clash.option)\(named); choose another name")
            }
            // The output's folder also gets NAME_N / NAME_WxH beside it (`--save-iter`, an interrupt, `--save-scales`).
            try Self.checkWritable(path, option: option, derivedSuffixBytes: option == "--output-image" ? Self.derivedSuffixBytes : 0)
        }
        if let clash = inputPaths.first(where: { isDerivedOutput($0.path) }) {
            let ns = outputImage as NSString
            throw GPUStyleError(.usage, "\(clash.option) \(clash.path) has the name of an image this run may write beside --output-image \(outputImage) (\((ns.lastPathComponent as NSString).deletingPathExtension)_N.\(ns.pathExtension) for --save-iter or an interrupt, _WxH with --save-scales) and would be overwritten; choose another --output-image\(clash.option == "--init-image" ? ", or go on from a copy of it under another name" : "")")
        }
    }

    /// Whether `path` is `<output>_<N>.<ext>` or `<output>_<W>x<H>.<ext>` (the same folder, after resolving links).
    func isDerivedOutput(_ path: String) -> Bool {
        let output = Self.resolvedURL(outputImage), input = Self.resolvedURL(path)
        guard input.deletingLastPathComponent().path == output.deletingLastPathComponent().path,
              input.pathExtension == output.pathExtension else { return false }
        return Self.stemWithoutDerivedSuffix(input.deletingPathExtension().lastPathComponent) == output.deletingPathExtension().lastPathComponent
    }

    /// `name` without the `_<N>` or `_<W>x<H>` that intermediates and `--save-scales` images add to the output's
    /// name; nil when it has neither.
    static func stemWithoutDerivedSuffix(_ name: String) -> String? {
        guard let underscore = name.lastIndex(of: "_") else { return nil }
        let suffix = name[name.index(after: underscore)...].split(separator: "x", omittingEmptySubsequences: false)
        guard (1...2).contains(suffix.count), suffix.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        return String(name[..<underscore])
    }

    /// `path` absolute, with `.`/`..` and links resolved.
    static func resolvedURL(_ path: String) -> URL { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath() }

    static func sameFile(_ a: String, _ b: String) -> Bool { resolvedURL(a).path == resolvedURL(b).path }

    /// `path` must not be a folder, and its folder must exist and take a new file: checked by creating and
    /// removing one, which also catches read-only file systems and folders that refuse even root.
    /// Its name, with `derivedSuffixBytes` more for names derived from it, must fit the file system's name limit.
    public static func checkWritable(_ path: String, option: String, derivedSuffixBytes: Int = 0) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw GPUStyleError(.usage, "\(option) \(path) is a folder; give a file name")
        }
        let parent = path.parentPath
        let folder = parent.isEmpty ? "." : parent
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw GPUStyleError(.usage, "\(option) \(path): the folder \(folder) does not exist")
        }
        guard isDirectory.boolValue else { throw GPUStyleError(.usage, "\(option) \(path): \(folder) is not a folder") }
        let limit = pathconf(folder, Int32(_PC_NAME_MAX)), name = path.fileName
        let nameBytes = name.utf8.count
        if limit > 0 && nameBytes + derivedSuffixBytes > limit {
            let derived = derivedSuffixBytes == 0 ? "" : ", and the images written beside it (_N, _WxH before the extension) need \(derivedSuffixBytes) more"
            throw GPUStyleError(.usage, "\(option) \(path): the file name is \(nameBytes) bytes\(derived), over the \(limit) that the file system in \(folder) allows; use a shorter name")
        }
        let probe = "\(folder)/.gpustyle-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw GPUStyleError(.usage, "\(option) \(path): the folder \(folder) is not writable (\(String(cString: strerror(errno))))")
        }
        close(descriptor)
        unlink(probe)
    }

    /// The most iterations a run (or a scale) may ask for: days of work at any size, and sums of them stay far from overflow.
    public static let maxIterations = 1_000_000_000

    /// Room kept in the output's name for `_<N>` (up to 11 digits) and `_<W>x<H>` (5-digit sides).
    static let derivedSuffixBytes = 12

    /// Blend weights normalised to sum 1 (equal when not given).
    public var normalizedBlendWeights: [Float] {
        let raw = styleBlendWeights ?? [Float](repeating: 1, count: styleImages.count)
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }

    /// `<output>_<iteration>.<ext>` (neural-style's intermediate names).
    public func intermediatePath(iteration: Int) -> String {
        let ns = outputImage as NSString
        return "\(ns.deletingPathExtension)_\(iteration).\(ns.pathExtension)"
    }

    /// `<output>_<W>x<H>.<ext>`: a coarser scale's result (`--save-scales`).
    public func scalePath(width: Int, height: Int) -> String {
        let ns = outputImage as NSString
        return "\(ns.deletingPathExtension)_\(width)x\(height).\(ns.pathExtension)"
    }
}
