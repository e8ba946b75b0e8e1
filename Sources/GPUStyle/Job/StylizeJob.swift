// StylizeJob.swift — the main job: read and size the images, render, save intermediates and the result.
import Foundation

/// A progress event of a stylisation.
public struct StylizeProgress: Sendable {
    public let status: IterationStatus
    /// Path of an intermediate image written at this iteration, if any.
    public let savedImage: String?
    /// The scale being rendered (0-based) of `scales`, and its size (coarse-to-fine; one scale without `--scales`).
    public let scale: Int, scales: Int
    public let width: Int, height: Int
    /// The iteration counted across all scales (as in the report's history and the `--save-iter` names), of how many.
    public var runIteration: Int, runIterations: Int
    /// The later scales' iterations weighted by their pixels relative to this scale's (0 at the last): what is left
    /// after this scale, in iterations of this scale, for an ETA of the whole run.
    public var laterScalesWork: Double = 0
    /// Whether the run was asked for coarse to fine (`--scales`), also when it renders one scale (a later video frame).
    public var coarseToFine = false
}

/// Runs one stylisation described by `StylizeOptions` on a prepared backend and model.
public final class StylizeJob {
    public let options: StylizeOptions
    public let backend: Backend
    public let model: Model
    /// Set (from a signal handler) to stop at the next iteration; the current image is saved as an intermediate.
    public let cancellation: CancellationFlag
    /// Called once per scale, before it renders, with the memory plan it follows.
    public var onPlan: (ScaleStep, MemoryPlan) -> Void = { _, _ in }
    /// Called before rendering with advice that is not an error (e.g. a style image enlarged well past its own size).
    public var onNote: (String) -> Void = { _ in }

    /// The network on the backend, kept for the next job of a batch (the weights go to the device once).
    public let networks: PreparedNetworkCache
    /// The previous job's result as rendered, for a frame that starts from it (`--init previous`), shared the same way.
    public let lastResult: LastResult

    public init(options: StylizeOptions, backend: Backend, model: Model, cancellation: CancellationFlag = CancellationFlag(),
                networks: PreparedNetworkCache = PreparedNetworkCache(), lastResult: LastResult = LastResult()) throws {
        try options.validate(for: model)
        self.options = options
        self.backend = backend
        self.model = model
        self.cancellation = cancellation
        self.networks = networks
        self.lastResult = lastResult
    }

