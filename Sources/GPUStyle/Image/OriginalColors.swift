// OriginalColors.swift — neural-style's -original_colors: generated luminance with the content image's colour.

extension RGBImage {
    /// The generated image's luminance Y with the chrominance U, V of `content`, back in RGB and clamped
    /// to [0, 1] (neural-style's `-original_colors`). Uses the YUV matrices of torch's `image.rgb2yuv` /
    /// `image.yuv2rgb`. When `content` has another size it is first resized to this image's size;
    /// an empty image is returned unchanged.
    public func withOriginalColors(from content: RGBImage) -> RGBImage {
        guard width > 0, height > 0, content.width > 0, content.height > 0 else { return self }
        let colours = content.width == width && content.height == height
            ? content : Resampler.resample(content, toWidth: width, height: height)
        let plane = width * height
        var out = [Float](repeating: 0, count: 3 * plane)
        pixels.withUnsafeBufferPointer { generated in
            colours.pixels.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { output in
                    for p in 0..<plane {
                        let y = YUV.luma(generated[p], generated[plane + p], generated[2 * plane + p])
                        let (u, v) = YUV.chroma(source[p], source[plane + p], source[2 * plane + p])
                        let (r, g, b) = YUV.rgb(y: y, u: u, v: v)
                        output[p] = min(max(r, 0), 1)
                        output[plane + p] = min(max(g, 0), 1)
                        output[2 * plane + p] = min(max(b, 0), 1)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

/// torch `image.rgb2yuv` / `image.yuv2rgb` (BT.601 analogue YUV, U and V unscaled around 0).
enum YUV {
    @inline(__always) static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float {
        0.299 * r + 0.587 * g + 0.114 * b
    }

    @inline(__always) static func chroma(_ r: Float, _ g: Float, _ b: Float) -> (u: Float, v: Float) {
        (-0.14713 * r - 0.28886 * g + 0.436 * b, 0.615 * r - 0.51499 * g - 0.10001 * b)
    }

    @inline(__always) static func rgb(y: Float, u: Float, v: Float) -> (Float, Float, Float) {
        (y + 1.13983 * v, y - 0.39465 * u - 0.58060 * v, y + 2.03211 * u)
    }
}
