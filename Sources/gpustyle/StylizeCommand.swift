// StylizeCommand.swift — `gpustyle stylize` (the default): neural-style's options in kebab-case.
import ArgumentParser
import Foundation
import GPUStyle

extension OptimizerKind: ExpressibleByArgument {}
extension PoolingMode: ExpressibleByArgument {}

/// `--init`: the engine's starts, and `previous` / `previous-warped` for a batch of frames.
enum InitChoice: String, CaseIterable, ExpressibleByArgument {
    case random, image, previous
    case previousWarped = "previous-warped"

    /// Also artistic-videos' names: `prev`, `prevWarped`.
    init?(argument: String) {
        switch argument {
        case "prev": self = .previous
        case "prevWarped", "prev-warped": self = .previousWarped
        default: self.init(rawValue: argument)
        }
    }
}

struct StylizeCommand: ParsableCommand {
    /// `--temporal-weight` with `--init previous-warped` when not given: as steady as artistic-videos' 1e3 (1.22 against
    /// 1.17 levels of flow-compensated change between frames, README) at a lower style and content loss.
    static let defaultTemporalWeight: Float = 200

    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Paint a content image in the style of one or more style images.")

    @Option(parsing: .singleValue, help: "The photograph to stylise; several (repeat the option, or separate paths with commas) or a folder of .png/.jpg images render in turn, each to --output-image with {name} (its file name) or into a folder (results/).")
    var contentImage: [String] = []
    @Option(parsing: .singleValue, help: "Style image(s): repeat the option or separate paths with commas; a folder stands for its .png/.jpg images, sorted by name (not this run's content or output images).")
    var styleImage: [String] = []
    @Option(help: "Comma-separated weights for blending several styles (normalised to sum 1; default equal).")
    var styleBlendWeights: String?
    @Option(help: "Comma-separated masks, one per style image (in --style-image order), each drawn over the content image: white where that style paints, black where it does not, grey for less (any size, the content's proportions).")
    var styleMasks: String?
    @Option(help: "Comma-separated masks, one per style image (in --style-image order), each drawn over its style image: white where its style is taken from, black where not (its Gram is the mean over the white part; any size, that image's proportions).")
    var styleImageMasks: String?
    @Option(help: "Where to write the result (.png, .jpg); intermediates go to NAME_<iteration>.EXT. {name} stands for the content image's file name; a folder (results/) for FOLDER/{name}.png.")
    var outputImage = "out.png"
    @Flag(help: "Leave out the content images whose --output-image is already there (to go on with an interrupted batch).")
    var skipExisting = false
    @Option(help: "JPEG quality 1…100 for .jpg outputs (default: 95).") var jpegQuality: Int?
    @Option(help: "Longest side of the output, in pixels (default 512, or the last of --scales).") var imageSize: Int?
    @Option(help: "Output size WxH for texture synthesis (with --content-weight 0 and no content image).")
    var outputSize: String?
    @Option(help: "Iterations (default: the model's recommendation).") var numIterations: Int?
    @Option(help: "Content loss weight (default: the model's).") var contentWeight: Float?
    @Option(help: "Style loss weight (default: the model's).") var styleWeight: Float?
    @Option(help: "Total-variation weight, used at every size (default: the model's; the default model's 3e-6 falls as (512/side)² above 512 px).") var tvWeight: Float?
    @Option(help: "Comma-separated content layers (default: the model's, e.g. relu4_2).") var contentLayers: String?
    @Option(help: "Comma-separated style layers (default: the model's, e.g. relu1_1,…,relu5_1).") var styleLayers: String?
    @Option(help: "Comma-separated weight of each style layer, in --style-layers order (default 1 each; 0 leaves a layer out): the style loss is their weighted sum.")
    var styleLayerWeights: String?
    @Option(name: .customLong("init"), help: "Start from noise (random), from the content/--init-image (image), or, in a batch of frames, from the previous image's result as it is (previous) or carried along the optical flow between the two frames (previous-warped); the first frame from the content/--init-image (default: image with --init-image, else random).")
    var initialization: InitChoice?
    @Option(help: "Starting image (implies --init image).") var initImage: String?
    @Option(help: "In a batch of frames: weight of the loss that ties each frame after the first to the previous frame's result carried along the optical flow, where that flow is trusted (in 8-bit levels, as artistic-videos' -temporal_weight; default 200 with --init previous-warped, else 0).")
    var temporalWeight: Float?
    @Option(help: "lbfgs or adam.") var optimizer: OptimizerKind = .lbfgs
    @Option(help: "Step size: for L-BFGS a factor on each step (default 1); for Adam in levels of an 8-bit image (0…255), whatever the model's preprocessing (default 10, as neural-style).") var learningRate: Float?
    @Option(help: "L-BFGS history length (default 100; memory: 2 × this × 3 × width × height floats; shortened, and said, where --max-memory cannot hold it).") var lbfgsHistory: Int?
    @Flag(help: "Divide each loss's gradient by its L1 norm before weighting.") var normalizeGradients = false
    @Option(help: "max or avg pooling.") var pooling: PoolingMode = .max
    @Option(help: "Scale of the style images relative to --image-size (below 1: smaller strokes, above 1: larger).") var styleScale: Float = 1
    @Flag(help: "Keep the content image's colours (luminance transfer).") var originalColors = false
    @Flag(help: "Recolour the style images to the content image's colour mean and covariance before transfer (colour histogram matching, Gatys et al. 2016); the alternative to --original-colors.")
    var matchStyleColors = false
    @Option(help: "Mirrored margin in pixels rendered around the image and cropped away: keeps the convolutions' border effects out of the result (0: none).")
    var margin = StylizeOptions.defaultMargin
    @Option(help: "Random seed (default: random; the report records it).") var seed: UInt64?
    @Option(help: "Print progress every N iterations (JSON mode).") var printIter = 50
    @Option(help: "Save an intermediate image every N iterations (0: never; default 100, none in a batch of content images).") var saveIter: Int?
    @Option(help: "Refuse input images with more pixels than this.") var maxPixels = ImageIO.defaultMaxPixels
    @Option(help: "Coarse-to-fine: longest sides to render in turn (e.g. 512,1024,2048), or a number of scales (1…16) that double up to --image-size; each starts from the previous result, upscaled.")
    var scales: String?
    @Option(help: "Iterations at each scale, comma-separated, or one value for all (default: --num-iterations at the first scale, half as many at each finer one).")
    var scaleIterations: String?
    @Flag(help: "With --scales: also write each coarser scale's result as NAME_<W>x<H>.EXT beside --output-image.")
    var saveScales = false
    @OptionGroup var memoryOptions: MemoryOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "auto (bar on a terminal, JSON lines otherwise), bar, json or none.") var progress: ProgressStyle = .auto
    @Option(help: "Write a JSON report (timings, memory, loss history) here.") var report: String?
    @Option(help: "Draw content, style, TV (and temporal) loss per iteration into this .svg or .png.") var plot: String?
    @Flag(help: "Print each scale's size and memory plan (predicted peak within --max-memory) and stop: render and write nothing.")
    var planOnly = false

    func run() throws {
        let reporter = ProgressReporter(style: progress, printEvery: max(printIter, 0))
        try reporter.endingWithErrorEvent {
            guard printIter >= 0 else { throw GPUStyleError(.usage, "--print-iter must be ≥ 0 (0: no periodic progress lines; got \(printIter))") }
            // The command line first: a typo is reported before the device starts.
            let contentImages = try contentImage.flatMap { value -> [String] in
                if value.isEmpty { throw GPUStyleError(.usage, "--content-image is empty; give an image file or a folder of them") }
                return try parsePaths(value, option: "--content-image")
            }
            let options = try stylizeOptions()
            let batch = try ContentBatch(base: options, contentImages: contentImages, skipExisting: skipExisting, saveEveryInBatch: saveIter ?? 0,
                                         initFromPrevious: initialization == .previous, warpsPrevious: initialization == .previousWarped)
            let progress = BatchProgress(reporter: reporter, batch: batch)
            batch.notes.forEach(progress.note)
            progress.announceSkipped()
            guard !batch.jobs.isEmpty else { return progress.finish(rendered: 0) }

            // A signal while the device starts or the model is read stops the run once that is done, with its error
            // event (a rendering polls the same flag at every iteration); --plan-only keeps the default handling.
            let cancellation = CancellationFlag()
            let signals = planOnly ? nil : SignalWatcher(onSignal: { cancellation.cancel() })
            defer { withExtendedLifetime(signals) {} }
            let (backend, model) = try cancellation.openDeviceAndModel(backendOptions, self.model)
            for job in batch.jobs { try job.validate(for: model) }  // every image's paths before the first renders
            try batch.checkSharedImages(styles: options.resolvedSettings(for: model).weights.style > 0)
            // Said once the options passed their checks (a bad option is the one line on stderr).
            let unusedImageSize = outputSize != nil && imageSize != nil && contentImages.isEmpty
            var notes = unusedImageSize ? ["--image-size is not used: without a content image, --output-size gives the result's size"] : []
            if lbfgsHistory != nil && optimizer == .adam { notes.append("--lbfgs-history is not used: --optimizer adam keeps no history") }
            if jpegQuality != nil && ImageFormat(pathExtensionOf: outputImage) != .jpeg {
                notes.append("--jpeg-quality is not used: --output-image \(outputImage) is a PNG, written losslessly; name it .jpg for a JPEG")
            }
            if planOnly {
                try planAll(batch, on: backend, model: model, progress: progress, notes: notes)
            } else {
                try renderAll(batch, on: backend, model: model, progress: progress, notes: notes, cancellation: cancellation)
            }
        }
    }

    /// The command line as `StylizeOptions` (without the content images: `ContentBatch` gives each job its own).
    private func stylizeOptions() throws -> StylizeOptions {
        var options = StylizeOptions()
        options.styleImages = try styleImage.flatMap { try parsePaths($0, option: "--style-image") }
        options.styleBlendWeights = try styleBlendWeights.map { try parseFloats($0, option: "--style-blend-weights") }
        options.styleMasks = try styleMasks.map { try parsePaths($0, option: "--style-masks") } ?? []
        options.styleImageMasks = try styleImageMasks.map { try parsePaths($0, option: "--style-image-masks") } ?? []
        options.outputImage = outputImage
        if let jpegQuality { options.jpegQuality = jpegQuality }
        options.scales = try scales.map { try ScaleSpec(parsing: $0) }
        if case .sides(let sides)? = options.scales, imageSize == nil { options.imageSize = sides.last! } else { options.imageSize = imageSize ?? 512 }
        options.scaleIterations = try scaleIterations.map { try parseList($0, option: "--scale-iterations").map {
            guard let n = Int($0) else { throw GPUStyleError(.usage, "--scale-iterations: '\($0)' is not a whole number") }
            return n
        } }
        options.maxMemoryBytes = try memoryOptions.maxMemoryBytes()
        options.layout = try memoryOptions.layout()
        options.outputSize = try outputSize.map(parseSize)
        options.iterations = numIterations
        options.contentWeight = contentWeight
        options.styleWeight = styleWeight
        options.tvWeight = tvWeight
        options.contentLayers = try contentLayers.map { try parseList($0, option: "--content-layers") }
        options.styleLayers = try styleLayers.map { try parseList($0, option: "--style-layers") }
        options.styleLayerWeights = try styleLayerWeights.map { try parseFloats($0, option: "--style-layer-weights") }
        // --init previous: the first image starts from --init-image or its content image, the others from the result before.
        options.initialization = initialization.map { $0 == .random ? .random : .image } ?? (initImage == nil ? .random : .image)
        options.temporalWeight = temporalWeight ?? (initialization == .previousWarped ? Self.defaultTemporalWeight : 0)
        options.initImage = initImage
        options.optimizer = optimizer
        options.learningRate = learningRate
        if let lbfgsHistory { options.lbfgsHistory = lbfgsHistory }
        options.normalizeGradients = normalizeGradients
        options.pooling = pooling
        options.styleScale = styleScale
        options.originalColors = originalColors
        options.matchStyleColors = matchStyleColors
        options.margin = margin
        options.seed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        if let saveIter { options.saveEvery = saveIter }  // else StylizeOptions' default (a batch: none, `ContentBatch`)
        options.saveScales = saveScales
        options.maxPixels = maxPixels
        options.plotPath = plot
        options.reportPath = report
        return options
    }

    /// `--plan-only`: each job's plans, nothing rendered.
    private func planAll(_ batch: ContentBatch, on backend: Backend, model: Model, progress: BatchProgress, notes: [String]) throws {
        let networks = PreparedNetworkCache()
        var given = Set<String>()  // a note that holds for every image of a batch (a shared style image's) once
        for index in batch.jobs.indices {
            let options = batch.planned(index)  // a frame tied to the one before it plans the temporal term's buffers
            let job = try StylizeJob(options: options, backend: backend, model: model, networks: networks)
            job.onNote = { note in if given.insert(note).inserted { printError("gpustyle: note: " + note) } }
            notes.forEach(job.onNote)
            let count = try progress.within(index, options) {  // memory_plan events name their image, as in a rendering
                try printPlans(of: job, prefix: progress.prefix(index, options), reporter: progress.reporter)
            }
            progress.emit(["event": "done", "plan_only": true, "scales": count], index, options)
        }
        progress.finish(rendered: 0, planOnly: true)
    }

    /// Renders every job; `--backend auto` promised a result, so an OpenCL failure mid-run falls back to the CPU
    /// backend, which then renders the rest of a batch too.
    private func renderAll(_ batch: ContentBatch, on backend: Backend, model: Model, progress: BatchProgress, notes: [String],
                           cancellation: CancellationFlag) throws {
        let reporter = progress.reporter, networks = PreparedNetworkCache(), lastResult = LastResult()
        var given = Set<String>()  // each note once: a shared style image's holds for every image of a batch, and a fallback reruns
        func render(_ options: StylizeOptions, index: Int, on backend: Backend) throws -> RunReport {
            let job = try StylizeJob(options: options, backend: backend, model: model, cancellation: cancellation, networks: networks,
                                     lastResult: lastResult)
            progress.emit(["event": "start", "backend": backend.kind, "device": backend.deviceName, "model": model.name, "seed": options.seed,
                                   "version": gpustyleVersion], index, options)
            if progress.inBatch && reporter.style == .bar { printError("\(progress.prefix(index, options))→ \(options.outputImage)") }
            job.onPlan = { step, plan in reporter.announce(step: step, plan: plan) }
            job.onNote = { note in if given.insert(note).inserted { progress.note(note) } }
            notes.forEach(job.onNote)
            defer { reporter.finish() }
            return try progress.within(index, options) { try job.run { reporter.report($0) } }
        }
        var current = backend
        var inProgress: (index: Int, options: StylizeOptions)?  // the image an error that stops the batch came from
        var taken = 0  // images another process finished or held (--skip-existing)
        defer { if let inProgress { reporter.context = progress.context(inProgress.index, inProgress.options) } }  // for the error event
        _ = try batch.renderAll({ index, options in
            inProgress = (index, options)
            let fallback: (() throws -> Backend)? = backendOptions.backend == .auto && current.kind != "cpu"
                ? { current = CPUBackend(threads: backendOptions.threads); return current } : nil
            let result = try runWithFallback(on: current, fallback: fallback, warn: {
                printError("gpustyle: warning: " + $0)
                progress.emit(["event": "fallback", "reason": $0], index, options)
            }) { try render(options, index: index, on: $0) }
            var done: [String: Any] = ["event": "done", "output": result.output ?? "", "seconds": result.seconds,
                                       "seconds_per_iteration": result.secondsPerIteration, "final_total": result.final.total]
            if let tie = result.temporal {  // a frame tied to the one before it: how well the flow held
                (done["trusted_fraction"], done["mean_motion_pixels"], done["cut"]) = (tie.trustedFraction, tie.meanMotionPixels, tie.cut)
            }
            progress.emit(done, index, options)
            if reporter.style == .bar {
                printError(String(format: "%@wrote %@ (%d×%d, %d iterations, %.1f s, %.3f s/iteration, %@ on %@)", progress.prefix(index, options), result.output ?? "",
                                  result.width, result.height, result.iterations, result.seconds, result.secondsPerIteration, result.backend, result.device))
            }
            inProgress = nil
            return result
        }, isInterrupted: { cancellation.isSet }, onFailure: { index, options, error in
            inProgress = nil  // the batch goes on
            printError("gpustyle: error: \(ContentBatch.naming(options, error)) (going on with the next content image)")
            progress.emit(["event": "failed", "kind": error.kind.rawValue, "exit_code": error.kind.exitCode, "message": error.message], index, options)
        }, onTaken: { index, options, reason in
            taken += 1
            progress.announceTaken(index, options, reason: reason)
        }, finished: { rendered, failed in progress.finish(rendered: rendered, failed: failed, taken: taken) })
    }
}