    /// Renders and writes `options.outputImage` (atomically); returns the report. With `--scales`, each scale starts
    /// from the previous result upscaled, with the content and style images resized for it from the originals.
    public func run(observer: (StylizeProgress) -> Void = { _ in }) throws -> RunReport {
        let (weights, iterations) = options.resolvedSettings(for: model)
        let asked = try options.scaleSchedule(iterations: iterations)
        let inputs = try readInputs(weights: weights, finest: asked.last!)
        // A frame tied to the one before it: the flow between them at the finest size, before the scales are chosen,
        // since a cut renders as a first frame does (every scale, from its content image where it would have started
        // from the previous result).
        let tie = try frameTie(inputs, finest: asked.last!)
        let cut = tie.map { $0.trustedFraction < FrameTie.cutFraction } ?? false
        let schedule = Self.rendered(asked, fromPrevious: options.initImageIsPreviousResult && !cut)
        let startImage = options.initImageIsPreviousResult && cut ? nil : inputs.initImage  // nil: `.image` takes the content
        // How the frame was tied, for the report (interrupted or not); a cut's report names no init image.
        var temporalReport: TemporalReport?
        if let tie, let path = options.previousFrame {
            temporalReport = TemporalReport(previousContentImage: absolutePath(path.contentImage), previousResult: absolutePath(path.result),
                                            weight: options.temporalWeight, initWarped: path.warpsInit && !cut, meanMotionPixels: tie.meanMotion,
                                            trustedFraction: tie.trustedFraction, flowSeconds: tie.flowSeconds, cut: cut)
        }
        func tied(_ record: RunReport) -> RunReport {
            var record = record
            record.temporal = temporalReport
            if startImage == nil && options.initImageIsPreviousResult { record.initImage = nil }
            return record
        }
        backend.resetPeakMemory()
        let total = schedule.reduce(0) { $0 + $1.iterations }
        var previous: RGBImage?
        var scaleReports: [ScaleReport] = []
        var history: [IterationStatus] = []  // every evaluation of every scale, numbered on across scales
        var done = 0, lastSaved: String?, recoveries = 0  // non-finite steps undone, over all scales
        var interruptSave: String?  // the image so far, saved on an interrupt
        for (index, step) in schedule.enumerated() {
            let scale = try setUp(step, inputs: inputs, weights: weights, previous: previous, last: index == schedule.count - 1)
            if index == 0 {
                inputs.notes.forEach(onNote)
                if let reason = options.untiedReason { onNote("\(options.contentImage ?? ""): \(reason)") }
                if let tie, cut, let path = options.previousFrame {
                    let start = options.initImageIsPreviousResult ? "it starts from its content image, not tied to the previous result" : "it is not tied to the previous result"
                    onNote(String(format: "%@ follows %@ in only %.0f%% of its pixels (a cut?): %@", options.contentImage ?? "", path.contentImage,
                                  100 * tie.trustedFraction, start))
                }
            }
            let (width, height, sizedContent, canvas, stepWeights) = (scale.width, scale.height, scale.sizedContent, scale.canvas, scale.weights)
            onPlan(step, scale.plan)
            // Only a rendering needs the images on the canvas (`plans()` stops before this).
            let contentCanvas = sizedContent.map(canvas.place)
            var initImage = try (previous ?? startImage).map { canvas.place(try $0.resized(width: width, height: height)) }
            var temporal: TemporalTarget?
            if index == schedule.count - 1, let tie, let sizedContent, let path = options.previousFrame {
                // A frame of a video, tied to the previous result along the flow at the finest scale (the tie's size).
                if !cut {
                    if path.warpsInit { initImage = canvas.place(tie.start(fallback: sizedContent)) }
                    if options.temporalWeight > 0 {
                        temporal = TemporalTarget(image: canvas.place(tie.warped), pixelWeights: canvas.placeWeights(tie.trusted), weight: options.temporalWeight)
                    }
                }
            }
            let masks = try inputs.masks.map { canvas.place(try $0.resized(width: width, height: height)).maskWeights }
            let styleImageMasks = try zip(inputs.styleImageMasks, scale.styles).map { try $0.resized(width: $1.width, height: $1.height).maskWeights }
            let writeOptions = ImageWriteOptions(jpegQuality: options.jpegQuality)
            let finish: (RGBImage) -> RGBImage = { canvasImage in
                let image = canvas.crop(canvasImage)
                guard self.options.originalColors, let sizedContent else { return image }
                return image.withOriginalColors(from: sizedContent)
            }
            let laterScalesWork = schedule[(index + 1)...].reduce(0.0) {
                $0 + Double($1.iterations) * pow(Double($1.longestSide) / Double(step.longestSide), 2)
            }
            var seen: [IterationStatus] = []  // this scale's history as it grows (an interrupted run's records too)
            func scaleReport(seconds: Double) -> ScaleReport {
                ScaleReport(width: width, height: height, firstIteration: done + 1, iterations: seen.count, seconds: seconds,
                            final: LossRecord(iteration: seen.count, losses: seen.last!.losses), memoryPlan: scale.plan.summary,
                            plannedPeakBytes: scale.plan.plannedPeakBytes, budgetBytes: scale.plan.budgetBytes,
                            lbfgsHistory: scale.plan.lbfgsHistory, tvWeight: stepWeights.tv,
                            styleEnlargement: Self.enlargement(of: inputs.styles, toLongestSide: styleSide(at: step)))
            }
            let rendered = Result { try scale.transfer.render(content: contentCanvas, width: canvas.width, height: canvas.height, styles: scale.styles,
                                                   blendWeights: options.normalizedBlendWeights, initImage: initImage, styleMasks: masks,
                                                   styleImageMasks: styleImageMasks, temporal: temporal,
                                                   plan: scale.plan) { status, currentImage in
                seen.append(IterationStatus(iteration: done + status.iteration, iterations: total, losses: status.losses, elapsed: status.elapsed))
                // As neural-style: at iteration k (the image being evaluated, after k − 1 steps) save NAME_k; across
                // scales k counts on.
                var saved: String?
                let k = done + status.iteration
                if options.saveEvery > 0 && k % options.saveEvery == 0 && k < total {
                    saved = options.intermediatePath(iteration: k)
                    try ImageIO.write(finish(try currentImage()), to: saved!, options: writeOptions)
                    lastSaved = saved
                }
                observer(StylizeProgress(status: status, savedImage: saved, scale: index, scales: schedule.count, width: width, height: height,
                                         runIteration: k, runIterations: total, laterScalesWork: laterScalesWork,
                                         coarseToFine: options.scales != nil))
                if cancellation.isSet {
                    let path = options.intermediatePath(iteration: k)
                    if k > 1 && path != lastSaved { try ImageIO.write(finish(try currentImage()), to: path, options: writeOptions) }
                    if k > 1 { interruptSave = path }
                    throw GPUStyleError(.interrupted, "interrupted at iteration \(k) of \(total); \(k > 1 ? "the image so far is in \(path)" : "nothing was saved"), \(options.outputImage) is untouched")
                }
            } }
            if case .failure(let error as GPUStyleError) = rendered, error.kind == .interrupted, let last = seen.last {
                // The loss history and timings so far still go to --report (marked interrupted) and --plot.
                var record = tied(report(memoryPlan: scale.plan.summary, recoveries: 0, history: history + seen, width: width, height: height,
                                         scales: scaleReports + [scaleReport(seconds: last.elapsed)]))
                (record.interrupted, record.output, record.savedImage) = (true, nil, interruptSave.map(absolutePath))
                try? writeRecords(record, history: history + seen, scaleStarts: scaleReports.map(\.firstIteration) + [done + 1])
            }
            let result = try rendered.get()
            scaleReports.append(scaleReport(seconds: result.seconds))  // `seen` is the render's history, numbered on
            history += seen
            done += step.iterations
            previous = canvas.crop(result.image)
            recoveries += result.recoveries
            if index == schedule.count - 1 {
                // The report and plot first: the image is what says "done" (--skip-existing), so it comes last.
                let output = previous!
                let record = tied(report(memoryPlan: result.memoryPlan.summary, recoveries: recoveries, history: history,
                                         width: output.width, height: output.height, scales: scaleReports))
                try writeRecords(record, history: history, scaleStarts: scaleReports.map(\.firstIteration))
                try ImageIO.write(finish(result.image), to: options.outputImage, options: writeOptions)
                self.lastResult.keep(output, writtenTo: options.outputImage)
                return record
            } else if options.saveScales {
                try ImageIO.write(finish(result.image), to: options.scalePath(width: width, height: height), options: writeOptions)
            }
        }
        preconditionFailure("the last scale returns")  // `scaleSchedule` gives at least one scale
    }

