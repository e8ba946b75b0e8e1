// Preprocess.swift — RGB [0,1] images to network input and back, per the model's convention.

extension Preprocessing {
    /// Network input for `image`: `3 × H × W` in the network's channel order, scaled and normalised.
    public func apply(_ image: RGBImage) -> [Float] {
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            let source = bgr ? 2 - c : c
            let m = mean[c], s = std[c]
            for i in 0..<plane {
                out[c * plane + i] = (image.pixels[source * plane + i] * scale - m) / s
            }
        }
        return out
    }

    /// The RGB image in [0, 1] (clamped) that `values` (network input layout) represents.
    public func invert(_ values: [Float], width: Int, height: Int) -> RGBImage {
        let plane = width * height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            let target = bgr ? 2 - c : c
            let m = mean[c], s = std[c]
            for i in 0..<plane {
                let v = (values[c * plane + i] * s + m) / scale
                pixels[target * plane + i] = v.isNaN ? 0 : min(max(v, 0), 1)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