extension StylizeCommand {
    /// Prints each scale's plan as it is made (so that when the finest does not fit, the ones that do come before the
    /// error): lines on a terminal, `memory_plan` events in JSON. Returns the number of scales.
    func printPlans(of job: StylizeJob, prefix: String, reporter: ProgressReporter) throws -> Int {
        let backend = job.backend, model = job.model
        let count = try job.renderedSchedule().count
        let json = reporter.style == .json
        if !json { print("\(prefix)\(backend.kind) on \(backend.deviceName), \(model.name): \(count) scale\(count == 1 ? "" : "s") (predicted, nothing rendered)") }
        var index = 0
        _ = try job.plans { scale in
            index += 1
            if json { return reporter.announce(step: scale.step, plan: scale.plan) }
            print("  \(index)/\(count) \(scale.width)×\(scale.height) (canvas \(scale.canvasWidth)×\(scale.canvasHeight)), \(scale.step.iterations) iterations: memory plan \(scale.plan.summary)")
            fflush(nil)
        }
        return count
    }
}

/// "a,b,c" → ["a", "b", "c"], "" → [] (spaces trimmed unless `trimming` is false; one trailing comma allowed). An empty
/// entry elsewhere ("a,,b") is a usage error naming the option: it is a typo, not a request for fewer entries.
func parseList(_ text: String, option: String, trimming: Bool = true) throws -> [String] {
    if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
    var entries = text.split(separator: ",", omittingEmptySubsequences: false).map { trimming ? $0.trimmingCharacters(in: .whitespaces) : String($0) }
    if entries.count > 1, entries.last?.isEmpty == true { entries.removeLast() }
    guard !entries.contains(where: \.isEmpty) else {
        throw GPUStyleError(.usage, "\(option) '\(text)': an empty entry between commas; give a comma-separated list such as a,b")
    }
    return entries
}

/// Comma-separated paths (spaces kept), except that a path with a comma in its name stays one path when that file
/// or folder is there.
func parsePaths(_ text: String, option: String) throws -> [String] {
    FileManager.default.fileExists(atPath: text) ? [text] : try parseList(text, option: option, trimming: false)
}

/// "0.3,0.7" → [0.3, 0.7]; a non-number is a usage error naming the option.
func parseFloats(_ text: String, option: String) throws -> [Float] {
    try parseList(text, option: option).map {
        guard let v = Float($0), v.isFinite else { throw GPUStyleError(.usage, "\(option): '\($0)' is not a number") }
        return v
    }
}

/// "640x480" → (640, 480).
func parseSize(_ text: String) throws -> (width: Int, height: Int) {
    let parts = text.lowercased().split(separator: "x")
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else {
        throw GPUStyleError(.usage, "--output-size: '\(text)' is not WIDTHxHEIGHT, e.g. 512x384")
    }
    return (w, h)
}