    /// The scales this job renders: all of `--scales`, except for a frame that starts from the previous frame's result
    /// (`--init previous`, `previous-warped`), which renders only the finest (with its iterations): that start already
    /// holds the detail the coarser scales would build, and shrinking it would lose it. (A cut, found only once the
    /// flow is computed, renders every scale.)
    public func renderedSchedule() throws -> [ScaleStep] {
        Self.rendered(try options.scaleSchedule(iterations: options.resolvedSettings(for: model).iterations),
                      fromPrevious: options.initImageIsPreviousResult)
    }

    /// `asked` (the `--scales` schedule) as rendered: its finest scale alone for a frame that starts from the previous result.
    private static func rendered(_ asked: [ScaleStep], fromPrevious: Bool) -> [ScaleStep] { fromPrevious ? [asked.last!] : asked }

    /// The tie to the previous frame (`options.previousFrame`), at the `finest` scale's size; nil for a frame not tied.
    private func frameTie(_ inputs: Inputs, finest: ScaleStep) throws -> FrameTie? {
        guard let frame = inputs.previousFrame, let content = inputs.content else { return nil }
        var solver = TVL1Flow()
        if let cpu = backend as? CPUBackend { solver.threads = cpu.threads }  // --threads holds for the flow too
        return try FrameTie(content: try content.resized(longestSide: finest.longestSide), previousContent: frame.content,
                            previousResult: frame.result, solver: solver)
    }

