// ImageResize.swift — antialiased separable Lanczos-3 resampling of RGBImage, and longest-side scaling.
import Foundation

extension RGBImage {
    /// This image resampled to `width × height` with a separable Lanczos-3 filter whose support widens by
    /// the scale factor when shrinking (antialiased); edges are clamped, results clamped to [0, 1].
    /// A constant image stays exactly constant; the same size returns the image unchanged.
    /// - Throws: `GPUStyleError(.usage)` for a size below 1 or too large to address.
    public func resized(width newWidth: Int, height newHeight: Int) throws -> RGBImage {
        guard newWidth >= 1, newHeight >= 1 else {
            throw GPUStyleError(.usage, "cannot resize to \(newWidth)×\(newHeight) pixels; both sides must be at least 1")
        }
        let (plane, overflow) = newWidth.multipliedReportingOverflow(by: newHeight)
        guard !overflow, !plane.multipliedReportingOverflow(by: 3).overflow else {
            throw GPUStyleError(.usage, "cannot resize to \(newWidth)×\(newHeight) pixels: too many pixels")
        }
        guard width >= 1, height >= 1 else {
            throw GPUStyleError(.usage, "cannot resize an empty \(width)×\(height) image")
        }
        return Resampler.resample(self, toWidth: newWidth, height: newHeight)
    }

    /// This image scaled so that its longer side is `longestSide` pixels, keeping the aspect ratio
    /// (the shorter side rounded to nearest, at least 1 pixel), as neural-style's `-image_size`.
    public func resized(longestSide: Int) throws -> RGBImage {
        guard longestSide >= 1 else {
            throw GPUStyleError(.usage, "the image size must be at least 1 pixel (got \(longestSide))")
        }
        guard width >= 1, height >= 1 else {
            throw GPUStyleError(.usage, "cannot resize an empty \(width)×\(height) image")
        }
        let size = RGBImage.sizeWithLongestSide(longestSide, width: width, height: height)
        return try resized(width: size.width, height: size.height)
    }

    /// The `width × height` scaled so that the longer side is `longestSide` (shorter rounded, ≥ 1).
    static func sizeWithLongestSide(_ longestSide: Int, width: Int, height: Int) -> (width: Int, height: Int) {
        let shorter = { (short: Int, long: Int) in
            max(1, Int((Double(short) * Double(longestSide) / Double(long)).rounded()))
        }
        return width >= height ? (longestSide, shorter(height, width)) : (shorter(width, height), longestSide)
    }
}

/// The separable resampler behind `RGBImage.resized`.
enum Resampler {
    /// For each output sample, `taps` (input index, weight) pairs; weights sum to 1.
    struct Weights {
        let taps: Int
        let indices: [Int]
        let weights: [Double]
    }

    static func lanczos3(_ x: Double) -> Double {
        let ax = abs(x)
        if ax < 1e-12 { return 1 }
        if ax >= 3 { return 0 }
        let px = Double.pi * x
        return 3 * sin(px) * sin(px / 3) / (px * px)
    }

    /// Filter weights mapping `inCount` samples onto `outCount` (pixel centres at i + ½).
    static func weights(inCount: Int, outCount: Int) -> Weights {
        let scale = Double(inCount) / Double(outCount)
        let stretch = max(scale, 1)           // widen the kernel when shrinking
        let support = 3 * stretch
        let taps = Int(ceil(support)) * 2 + 1
        var indices = [Int](repeating: 0, count: outCount * taps)
        var weights = [Double](repeating: 0, count: outCount * taps)
        for o in 0..<outCount {
            let centre = (Double(o) + 0.5) * scale
            let first = Int(floor(centre - support))
            var sum = 0.0
            for t in 0..<taps {
                let i = first + t
                let w = lanczos3((Double(i) + 0.5 - centre) / stretch)
                indices[o * taps + t] = min(max(i, 0), inCount - 1)
                weights[o * taps + t] = w
                sum += w
            }
            for t in 0..<taps { weights[o * taps + t] /= sum }
        }
        return Weights(taps: taps, indices: indices, weights: weights)
    }

    static func resample(_ image: RGBImage, toWidth newWidth: Int, height newHeight: Int) -> RGBImage {
        if newWidth == image.width && newHeight == image.height { return image }
        let w = image.width, h = image.height
        var wide = image.pixels  // after the horizontal pass: 3 planes of newWidth × h
        if newWidth != w {
            wide = filterRows(image.pixels, rows: 3 * h, inLength: w, outLength: newWidth)
        }
        var tall = wide          // after the vertical pass: 3 planes of newWidth × newHeight
        if newHeight != h {
            tall = [Float](repeating: 0, count: 3 * newWidth * newHeight)
            for channel in 0..<3 {
                filterColumns(wide, into: &tall, inBase: channel * h * newWidth,
                              outBase: channel * newHeight * newWidth, width: newWidth,
                              inHeight: h, outHeight: newHeight)
            }
        }
        for i in tall.indices { tall[i] = min(max(tall[i], 0), 1) }  // Lanczos over- and undershoot
        return RGBImage(width: newWidth, height: newHeight, pixels: tall)
    }

    /// Resamples each of `rows` consecutive rows from `inLength` to `outLength` samples.
    private static func filterRows(_ input: [Float], rows: Int, inLength: Int, outLength: Int) -> [Float] {
        let filter = weights(inCount: inLength, outCount: outLength)
        var output = [Float](repeating: 0, count: rows * outLength)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                filter.indices.withUnsafeBufferPointer { indices in
                    filter.weights.withUnsafeBufferPointer { weights in
                        for row in 0..<rows {
                            let inBase = row * inLength, outBase = row * outLength
                            for o in 0..<outLength {
                                var sum = 0.0
                                for k in (o * filter.taps)..<((o + 1) * filter.taps) {
                                    sum += Double(source[inBase + indices[k]]) * weights[k]
                                }
                                target[outBase + o] = Float(sum)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Resamples the columns of one `width`-wide plane from `inHeight` to `outHeight` rows.
    private static func filterColumns(_ input: [Float], into output: inout [Float], inBase: Int, outBase: Int,
                                      width: Int, inHeight: Int, outHeight: Int) {
        let filter = weights(inCount: inHeight, outCount: outHeight)
        var sums = [Double](repeating: 0, count: width)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                sums.withUnsafeMutableBufferPointer { sums in
                    for y in 0..<outHeight {
                        for x in 0..<width { sums[x] = 0 }
                        for k in (y * filter.taps)..<((y + 1) * filter.taps) {
                            let row = inBase + filter.indices[k] * width, weight = filter.weights[k]
                            for x in 0..<width { sums[x] += Double(source[row + x]) * weight }
                        }
                        for x in 0..<width { target[outBase + y * width + x] = Float(sums[x]) }
                    }
                }
            }
        }
    }
}
