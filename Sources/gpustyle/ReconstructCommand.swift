// ReconstructCommand.swift — `gpustyle reconstruct`: the paper's style and content reconstructions on one contact sheet.
import ArgumentParser
import Foundation
import GPUStyle

struct ReconstructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Rebuild images from noise with style only (relu1_1; +relu2_1; … +relu5_1) and content only (relu1_2 … relu5_2), as in Gatys et al.'s Figure 1, on one labelled contact sheet.")

    @Option(help: "The photograph.") var contentImage: String
    @Option(help: "The painting.") var styleImage: String
    @Option(help: "Longest side of each tile.") var imageSize = 192
    @Option(help: "L-BFGS iterations per reconstruction.") var numIterations = 300
    @Option(help: "The contact sheet (.png or .jpg).") var outputImage = "reconstructions.png"
    @Option(help: "JPEG quality 1…100 for a .jpg sheet.") var jpegQuality = 95
    @Option(help: "Random seed of the starting noise.") var seed: UInt64 = 1
    @Option(help: "Mirrored margin in pixels rendered around each tile and cropped away (0: none).")
    var margin = StylizeOptions.defaultMargin
    @Option(help: "Refuse input images with more pixels than this.") var maxPixels = ImageIO.defaultMaxPixels
    @OptionGroup var model: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "auto, bar, json or none.") var progress: ProgressStyle = .auto

    func run() throws {
        let reporter = ProgressReporter(style: progress, printEvery: 50)
        try reporter.endingWithErrorEvent {
            var check = StylizeOptions()
            (check.contentImage, check.styleImages, check.outputImage) = (contentImage, [styleImage], outputImage)
            (check.imageSize, check.margin, check.jpegQuality, check.maxPixels) = (imageSize, margin, jpegQuality, maxPixels)
            guard numIterations >= 1 else { throw GPUStyleError(.usage, "--num-iterations must be at least 1 (got \(numIterations))") }
            try check.validateImageOptions()
            try check.validateInputsReadable()
            try check.validateOutputPath()
            // The images before the device: a bad file or size is reported without waiting for OpenCL to start.
            let (content, style) = try Reconstruction.loadTiles(contentPath: contentImage, stylePath: styleImage,
                                                                imageSize: imageSize, maxPixels: maxPixels)
            let cancellation = CancellationFlag()
            let signals = SignalWatcher(onSignal: { cancellation.cancel() })
            defer { withExtendedLifetime(signals) {} }
            let (backend, model) = try cancellation.openDeviceAndModel(backendOptions, self.model)
            reporter.emitJSON(["event": "start", "backend": backend.kind, "device": backend.deviceName, "model": model.name, "seed": seed,
                               "reconstructions": Reconstruction.paperFigure.count])
            let sheet = try {
                defer { reporter.finish() }  // the bar's line ends before an error message too
                return try renderReconstructionSheet(backend: backend, model: model, content: content, style: style,
                                                     iterations: numIterations, seed: seed, margin: margin) { label, status in
                    reporter.report(status, saved: nil, phase: label)
                    if cancellation.isSet {
                        throw GPUStyleError(.interrupted, "interrupted in \(label) at iteration \(status.iteration) of \(status.iterations); \(outputImage) was not written")
                    }
                }
            }()
            try ImageIO.write(sheet, to: outputImage, options: ImageWriteOptions(jpegQuality: jpegQuality))
            reporter.emitJSON(["event": "done", "output": absolutePath(outputImage), "width": sheet.width, "height": sheet.height])
            if reporter.style == .bar { printError("wrote \(outputImage)") }
        }
    }
}
