// ImageIO.swift — the public image reader and writer: PNG/JPEG files to RGBImage and back.

/// Options for writing images.
public struct ImageWriteOptions: Sendable, Equatable {
    /// JPEG chroma resolution.
    public enum JPEGChroma: Sendable, Equatable {
        /// 4:4:4, full-resolution colour (best for fine painted detail).
        case full
        /// 4:2:0, colour at half resolution in both directions (smaller files).
        case halved
    }

    /// JPEG quality, 1…100.
    public var jpegQuality: Int
    public var jpegChroma: JPEGChroma

    public init(jpegQuality: Int = 95, jpegChroma: JPEGChroma = .full) {
        self.jpegQuality = jpegQuality
        self.jpegChroma = jpegChroma
    }
}

/// Reads and writes PNG and JPEG images as ``RGBImage`` (planar RGB floats in [0, 1]).
public enum ImageIO {
    /// Largest pixel count read unless the caller raises it: 89 478 485 (≈ 89.5 MP, Pillow's warning
    /// threshold, `2³⁰ / 4 / 3`).
    public static let defaultMaxPixels = 89_478_485

    /// Reads a PNG or JPEG file, recognised by content, not by extension.
    ///
    /// PNG: gray, gray+alpha, palette (+tRNS), RGB, RGBA, 1–16 bits, interlaced; alpha is composited over
    /// white. JPEG: baseline, progressive, arithmetic, grayscale, CMYK/YCCK (Adobe inverted CMYK handled).
    /// The EXIF orientation (JPEG APP1, PNG `eXIf`) is applied, so the result is upright. Images over
    /// `maxPixels` pixels are refused before any pixel memory is allocated. `background`: what transparent pixels
    /// are composited over (a mask's transparent part is black: it does not paint).
    /// - Throws: `GPUStyleError(.image, "<path>: <what>")` for an unreadable, empty, truncated, corrupt,
    ///   zero-sized, oversized or non-PNG/JPEG file; `.usage` for `maxPixels < 1`.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels, background: AlphaBackground = .white) throws -> RGBImage {
        try checkLimit(maxPixels)
        // Generous: 16-bit RGBA stored uncompressed takes ~8 bytes a pixel; CMYK JPEG at quality 100 less.
        let (scaled, overflow) = maxPixels.multipliedReportingOverflow(by: 16)
        let maxBytes = overflow || scaled > Int.max - (64 << 20) ? Int.max : scaled + (64 << 20)
        let bytes = try ImageFiles.readAll(path: path, maxBytes: maxBytes)
        return try decode(data: bytes, name: path, maxPixels: maxPixels, background: background)
    }

    /// Decodes PNG or JPEG bytes (a pure function of its input; `name` only labels error messages).
    /// Same formats, limits and errors as ``read(path:maxPixels:)``.
    public static func decode(data: [UInt8], name: String, maxPixels: Int = defaultMaxPixels, background: AlphaBackground = .white) throws -> RGBImage {
        try checkLimit(maxPixels)
        switch SniffedContent.sniff(data) {
        case .png:
            let stored = try RasterDecoder.png.decodeImage(data, name: name, maxPixels: maxPixels, background: background)
            return stored.applyingExifOrientation(ExifOrientation.fromPNG(data))
        case .jpeg:
            let stored = try RasterDecoder.jpeg.decodeImage(data, name: name, maxPixels: maxPixels, background: background)
            return stored.applyingExifOrientation(ExifOrientation.fromJPEG(data))
        case .empty:
            throw GPUStyleError(.image, "\(name): the file is empty (0 bytes), not an image")
        case .text:
            throw GPUStyleError(.image, "\(name): not an image: the file contains text; give a PNG or JPEG file")
        case .otherFormat(let format):
            throw GPUStyleError(.image, "\(name): unsupported image format \(format); gpustyle reads PNG and JPEG, so convert it to one of those first")
        case .unknown(let start):
            throw GPUStyleError(.image, "\(name): not a PNG or JPEG image (unrecognised content starting with bytes \(start))")
        }
    }

    /// Writes `image` as PNG (8-bit RGB) or JPEG (baseline, `options.jpegQuality`, `options.jpegChroma`),
    /// chosen by the extension of `path` (`.png`, `.jpg`, `.jpeg`). Values are clamped to [0, 1] and rounded.
    ///
    /// The write is atomic: a temporary file `.<name>.tmp-<pid>-<random>` in the same folder is renamed
    /// over `path`; on any failure it is removed and an existing file at `path` is left untouched.
    /// - Throws: `GPUStyleError(.image, "<path>: <what>")` for another extension, an empty image, bad
    ///   options, or a folder that is missing or not writable.
    public static func write(_ image: RGBImage, to path: String, options: ImageWriteOptions = ImageWriteOptions()) throws {
        guard let format = ImageFormat(pathExtensionOf: path) else {
            throw GPUStyleError(.image, "\(path): cannot tell the image format from the extension; use .png, .jpg or .jpeg")
        }
        let bytes = try encode(image, as: format, options: options, name: path)
        try ImageFiles.writeAtomically(bytes, to: path)
    }

    /// Encodes `image` in memory, as ``write(_:to:options:)`` would write it.
    public static func encode(_ image: RGBImage, as format: ImageFormat,
                              options: ImageWriteOptions = ImageWriteOptions()) throws -> [UInt8] {
        try encode(image, as: format, options: options, name: "image")
    }

    static func encode(_ image: RGBImage, as format: ImageFormat, options: ImageWriteOptions, name: String) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw GPUStyleError(.image, "\(name): cannot write an empty image (\(image.width)×\(image.height) pixels)")
        }
        guard image.width <= Int(UInt32.max), image.height <= Int(UInt32.max),
              image.pixels.count == 3 * image.width * image.height else {
            throw GPUStyleError(.image, "\(name): cannot write a \(image.width)×\(image.height) image")
        }
        if format == .jpeg, !(1...100).contains(options.jpegQuality) {
            throw GPUStyleError(.usage, "JPEG quality \(options.jpegQuality) is outside 1…100")
        }
        return try RasterEncoder.encode(PixelConversion.interleavedRGB8(image), width: image.width,
                                        height: image.height, format: format, options: options, name: name)
    }

    private static func checkLimit(_ maxPixels: Int) throws {
        guard maxPixels >= 1 else {
            throw GPUStyleError(.usage, "the pixel limit must be at least 1 (got \(maxPixels))")
        }
    }
}
