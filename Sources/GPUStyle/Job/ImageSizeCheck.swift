// ImageSizeCheck.swift — every image must reach the deepest layer used (the error names the image), and the canvas size that gives every pixel all the losses.

extension StylizeJob {
    /// Each 2×2 pooling before the deepest content or style layer halves the image, so a side shorter than
    /// 2^(poolings) cannot reach it (an extreme aspect ratio, or a small --image-size or --style-scale).
    /// - Throws: `GPUStyleError(.usage)` naming the option and file of the first image that is too small.
    /// With `--scales`, a coarser scale than the result's (`scaleSide`) is named, and fewer scales suggested.
    func checkImagesReachTheLayers(width: Int, height: Int, styles: [RGBImage], layers: [String], scaleSide: Int? = nil) throws {
        guard let (target, needed) = model.architecture.poolingCell(reaching: layers) else { return }
        let generated = options.contentImage.map { ("--content-image \($0)", "resized to") } ?? ("--output-size", "set to")
        var images = [(generated.0, generated.1, width, height)]
        for (path, image) in zip(options.styleImages, styles) {
            images.append(("--style-image \(path)", "resized to", image.width, image.height))
        }
        let finalSide = options.outputSize.map { max($0.width, $0.height) } ?? options.imageSize
        let coarser = scaleSide.flatMap { options.scales != nil && $0 < finalSide ? $0 : nil }  // a coarser scale of --scales
        for (what, verb, w, h) in images where min(w, h) < needed {
            let (at, remedy) = coarser.map { (" at the \($0)-px scale of --scales", "start --scales at a larger size or use fewer scales") }
                ?? ("", "use a larger --image-size\(what.hasPrefix("--style") ? " or --style-scale" : "") or an image of a less extreme shape")
            throw GPUStyleError(.usage, "\(what): \(verb) \(w)×\(h) px\(at), too small to reach \(target) (which needs at least \(needed) px on each side); \(remedy)")
        }
    }

    /// The canvas the generated image is rendered on: the image with a mirrored margin of `options.margin` px on
    /// every side, each side then rounded up to a whole number of pooling cells of the deepest loss layer (2ᵏ px after
    /// k poolings). The margin takes the convolutions' zero-padding border (a dashed strip or dark band along the
    /// edges) outside the crop. With floor pooling the last `size mod 2ᵏ` rows and columns never reach the deepest
    /// layer, so only the shallow layers would shape them (a strip of unstyled texture): whole cells give every output
    /// pixel all the losses.
    func renderCanvas(width: Int, height: Int, layers: [String]) -> RenderCanvas {
        RenderCanvas(width: width, height: height, margin: options.margin, layers: layers, architecture: model.architecture)
    }
}

/// Where an image of `imageWidth × imageHeight` sits on the larger canvas it is rendered on (see `StylizeJob.renderCanvas`).
struct RenderCanvas: Equatable {
    let width: Int, height: Int
    let left: Int, top: Int
    let imageWidth: Int, imageHeight: Int

    /// A canvas with `margin` px around the image, sides whole pooling cells of the deepest of `layers`.
    init(width: Int, height: Int, margin: Int, layers: [String], architecture: Architecture) {
        let cell = architecture.poolingCell(reaching: layers)?.cell ?? 1
        self.width = (width + 2 * margin + cell - 1) / cell * cell
        self.height = (height + 2 * margin + cell - 1) / cell * cell
        left = margin
        top = margin
        imageWidth = width
        imageHeight = height
    }

    /// `image` (of the image's size) on this canvas, the margins mirrored.
    func place(_ image: RGBImage) -> RGBImage { image.mirrorPadded(left: left, top: top, width: width, height: height) }

    /// Per-pixel weights of the image's size on this canvas: 0 in the margins, and scaled by the canvas's area over the
    /// image's, so that a mean over the canvas is the mean over the image.
    func placeWeights(_ weights: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        let scale = Float(Double(width * height) / Double(imageWidth * imageHeight))
        for y in 0..<imageHeight {
            for x in 0..<imageWidth { out[(top + y) * width + left + x] = weights[y * imageWidth + x] * scale }
        }
        return out
    }

    /// The image's part of a canvas-sized `image`.
    func crop(_ image: RGBImage) -> RGBImage { image.cropped(x: left, y: top, width: imageWidth, height: imageHeight) }
}

extension Architecture {
    /// The deepest of `layers` and the side in pixels of one of its input cells: 2ᵏ after the k poolings before it
    /// (the smallest side that reaches it). nil when none of `layers` is in the network.
    func poolingCell(reaching layers: [String]) -> (layer: String, cell: Int)? {
        let all = self.layers
        guard let deepest = layers.compactMap({ name in all.firstIndex { $0.name == name } }).max() else { return nil }
        return (all[deepest].name, 1 << all[...deepest].filter { $0.kind == .pool }.count)
    }
}
