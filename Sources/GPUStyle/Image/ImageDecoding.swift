// ImageDecoding.swift — PNG/JPEG bytes to RGBImage through the C codecs: header, pixel limit, decode, convert.
import CImageCodecs

/// One of the two C decoders.
struct RasterDecoder {
    let format: ImageFormat

    static let png = RasterDecoder(format: .png)
    static let jpeg = RasterDecoder(format: .jpeg)

    private func header(_ data: UnsafePointer<UInt8>?, _ size: Int, _ info: UnsafeMutablePointer<gsimg_info>?,
                        _ message: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> gsimg_status {
        switch format {
        case .png: return gsimg_png_header(data, size, info, message, capacity)
        case .jpeg: return gsimg_jpeg_header(data, size, info, message, capacity)
        }
    }

    private func decode(_ data: UnsafePointer<UInt8>?, _ size: Int, _ info: UnsafePointer<gsimg_info>?,
                        _ pixels: UnsafeMutablePointer<UInt8>?, _ pixelsSize: Int,
                        _ message: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> gsimg_status {
        switch format {
        case .png: return gsimg_png_decode(data, size, info, pixels, pixelsSize, message, capacity)
        case .jpeg: return gsimg_jpeg_decode(data, size, info, pixels, pixelsSize, message, capacity)
        }
    }

    /// Decodes `bytes` to planar RGB in [0, 1] (alpha composited over `background`), refusing more than
    /// `maxPixels` pixels before any pixel memory is allocated.
    func decodeImage(_ bytes: [UInt8], name: String, maxPixels: Int, background: AlphaBackground = .white) throws -> RGBImage {
        if format == .png, let claimed = RasterDecoder.pngClaimedSize(bytes) {
            // Before libpng reads further: a tiny file may claim 10⁶ × 10⁶ pixels and end after IHDR.
            try PixelLimit.check(width: claimed.width, height: claimed.height, maxPixels: maxPixels, name: name)
        }
        var message = [CChar](repeating: 0, count: 512)
        var info = gsimg_info()
        let headerStatus = bytes.withUnsafeBufferPointer { data in
            message.withUnsafeMutableBufferPointer { text in
                header(data.baseAddress, data.count, &info, text.baseAddress, text.count)
            }
        }
        try check(headerStatus, message, name: name)
        let width = Int(info.width), height = Int(info.height)
        try PixelLimit.check(width: width, height: height, maxPixels: maxPixels, name: name)

        let channels = Int(info.channels)
        let (sampleCount, overflow) = (width * height).multipliedReportingOverflow(by: channels)
        guard !overflow, channels == 3 || channels == 4, info.bytes_per_sample == 1 || info.bytes_per_sample == 2 else {
            throw GPUStyleError(.internal, "\(name): the \(format.rawValue) decoder reported an impossible layout (\(width)×\(height), \(channels) channels)")
        }
        if info.bytes_per_sample == 1 {
            var samples = [UInt8](repeating: 0, count: sampleCount)
            try decodeInto(&samples, bytes: bytes, info: &info, name: name)
            return PixelConversion.planar(samples8: samples, width: width, height: height, channels: channels, background: background)
        } else {
            var samples = [UInt16](repeating: 0, count: sampleCount)
            try decodeInto(&samples, bytes: bytes, info: &info, name: name)
            return PixelConversion.planar(samples16: samples, width: width, height: height, channels: channels, background: background)
        }
    }

    /// Width and height from the IHDR chunk that must follow the PNG signature, when present.
    static func pngClaimedSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, bytes[12...15].elementsEqual([0x49, 0x48, 0x44, 0x52]) else { return nil }
        let be32 = { (at: Int) in bytes[at...(at + 3)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    private func decodeInto<Sample>(_ samples: inout [Sample], bytes: [UInt8], info: inout gsimg_info,
                                    name: String) throws {
        var message = [CChar](repeating: 0, count: 512)
        let status = bytes.withUnsafeBufferPointer { data in
            samples.withUnsafeMutableBytes { raw in
                message.withUnsafeMutableBufferPointer { text in
                    decode(data.baseAddress, data.count, &info,
                           raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count,
                           text.baseAddress, text.count)
                }
            }
        }
        try check(status, message, name: name)
    }

    private func check(_ status: gsimg_status, _ message: [CChar], name: String) throws {
        guard status != GSIMG_OK else { return }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let detail = text.isEmpty ? "\(format.rawValue) decoding failed" : text
        if status == GSIMG_INVALID_ARGUMENT {
            throw GPUStyleError(.internal, "\(name): \(detail) (a bug in gpustyle's image reader)")
        }
        throw GPUStyleError(.image, "\(name): \(detail)")
    }
}

/// The cap on decoded pixels that protects memory from huge claimed dimensions.
enum PixelLimit {
    static func check(width: Int, height: Int, maxPixels: Int, name: String) throws {
        guard width > 0, height > 0 else {
            throw GPUStyleError(.image, "\(name): zero-sized image (\(width)×\(height) pixels)")
        }
        let (count, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, count <= maxPixels else {
            let shown = overflow ? "more than \(Int.max)" : describe(count)
            throw GPUStyleError(.image, "\(name): the image is \(width)×\(height) = \(shown) pixels, over the limit of \(maxPixels); raise it with --max-pixels")
        }
    }

    /// `1000000000000` as "10¹²", other large counts as "4294836225 (≈ 4.3×10⁹)", small ones plainly.
    static func describe(_ count: Int) -> String {
        guard count >= 10_000_000 else { return "\(count)" }
        var exponent = 0, power = 1
        while power <= count / 10 { power *= 10; exponent += 1 }
        let superscript = String(String(exponent).map { digit -> Character in
            let table: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
            return table[Int(String(digit)) ?? 0]
        })
        if count == power { return "10\(superscript)" }
        let mantissa = (Double(count) / Double(power) * 10).rounded() / 10
        return "\(count) (≈ \(mantissa)×10\(superscript))"
    }
}