    /// Writes `--plot` (the curves of `history`, a line where each later scale starts) and `--report`, when asked for.
    private func writeRecords(_ record: RunReport, history: [IterationStatus], scaleStarts: [Int]) throws {
        if let plot = options.plotPath {
            let title = "\(model.name) \(record.width)x\(record.height) \(options.optimizer.rawValue)"
            try LossPlot(history: history, title: title, scaleStarts: Array(scaleStarts.dropFirst())).write(to: plot)
        }
        if let path = options.reportPath { try writeAtomically(try record.json(), to: path) }
    }

    /// The memory plan of every scale, coarse first, as `run` would follow them, without rendering or writing anything
    /// (the images are read and resized, and the network prepared on the backend, as for a run).
    /// `each` sees every scale's plan as it is made, so a caller can show the scales that fit before the one that does not.
    public func plans(each: (ScalePlan) -> Void = { _ in }) throws -> [ScalePlan] {
        let weights = options.resolvedSettings(for: model).weights
        let schedule = try renderedSchedule()
        let inputs = try readInputs(weights: weights, finest: schedule.last!, planning: true)
        return try schedule.enumerated().map { index, step in
            let scale = try setUp(step, inputs: inputs, weights: weights, previous: nil, last: index == schedule.count - 1)
            if index == 0 { inputs.notes.forEach(onNote) }
            let plan = ScalePlan(step: step, width: scale.width, height: scale.height, canvasWidth: scale.canvas.width,
                                 canvasHeight: scale.canvas.height, plan: scale.plan)
            each(plan)
            return plan
        }
    }

    /// The images of a job as read, before any resizing.
    private struct Inputs {
        let content: RGBImage?, styles: [RGBImage], initImage: RGBImage?
        /// `--style-masks`, as read (one per style image, or none).
        let masks: [RGBImage]
        /// `--style-image-masks`, as read (one per style image, or none).
        let styleImageMasks: [RGBImage]
        /// Advice on them (`onNote`), given once the first scale is set up: a run that stops at a check before says only why.
        let notes: [String]
        /// The previous frame's content image and result, when this frame is tied to it.
        var previousFrame: (content: RGBImage, result: RGBImage)?
    }

