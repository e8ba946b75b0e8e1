// StyleMasks.swift — `--style-masks` and `--style-image-masks`: grayscale images saying where over the content each style paints, and which part of each style image gives it.

extension RGBImage {
    /// The image's luma (BT.601) per pixel, clamped to [0, 1], row-major: a style mask's weights.
    var maskWeights: [Float] {
        let plane = width * height
        return (0..<plane).map { p in min(max(YUV.luma(pixels[p], pixels[plane + p], pixels[2 * plane + p]), 0), 1) }
    }
}

extension StylizeJob {
    /// Refuses a mask (given with `option`) drawn for an image of other proportions than the one it lies over
    /// (`width × height`, named by `what`; more than 1% or a pixel apart), or one that is black everywhere.
    static func checkStyleMask(_ mask: RGBImage, path: String, option: String = "--style-masks", width: Int, height: Int,
                               against what: String) throws {
        let (mw, mh) = (Double(mask.width), Double(mask.height))
        let expectedHeight = mw * Double(height) / Double(width)
        guard abs(mh - expectedHeight) <= max(1, 0.01 * expectedHeight) else {
            let drawn = option == "--style-masks" ? "draw each mask over the content image" : "draw each mask over its style image"
            throw GPUStyleError(.usage, "\(option) \(path) is \(mask.width)×\(mask.height), but \(what) is \(width)×\(height): \(drawn), at its proportions (any size)")
        }
        try checkStyleMaskPaints(mask, path: path, option: option)
    }

    /// Reads a mask file: its transparent part counts as black (a white stroke on a transparent layer paints there
    /// only), where a picture's is composited over white.
    static func readMask(_ path: String, maxPixels: Int) throws -> RGBImage {
        try ImageIO.read(path: path, maxPixels: maxPixels, background: .black)
    }

    /// Reads `--style-image-masks` `path` and refuses it unless it is drawn at the proportions of `style` (read from
    /// `stylePath`) and is not black.
    static func readStyleImageMask(_ path: String, over style: RGBImage, stylePath: String, maxPixels: Int) throws -> RGBImage {
        let mask = try readMask(path, maxPixels: maxPixels)
        try checkStyleMask(mask, path: path, option: "--style-image-masks", width: style.width, height: style.height,
                           against: "its style image \(stylePath)")
        return mask
    }

    /// Refuses a mask that is black everywhere (over the content: its style would paint nowhere; over a style image:
    /// no style would be taken from it), whatever the image it lies over.
    static func checkStyleMaskPaints(_ mask: RGBImage, path: String, option: String = "--style-masks") throws {
        guard mask.pixels.contains(where: { $0 > 1.0 / 512 }) else {
            let meaning = option == "--style-masks" ? "so its style image would paint nowhere: white marks where it paints"
                : "so no style would be taken from its style image: white marks the part that gives the style"
            throw GPUStyleError(.usage, "\(option) \(path) is black everywhere, \(meaning)")
        }
    }
}
