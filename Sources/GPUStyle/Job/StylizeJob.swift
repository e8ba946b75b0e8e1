// StylizeJob.swift — the main job: read and size the images, render, save intermediates and the result.
import Foundation

/// A progress event of a stylisation.
public struct StylizeProgress: Sendable {
    public let status: IterationStatus
    /// Path of an intermediate image written at this iteration, if any.
    public let savedImage: String?
}

/// Runs one stylisation described by `StylizeOptions` on a prepared backend and model.
public final class StylizeJob {
    public let options: StylizeOptions
    public let backend: Backend
    public let model: Model
    /// Set (from a signal handler) to stop at the next iteration; the current image is saved as an intermediate.
    public let cancellation: CancellationFlag

    public init(options: StylizeOptions, backend: Backend, model: Model, cancellation: CancellationFlag = CancellationFlag()) throws {
        try options.validate(for: model)
        self.options = options
        self.backend = backend
        self.model = model
        self.cancellation = cancellation
    }

    /// Renders and writes `options.outputImage` (atomically); returns the report.
    public func run(printEvery: Int = 50, observer: (StylizeProgress) -> Void = { _ in }) throws -> RunReport {
        let (weights, iterations) = options.resolvedSettings(for: model)
        let content = try options.contentImage.map { try ImageIO.read(path: $0, maxPixels: options.maxPixels) }
        let sizedContent = try content.map { try $0.resized(longestSide: options.imageSize) }
        let (width, height) = sizedContent.map { ($0.width, $0.height) } ?? options.outputSize!
        let styleSide = max(16, Int((options.styleScale * Float(options.imageSize)).rounded(.up)))
        let styles = weights.style == 0 ? [] : try options.styleImages.map {
            try ImageIO.read(path: $0, maxPixels: options.maxPixels).resized(longestSide: styleSide)
        }
        let initImage = try options.initImage.map { try ImageIO.read(path: $0, maxPixels: options.maxPixels).resized(width: width, height: height) }
        try checkImagesReachTheLayers(width: width, height: height, styles: styles, layers: weights.activeContentLayers + weights.activeStyleLayers)

        var settings = RenderSettings(weights: weights, iterations: iterations)
        settings.optimizer = options.optimizer
        settings.learningRate = options.learningRate
        settings.lbfgsHistory = options.lbfgsHistory
        settings.initialization = options.initialization
        settings.seed = options.seed
        settings.pooling = options.pooling
        backend.resetPeakMemory()
        let deepest = try StyleTransfer.deepestLayer(of: weights.activeContentLayers + weights.activeStyleLayers, in: model.architecture)
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: deepest)
        let transfer = StyleTransfer(network: network, settings: settings)
        let finish: (RGBImage) -> RGBImage = { image in
            guard self.options.originalColors, let sizedContent else { return image }
            return image.withOriginalColors(from: sizedContent)
        }
        var lastSaved: String?
        let result = try transfer.render(content: sizedContent, width: width, height: height, styles: styles,
                                     blendWeights: options.normalizedBlendWeights, initImage: initImage) { status, currentImage in
            // As neural-style: at iteration k (the image being evaluated, after k − 1 steps) save NAME_k.
            var saved: String?
            let k = status.iteration
            if options.saveEvery > 0 && k % options.saveEvery == 0 && k < iterations {
                saved = options.intermediatePath(iteration: k)
                try ImageIO.write(finish(try currentImage()), to: saved!)
                lastSaved = saved
            }
            observer(StylizeProgress(status: status, savedImage: saved))
            if cancellation.isSet {
                let path = options.intermediatePath(iteration: k)
                if k > 1 && path != lastSaved { try ImageIO.write(finish(try currentImage()), to: path) }
                throw GPUStyleError(.interrupted, "interrupted at iteration \(k) of \(iterations); \(k > 1 ? "the image so far is in \(path)" : "nothing was saved"), \(options.outputImage) is untouched")
            }
        }
        try ImageIO.write(finish(result.image), to: options.outputImage)
        if let plot = options.plotPath {
            let title = "\(model.name) \(width)x\(height) \(options.optimizer.rawValue)"
            try LossPlot(history: result.history, title: title).write(to: plot)
        }
        return report(result, width: width, height: height, printEvery: printEvery)
    }

    private func report(_ result: RenderResult, width: Int, height: Int, printEvery: Int) -> RunReport {
        let history = result.history.filter { s in
            s.iteration == 1 || s.iteration == result.history.count || (printEvery > 0 && s.iteration % printEvery == 0)
        }.map { LossRecord(iteration: $0.iteration, losses: $0.losses) }
        let iterations = result.history.count
        return RunReport(backend: backend.kind, device: backend.deviceName, model: model.name, width: width, height: height,
                         iterations: iterations, seconds: result.seconds, secondsPerIteration: result.seconds / Double(max(iterations, 1)),
                         peakDeviceMemoryBytes: backend.memory.peakBytes, history: history, final: history.last!,
                         seed: options.seed, optimizer: options.optimizer.rawValue, output: options.outputImage,
                         recoveries: result.recoveries)
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