    /// Reads the images; notes style images enlarged for the `finest` scale (and an init image of another shape) and
    /// refuses a style image that would pass `--max-pixels` there.
    /// `planning`: a previous frame's result is not read (it may not be rendered yet).
    private func readInputs(weights: LossWeights, finest: ScaleStep, planning: Bool = false) throws -> Inputs {
        let content = try options.contentImage.map { try ImageIO.read(path: $0, maxPixels: options.maxPixels) }
        var styles = weights.style == 0 ? [] : try options.styleImages.map { try ImageIO.read(path: $0, maxPixels: options.maxPixels) }
        // The previous frame's result as rendered when this process made it (not rounded to 8 bits, compressed, or
        // recoloured by --original-colors as its file is), else the file (one an earlier call left, --skip-existing).
        let initImage = planning && options.initImageIsPreviousResult ? nil : try options.initImage.map { path in
            try (options.initImageIsPreviousResult ? lastResult.image(writtenTo: path) : nil) ?? ImageIO.read(path: path, maxPixels: options.maxPixels)
        }
        var notes = Self.styleEnlargementNotes(paths: options.styleImages, images: styles, styleSide: styleSide(at: finest),
                                               resultSide: finest.longestSide, styleScale: options.styleScale)
        if let path = options.initImage, let initImage,
           let shape = content.map({ ($0.width, $0.height) }) ?? options.outputSize.map({ ($0.width, $0.height) }) {
            let result = RGBImage.sizeWithLongestSide(finest.longestSide, width: shape.0, height: shape.1)
            let named = options.initImageIsPreviousResult ? "the previous image's result" : "--init-image"
            if let note = Self.initImageStretchNote(named: "\(named) \(path)", image: initImage, resultWidth: result.width, resultHeight: result.height) {
                notes.append(note)
            }
        }
        for (path, image) in zip(options.styleImages, styles) {
            let size = RGBImage.sizeWithLongestSide(styleSide(at: finest), width: image.width, height: image.height)
            let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
            guard !overflow && pixels <= options.maxPixels else {
                throw GPUStyleError(.usage, "--style-image \(path): --style-scale \(options.styleScale) makes it \(size.width)×\(size.height) at the \(finest.longestSide)-px scale, over the --max-pixels limit of \(options.maxPixels); use a smaller --style-scale")
            }
        }
        let masks = try options.styleMasks.map { path in
            let mask = try Self.readMask(path, maxPixels: options.maxPixels)
            if let content {
                try Self.checkStyleMask(mask, path: path, width: content.width, height: content.height, against: "the content image \(options.contentImage!)")
            } else if let size = options.outputSize {
                try Self.checkStyleMask(mask, path: path, width: size.width, height: size.height, against: "--output-size")
            }
            return mask
        }
        let styleImageMasks = try zip(options.styleImageMasks, zip(options.styleImages, styles)).map { path, style in
            try Self.readStyleImageMask(path, over: style.1, stylePath: style.0, maxPixels: options.maxPixels)
        }
        if options.matchStyleColors, let content {
            // With masks, the colours of the part of the style image that gives the style, matched to those of the
            // content where that style paints.
            let weights = { (mask: RGBImage?, image: RGBImage) in try mask.map { try $0.resized(width: image.width, height: image.height).maskWeights } }
            styles = try styles.enumerated().map { index, style in
                style.matchingColors(of: content, ownWeights: try weights(styleImageMasks.indices.contains(index) ? styleImageMasks[index] : nil, style),
                                     targetWeights: try weights(masks.indices.contains(index) ? masks[index] : nil, content))
            }
        }
        // The previous result as rendered when this process made it, else its file (an earlier call's, --skip-existing).
        let previousFrame = planning ? nil : try options.previousFrame.map { frame in
            (content: try ImageIO.read(path: frame.contentImage, maxPixels: options.maxPixels),
             result: try lastResult.image(writtenTo: frame.result) ?? ImageIO.read(path: frame.result, maxPixels: options.maxPixels))
        }
        return Inputs(content: content, styles: styles, initImage: initImage, masks: masks, styleImageMasks: styleImageMasks, notes: notes,
                      previousFrame: previousFrame)
    }

    /// One scale ready to render: its images sized, its canvas, settings and memory plan.
    private struct ScaleSetup {
        let width: Int, height: Int
        let sizedContent: RGBImage?
        let styles: [RGBImage]
        let canvas: RenderCanvas
        let weights: LossWeights
        let transfer: StyleTransfer
        let plan: MemoryPlan
    }

    /// Sizes the images for `step` (starting from `previous`, the coarser scale's result, if any), checks they reach
    /// the loss layers, prepares the network the first time (once the images passed that check), and plans the scale's memory.
    private func setUp(_ step: ScaleStep, inputs: Inputs, weights: LossWeights, previous: RGBImage?, last: Bool) throws -> ScaleSetup {
        let layers = weights.activeContentLayers + weights.activeStyleLayers
        let sizedContent = try inputs.content.map { try $0.resized(longestSide: step.longestSide) }
        let (width, height) = sizedContent.map { ($0.width, $0.height) } ?? textureSize(longestSide: step.longestSide)
        let styles = try inputs.styles.map { try $0.resized(longestSide: styleSide(at: step)) }
        try checkImagesReachTheLayers(width: width, height: height, styles: styles, layers: layers, scaleSide: step.longestSide)
        let prepared = try networks.network(backend: backend, model: model, deepestLayer: StyleTransfer.deepestLayer(of: layers, in: model.architecture))
        var stepWeights = weights
        stepWeights.tv = options.tvWeight(for: model, longestSide: step.longestSide)
        let settings = renderSettings(weights: stepWeights, iterations: step.iterations, fromPrevious: previous != nil)
        // Rendered on a canvas with mirrored margins, sides whole pooling cells, then cropped: see `renderCanvas`.
        let canvas = renderCanvas(width: width, height: height, layers: layers)
        let transfer = StyleTransfer(network: prepared, settings: settings)
        let onCanvas = canvas.width == width && canvas.height == height ? "" : " (rendered as \(canvas.width)×\(canvas.height) with its margins)"
        let plan = try transfer.memoryPlan(width: canvas.width, height: canvas.height, hasContent: sizedContent != nil,
                                           styleSizes: styles.map { ($0.width, $0.height) }, styleMasks: inputs.masks.count,
                                           styleImageMasks: inputs.styleImageMasks.count,
                                           temporal: last && options.previousFrame != nil && options.temporalWeight > 0,
                                           sizeLabel: "\(width)×\(height)\(onCanvas)")
        return ScaleSetup(width: width, height: height, sizedContent: sizedContent, styles: styles, canvas: canvas,
                          weights: stepWeights, transfer: transfer, plan: plan)
    }

