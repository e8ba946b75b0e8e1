// Reconstructions.swift — the paper's figure: images rebuilt from noise using only style (growing layer sets) or only
// content (one deeper layer at a time), laid out on one labelled contact sheet.

/// One reconstruction of the figure: which layers, and whether they carry style or content.
public struct Reconstruction: Sendable {
    public let label: String
    public let styleLayers: [String]
    public let contentLayers: [String]

    /// Style from relu1_1; +relu2_1; … +relu5_1, then content from relu1_2, relu2_2, … relu5_2 (Gatys et al., Fig. 1).
    public static let paperFigure: [Reconstruction] = {
        let style = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        let styleRow = (1...5).map { n in
            Reconstruction(label: n == 1 ? "style relu1_1" : "+relu\(n)_1", styleLayers: Array(style.prefix(n)), contentLayers: [])
        }
        let contentRow = (1...5).map { n in Reconstruction(label: "content relu\(n)_2", styleLayers: [], contentLayers: ["relu\(n)_2"]) }
        return styleRow + contentRow
    }()

    /// The content and style images of `gpustyle reconstruct`, read and resized so their longest side is `imageSize`.
    /// - Throws: `GPUStyleError(.usage)` naming the option for an `imageSize` outside 16…32768, a resized image or
    ///   a contact sheet over `maxPixels` (checked before resizing), the file's error for an unreadable image.
    public static func loadTiles(contentPath: String, stylePath: String, imageSize: Int,
                                 maxPixels: Int) throws -> (content: RGBImage, style: RGBImage) {
        var check = StylizeOptions()
        (check.imageSize, check.maxPixels) = (imageSize, maxPixels)
        try check.validateImageOptions()
        var tiles: [RGBImage] = []
        for (option, path) in [("--content-image", contentPath), ("--style-image", stylePath)] {
            let image = try ImageIO.read(path: path, maxPixels: maxPixels)
            let size = RGBImage.sizeWithLongestSide(imageSize, width: image.width, height: image.height)
            guard size.width * size.height <= maxPixels else {
                throw GPUStyleError(.usage, "\(option) \(path): --image-size \(imageSize) makes it \(size.width)×\(size.height), over the --max-pixels limit of \(maxPixels); use a smaller --image-size")
            }
            let sheet = SheetLayout(tileWidth: size.width, tileHeight: size.height)  // the tiles have the content's size
            if tiles.isEmpty && sheet.width * sheet.height > maxPixels {
                throw GPUStyleError(.usage, "--image-size \(imageSize) makes the contact sheet \(sheet.width)×\(sheet.height), over the --max-pixels limit of \(maxPixels); use a smaller --image-size or raise --max-pixels")
            }
            tiles.append(try image.resized(width: size.width, height: size.height))
        }
        try checkTileSizes(content: tiles[0], style: tiles[1])
        return (tiles[0], tiles[1])
    }

    /// relu5_x lies behind four poolings: every image needs 16 px on each side (the generated one is padded to the
    /// canvas, but a tiny image mirrored out many times over is not a reconstruction of anything).
    static func checkTileSizes(content: RGBImage, style: RGBImage) throws {
        for (what, image) in [("content", content), ("style", style)] where min(image.width, image.height) < 16 {
            throw GPUStyleError(.usage, "the \(what) image is \(image.width)×\(image.height) px at this --image-size; relu5_1 needs at least 16 px on each side: use a larger --image-size")
        }
    }
}

/// Renders each reconstruction from the same seeded white noise (uniform RGB, as in the paper) at the content image's size, with neural-style's weights
/// (style 100, content 5), and returns the contact sheet: two rows (style, content), each starting with the source
/// image, every tile labelled. Each tile is rendered with a mirrored `margin` around it (as `StylizeOptions.margin`).
public func renderReconstructionSheet(backend: Backend, model: Model, content: RGBImage, style: RGBImage, iterations: Int,
                                      seed: UInt64 = 1, margin: Int = StylizeOptions.defaultMargin,
                                      progress: (String, IterationStatus) throws -> Void = { _, _ in }) throws -> RGBImage {
    let w = content.width, h = content.height
    try Reconstruction.checkTileSizes(content: content, style: style)
    var rng = SplitMix64(seed: seed)
    let noise = RGBImage(width: w, height: h, pixels: (0..<(3 * w * h)).map { _ in Float(rng.nextUniform()) })
    var tiles: [(String, RGBImage)] = []
    for item in Reconstruction.paperFigure {
        let weights = LossWeights(content: item.contentLayers.isEmpty ? 0 : 5, style: item.styleLayers.isEmpty ? 0 : 100,
                                  tv: 0, contentLayers: item.contentLayers, styleLayers: item.styleLayers)
        var settings = RenderSettings(weights: weights, iterations: iterations)
        settings.initialization = .image
        let deepest = try StyleTransfer.deepestLayer(of: item.styleLayers + item.contentLayers, in: model.architecture)
        let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: deepest)
        // On a canvas with mirrored margins, sides whole pooling cells, cropped after (see `StylizeJob.renderCanvas`).
        let canvas = RenderCanvas(width: w, height: h, margin: margin, layers: item.styleLayers + item.contentLayers,
                                  architecture: model.architecture)
        let result = try StyleTransfer(network: network, settings: settings).render(
            content: canvas.place(content), width: canvas.width, height: canvas.height,
            styles: [style], blendWeights: [1], initImage: canvas.place(noise)) { status, _ in
                try progress(item.label, status)
            }
        tiles.append((item.label, canvas.crop(result.image)))
    }
    let layout = SheetLayout(tileWidth: w, tileHeight: h)
    var sheet = Canvas(width: layout.width, height: layout.height)
    let styleThumb = try style.resized(width: w, height: h)
    let rows: [[(String, RGBImage)]] = [[("style image", styleThumb)] + tiles.prefix(5), [("content image", content)] + tiles.suffix(5)]
    for (r, row) in rows.enumerated() {
        for (c, (name, image)) in row.enumerated() {
            let (x, y) = layout.origin(row: r, column: c)
            sheet.text(String(name.prefix(max(1, w / BitmapFont.advance))), x: x, y: y + 3)  // cut to the tile's width
            sheet.paste(image, x: x, y: y + SheetLayout.label)
        }
    }
    return sheet.image
}

/// Where the contact sheet's tiles go: two rows of six (the source image, then five reconstructions), each tile
/// under a label strip, with gaps between.
struct SheetLayout {
    static let label = 14, gap = 4, columns = 6, rows = 2
    let tileWidth: Int, tileHeight: Int
    var width: Int { Self.columns * (tileWidth + Self.gap) + Self.gap }
    var height: Int { Self.rows * (tileHeight + Self.label + Self.gap) + Self.gap }
    /// The top-left corner of the label strip of the tile at `row`, `column`.
    func origin(row: Int, column: Int) -> (x: Int, y: Int) {
        (Self.gap + column * (tileWidth + Self.gap), Self.gap + row * (tileHeight + Self.label + Self.gap))
    }
}
