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
        var check = StylizeOptions()
        check.contentImage = contentImage
        check.styleImages = [styleImage]
        check.outputImage = outputImage
        check.jpegQuality = jpegQuality
        check.margin = margin
        try check.validateOutputPath()
        guard (0...256).contains(margin) else { throw GPUStyleError(.usage, "--margin must be 0…256 pixels (got \(margin))") }
        guard (1...100).contains(jpegQuality) else { throw GPUStyleError(.usage, "--jpeg-quality must be 1…100 (got \(jpegQuality))") }
        let backend = try backendOptions.makeBackend(), model = try self.model.load()
        let content = try ImageIO.read(path: contentImage, maxPixels: maxPixels).resized(longestSide: imageSize)
        let style = try ImageIO.read(path: styleImage, maxPixels: maxPixels).resized(longestSide: imageSize)
        let reporter = ProgressReporter(style: progress, printEvery: 50)
        let sheet = try renderReconstructionSheet(backend: backend, model: model, content: content, style: style,
                                                  iterations: numIterations, seed: seed, margin: margin) { label, status in
            reporter.report(status, saved: nil, phase: label)
        }
        reporter.finish()
        try ImageIO.write(sheet, to: outputImage, options: ImageWriteOptions(jpegQuality: jpegQuality))
        printError("wrote \(outputImage)")
    }
}