    /// The style images' longest side at a scale: `--style-scale` × the scale's longest side.
    private func styleSide(at step: ScaleStep) -> Int {
        max(16, Int((options.styleScale * Float(step.longestSide)).rounded(.up)))
    }

    /// How much the most enlarged style image is scaled up to `side` (nil when none is enlarged).
    static func enlargement(of styles: [RGBImage], toLongestSide side: Int) -> Double? {
        let factor = styles.map { Double(side) / Double(max($0.width, $0.height)) }.max() ?? 0
        return factor > 1 ? factor : nil
    }

    /// Enlarging a style image adds no detail finer than its own pixels: past 2× its strokes come out soft and
    /// blurred. One note per such image, at the finest scale.
    static func styleEnlargementNotes(paths: [String], images: [RGBImage], styleSide side: Int, resultSide: Int, styleScale: Float) -> [String] {
        zip(paths, images).compactMap { path, image in
            let own = max(image.width, image.height), factor = Double(side) / Double(own)
            guard factor > enlargementNoteThreshold else { return nil }
            let keep = Double(own) / Double(resultSide)
            return String(format: "style image %@ (%d×%d) is enlarged %.1f× to %d px for the %d-px result (--style-scale %g): it holds no detail finer than its own pixels, so its strokes come out soft; a larger scan of the painting keeps them sharp, or --style-scale %.2g keeps it at its own size (smaller strokes)",
                          path, image.width, image.height, factor, side, resultSide, Double(styleScale), keep)
        }
    }

    /// `--init-image` is resized to the result's size whatever its shape: a note when that stretches it (aspect ratios
    /// more than 2% apart), nil otherwise.
    static func initImageStretchNote(named: String, image: RGBImage, resultWidth: Int, resultHeight: Int) -> String? {
        let own = Double(image.width) / Double(image.height), result = Double(resultWidth) / Double(resultHeight)
        guard abs(own / result - 1) > 0.02 else { return nil }
        return String(format: "%@ (%d×%d, aspect %.2f) is stretched to the result's shape (%d×%d, aspect %.2f); crop it to that shape to start from an undistorted image",
                      named, image.width, image.height, own, resultWidth, resultHeight, result)
    }

    /// Style images enlarged more than this get a note.
    static let enlargementNoteThreshold = 2.0

    /// The options as render settings; a scale that continues from the previous one starts from its (upscaled) image.
    private func renderSettings(weights: LossWeights, iterations: Int, fromPrevious: Bool) -> RenderSettings {
        var settings = RenderSettings(weights: weights, iterations: iterations)
        settings.optimizer = options.optimizer
        settings.learningRate = options.learningRate
        settings.lbfgsHistory = options.lbfgsHistory
        settings.initialization = fromPrevious ? .image : options.initialization
        settings.seed = options.seed
        settings.pooling = options.pooling
        settings.maxMemoryBytes = options.maxMemoryBytes
        settings.layout = options.layout
        return settings
    }

    /// The texture-synthesis size (`--output-size`) scaled so its longer side is `longestSide`.
    private func textureSize(longestSide: Int) -> (Int, Int) {
        let size = options.outputSize!
        return RGBImage.sizeWithLongestSide(longestSide, width: size.width, height: size.height)
    }

