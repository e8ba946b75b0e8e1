// StyleMasks.swift — `--style-masks`: one grayscale image per style image saying where over the content it paints.

extension RGBImage {
    /// The image's luma (BT.601) per pixel, clamped to [0, 1], row-major: a style mask's weights.
    var maskWeights: [Float] {
        let plane = width * height
        return (0..<plane).map { p in min(max(YUV.luma(pixels[p], pixels[plane + p], pixels[2 * plane + p]), 0), 1) }
    }
}

extension StylizeJob {
    /// Refuses a mask drawn for an image of other proportions than the content image's (`width × height`; more than
    /// 1% or a pixel apart), or one that is black everywhere (its style would paint nowhere).
    static func checkStyleMask(_ mask: RGBImage, path: String, width: Int, height: Int, against what: String) throws {
        let (mw, mh) = (Double(mask.width), Double(mask.height))
        let expectedHeight = mw * Double(height) / Double(width)
        guard abs(mh - expectedHeight) <= max(1, 0.01 * expectedHeight) else {
            throw GPUStyleError(.usage, "--style-masks \(path) is \(mask.width)×\(mask.height), but \(what) is \(width)×\(height): draw each mask over the content image, at its proportions (any size)")
        }
        try checkStyleMaskPaints(mask, path: path)
    }

    /// Refuses a mask that is black everywhere (its style would paint nowhere), whatever the content image.
    static func checkStyleMaskPaints(_ mask: RGBImage, path: String) throws {
        guard mask.pixels.contains(where: { $0 > 1.0 / 512 }) else {
            throw GPUStyleError(.usage, "--style-masks \(path) is black everywhere, so its style image would paint nowhere: white marks where it paints")
        }
    }
}
