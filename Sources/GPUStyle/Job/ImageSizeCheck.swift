// ImageSizeCheck.swift — every image must reach the deepest layer used (the error names the image), and the canvas size that gives every pixel all the losses.

extension StylizeJob {
    /// Each 2×2 pooling before the deepest content or style layer halves the image, so a side shorter than
    /// 2^(poolings) cannot reach it (an extreme aspect ratio, or a small --image-size or --style-scale).
    /// - Throws: `GPUStyleError(.usage)` naming the option and file of the first image that is too small.
    func checkImagesReachTheLayers(width: Int, height: Int, styles: [RGBImage], layers: [String]) throws {
        guard let (target, needed) = model.architecture.poolingCell(reaching: layers) else { return }
        let generated = options.contentImage.map { ("--content-image \($0)", "resized to") } ?? ("--output-size", "set to")
        var images = [(generated.0, generated.1, width, height)]
        for (path, image) in zip(options.styleImages, styles) {
            images.append(("--style-image \(path)", "resized to", image.width, image.height))
        }
        for (what, verb, w, h) in images where min(w, h) < needed {
            throw GPUStyleError(.usage, "\(what): \(verb) \(w)×\(h) px, too small to reach \(target) (which needs at least \(needed) px on each side); use a larger --image-size\(what.hasPrefix("--style") ? " or --style-scale" : "") or an image of a less extreme shape")
        }
    }

    /// The size the generated image is rendered at: each side rounded up to a whole number of pooling cells of the
    /// deepest loss layer (2ᵏ px after k poolings). With floor pooling the last `size mod 2ᵏ` rows and columns never
    /// reach that layer, so only the shallow layers shape them and they end up as a strip of unstyled texture along
    /// the bottom and right edges. Rendering on a canvas mirrored out to whole cells, then cropping, gives every
    /// output pixel all the losses.
    func renderCanvas(width: Int, height: Int, layers: [String]) -> (width: Int, height: Int) {
        renderCanvasSize(width: width, height: height, layers: layers, architecture: model.architecture)
    }
}

/// `StylizeJob.renderCanvas` for any renderer: each side rounded up to whole pooling cells of the deepest of `layers`.
func renderCanvasSize(width: Int, height: Int, layers: [String], architecture: Architecture) -> (width: Int, height: Int) {
    guard let (_, cell) = architecture.poolingCell(reaching: layers) else { return (width, height) }
    return ((width + cell - 1) / cell * cell, (height + cell - 1) / cell * cell)
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
