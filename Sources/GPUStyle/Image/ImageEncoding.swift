// ImageEncoding.swift — interleaved RGB8 to PNG/JPEG bytes through the C codecs.
import CImageCodecs

enum RasterEncoder {
    /// Encodes `rgb` (interleaved 8-bit RGB, `width × height × 3` bytes, rows top first).
    static func encode(_ rgb: [UInt8], width: Int, height: Int, format: ImageFormat,
                       options: ImageWriteOptions, name: String) throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var outputSize = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = rgb.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { text in
                switch format {
                case .png:
                    return gsimg_png_encode_rgb8(input.baseAddress, UInt32(width), UInt32(height),
                                                 &output, &outputSize, text.baseAddress, text.count)
                case .jpeg:
                    let chroma = options.jpegChroma == .full ? GSIMG_SUBSAMPLING_444 : GSIMG_SUBSAMPLING_420
                    return gsimg_jpeg_encode_rgb8(input.baseAddress, UInt32(width), UInt32(height),
                                                  Int32(options.jpegQuality), chroma,
                                                  &output, &outputSize, text.baseAddress, text.count)
                }
            }
        }
        defer { gsimg_free(output) }
        guard status == GSIMG_OK, let output else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw GPUStyleError(.image, "\(name): \(text.isEmpty ? "\(format.rawValue) encoding failed" : text)")
        }
        return Array(UnsafeBufferPointer(start: output, count: outputSize))
    }
}
