// PixelConversion.swift — interleaved 8/16-bit RGB(A) samples to planar floats (alpha over white or black) and back to RGB8.

/// What transparent pixels are composited over: white for pictures, black for masks (transparent: no paint).
public enum AlphaBackground: Sendable {
    case white, black
    var value: Float { self == .white ? 1 : 0 }
}

enum PixelConversion {
    /// Interleaved 8-bit RGB or RGBA (straight alpha) to planar RGB in [0, 1], composited over `background`.
    static func planar(samples8 samples: [UInt8], width: Int, height: Int, channels: Int, background: AlphaBackground = .white) -> RGBImage {
        let plane = width * height, level = Int(background.value * 255)
        var out = [Float](repeating: 0, count: 3 * plane)
        samples.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                if channels == 4 {
                    for p in 0..<plane {
                        let alpha = Int(input[4 * p + 3]), background = level * (255 - alpha)
                        for c in 0..<3 {
                            output[c * plane + p] = Float(Int(input[4 * p + c]) * alpha + background) / 65025
                        }
                    }
                } else {
                    for p in 0..<plane {
                        for c in 0..<3 { output[c * plane + p] = Float(input[3 * p + c]) / 255 }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Interleaved 16-bit RGB or RGBA (host byte order, straight alpha) to planar RGB in [0, 1] over `background`.
    static func planar(samples16 samples: [UInt16], width: Int, height: Int, channels: Int, background: AlphaBackground = .white) -> RGBImage {
        let plane = width * height, level = Double(background.value)
        var out = [Float](repeating: 0, count: 3 * plane)
        samples.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for p in 0..<plane {
                    let alpha = channels == 4 ? Double(input[4 * p + 3]) / 65535 : 1
                    for c in 0..<3 {
                        let value = Double(input[channels * p + c]) / 65535
                        output[c * plane + p] = Float(value * alpha + level * (1 - alpha))
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Planar floats to interleaved 8-bit RGB: clamped to [0, 1] (NaN as 0), scaled by 255, rounded.
    static func interleavedRGB8(_ image: RGBImage) -> [UInt8] {
        let plane = image.width * image.height
        var out = [UInt8](repeating: 0, count: 3 * plane)
        image.pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for p in 0..<plane {
                    for c in 0..<3 { output[3 * p + c] = byte(input[c * plane + p]) }
                }
            }
        }
        return out
    }

    @inline(__always) static func byte(_ value: Float) -> UInt8 {
        guard value > 0 else { return 0 }  // also NaN
        guard value < 1 else { return 255 }
        return UInt8((value * 255).rounded())
    }
}