    private func report(memoryPlan: String, recoveries: Int, history statuses: [IterationStatus], width: Int, height: Int,
                        scales: [ScaleReport]) -> RunReport {
        let history = statuses.map { LossRecord(iteration: $0.iteration, losses: $0.losses) }
        let iterations = scales.reduce(0) { $0 + $1.iterations }
        let seconds = scales.reduce(0) { $0 + $1.seconds }
        let precision = (backend as? OpenCLBackend)?.convTuning.gemm.precision ?? .fp32
        let weights = options.resolvedSettings(for: model).weights
        let styled = weights.style > 0  // with --style-weight 0 no style image is read and no style layer used
        var report = RunReport(backend: backend.kind, device: backend.deviceName, precision: precision.rawValue, model: model.name, width: width,
                         height: height, iterations: iterations, seconds: seconds,
                         secondsPerIteration: seconds / Double(max(iterations, 1)), peakDeviceMemoryBytes: backend.memory.peakBytes,
                         history: history, final: history.last!, seed: options.seed, optimizer: options.optimizer.rawValue,
                         output: absolutePath(options.outputImage), recoveries: recoveries, memoryPlan: memoryPlan,
                         scales: scales, contentImage: options.contentImage.map(absolutePath),
                         styleImages: styled ? options.styleImages.map(absolutePath) : [],
                         styleBlendWeights: styled ? options.normalizedBlendWeights : [], contentWeight: weights.content, styleWeight: weights.style,
                         contentLayers: weights.content > 0 ? weights.contentLayers : [], styleLayers: styled ? weights.styleLayers : [],
                         styleLayerWeights: styled ? weights.styleLayerWeights : nil,
                         styleMasks: styled && !options.styleMasks.isEmpty ? options.styleMasks.map(absolutePath) : nil,
                         styleImageMasks: styled && !options.styleImageMasks.isEmpty ? options.styleImageMasks.map(absolutePath) : nil,
                         colors: options.originalColors ? "original" : options.matchStyleColors && styled ? "matched" : "style",
                         initialization: options.initialization.rawValue, initImage: options.initImage.map(absolutePath))
        (report.pooling, report.normalizeGradients, report.styleScale, report.margin) =
            (options.pooling.rawValue, weights.normalizeGradients, options.styleScale, options.margin)
        report.learningRate = options.learningRate ?? (options.optimizer == .adam ? 10 : 1)
        report.temporalWeight = options.temporalWeight > 0 ? options.temporalWeight : nil
        return report
    }
}

/// One scale's size (of the image and of the canvas it renders on) and the memory plan it follows (`StylizeJob.plans`).
public struct ScalePlan: Sendable {
    public let step: ScaleStep
    public let width: Int, height: Int
    public let canvasWidth: Int, canvasHeight: Int
    public let plan: MemoryPlan
}

/// The last job's result before `--original-colors` and 8-bit rounding, by the file it was written to: where the next
/// frame of a batch starts (`--init previous`). Holds one image.
public final class LastResult {
    private var kept: (image: RGBImage, path: String)?

    public init() {}

    func keep(_ image: RGBImage, writtenTo path: String) { kept = (image, path) }

    /// The kept image if it is the one written to `path`.
    func image(writtenTo path: String) -> RGBImage? { kept.flatMap { $0.path == path ? $0.image : nil } }
}

/// The network a job prepared on its backend, reused by the next job on the same backend, model and deepest layer.
public final class PreparedNetworkCache {
    private var cached: (network: PreparedNetwork, modelName: String, deepestLayer: String)?
    /// How many networks it has prepared (for tests).
    private(set) var prepared = 0

    public init() {}

    /// The cached network when it fits, else a new one (which replaces it: one network's weights on the device at a time).
    func network(backend: Backend, model: Model, deepestLayer: String) throws -> PreparedNetwork {
        if let cached, cached.network.backend === backend, cached.modelName == model.name, cached.deepestLayer == deepestLayer {
            return cached.network
        }
        cached = nil  // the old weights are released before the new ones are uploaded
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: deepestLayer)
        cached = (network, model.name, deepestLayer)
        prepared += 1
        return network
    }
}

/// A flag a signal handler sets and the rendering loop polls.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    public init() {}
    public var isSet: Bool { lock.withLock { set } }
    public func cancel() { lock.withLock { set = true } }
}
