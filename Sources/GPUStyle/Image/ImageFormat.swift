// ImageFormat.swift — which image formats gpustyle handles, recognised by content (reading) or extension (writing).

/// The image file formats gpustyle reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png = "PNG"
    case jpeg = "JPEG"

    /// The format a path's extension asks for when writing (`.png`, `.jpg`, `.jpeg`, any case), or nil.
    public init?(pathExtensionOf path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }
}

/// What the first bytes of a file say it is.
enum SniffedContent: Equatable {
    case png
    case jpeg
    case empty
    case text
    case otherFormat(String)
    case unknown(String)

    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Classifies `bytes` by magic numbers; a short prefix of a PNG/JPEG signature counts as that format
    /// (the decoder then reports it as truncated).
    static func sniff(_ bytes: [UInt8]) -> SniffedContent {
        if bytes.isEmpty { return .empty }
        let head = Array(bytes.prefix(16))
        let pngPrefix = min(head.count, 8)
        if pngPrefix >= 2, Array(head[0..<pngPrefix]) == Array(pngSignature[0..<pngPrefix]) { return .png }
        if head.count >= 4, Array(head[0..<4]) == Array(pngSignature[0..<4]) { return .png }  // damaged signature
        if head.count >= 2, head[0] == 0xFF, head[1] == 0xD8, head.count == 2 || head[2] == 0xFF { return .jpeg }
        if let name = otherFormatName(head) { return .otherFormat(name) }
        if looksLikeText(bytes.prefix(512), whole: bytes.count <= 512) {
            let start = String(decoding: bytes.prefix(512), as: UTF8.self).lowercased()
            if start.contains("<svg") { return .otherFormat("SVG") }
            return .text
        }
        return .unknown(head.prefix(8).map { hexByte($0) }.joined(separator: " "))
    }

    private static func otherFormatName(_ h: [UInt8]) -> String? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            h.count >= offset + magic.count && Array(h[offset..<offset + magic.count]) == magic
        }
        let ascii = { (text: String) in Array(text.utf8) }
        if starts(ascii("GIF87a")) || starts(ascii("GIF89a")) { return "GIF" }
        if starts(ascii("BM")) && h.count >= 14 { return "BMP" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if starts(ascii("RIFF")) && starts(ascii("WEBP"), at: 8) { return "WebP" }
        if starts(ascii("ftypavif"), at: 4) || starts(ascii("ftypavis"), at: 4) { return "AVIF" }
        if starts(ascii("ftyphei"), at: 4) || starts(ascii("ftypmif1"), at: 4) || starts(ascii("ftypheix"), at: 4) { return "HEIF" }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) { return "JPEG 2000" }
        if starts([0xFF, 0x0A]) || starts([0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return "JPEG XL" }
        if starts(ascii("8BPS")) { return "Photoshop PSD" }
        if starts(ascii("qoif")) { return "QOI" }
        if starts([0x76, 0x2F, 0x31, 0x01]) { return "OpenEXR" }
        if starts(ascii("%PDF")) { return "PDF" }
        if h.count >= 3, h[0] == 0x50, (0x31...0x37).contains(h[1]), [0x0A, 0x0D, 0x20, 0x09].contains(h[2]) {
            return "Netpbm (PBM/PGM/PPM)"
        }
        return nil
    }

    /// Valid UTF-8 (a window cut inside a character allowed, unless it is the `whole` file) with no NUL
    /// and no control characters other than tab, newline, form feed, carriage return and escape.
    private static func looksLikeText(_ bytes: ArraySlice<UInt8>, whole: Bool) -> Bool {
        let cuts = whole ? 0...0 : 0...min(3, bytes.count - 1)
        guard cuts.contains(where: { String(validating: bytes.dropLast($0), as: UTF8.self) != nil }) else { return false }
        for byte in bytes {
            switch byte {
            case 0x09, 0x0A, 0x0C, 0x0D, 0x1B: continue
            case 0x00...0x1F, 0x7F: return false
            default: continue
            }
        }
        return true
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
