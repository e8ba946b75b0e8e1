// ExifOrientation.swift — the EXIF orientation tag (0x0112) of a JPEG or PNG, found and applied; every read bounds-checked.

/// EXIF orientation 1…8: how the stored rows and columns map onto the upright picture.
enum ExifOrientation {
    /// The orientation in the first Exif APP1 segment before the first scan; 1 when there is none or it
    /// is malformed (a damaged tag never rejects an image).
    static func fromJPEG(_ bytes: [UInt8]) -> Int {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return 1 }
        var position = 2
        while position + 4 <= bytes.count {
            guard bytes[position] == 0xFF else { return 1 }
            var markerAt = position + 1
            while markerAt < bytes.count, bytes[markerAt] == 0xFF { markerAt += 1 }  // fill bytes
            guard markerAt < bytes.count else { return 1 }
            let marker = bytes[markerAt]
            position = markerAt + 1
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { continue }  // no length field
            if marker == 0xDA || marker == 0xD9 { return 1 }  // first scan or end: no Exif before it
            guard position + 2 <= bytes.count else { return 1 }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            guard length >= 2, position + length <= bytes.count else { return 1 }
            if marker == 0xE1 {
                let payload = bytes[(position + 2)..<(position + length)]
                let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]  // "Exif\0\0"
                if payload.count >= 6, payload.prefix(6).elementsEqual(exifHeader) {
                    return fromTIFF(Array(payload.dropFirst(6)))
                }
            }
            position += length
        }
        return 1
    }

    /// The orientation in a PNG's first `eXIf` chunk (a TIFF structure, PNG 1.5 extension); 1 when there
    /// is none or it is malformed. Chunk lengths are only followed while they stay inside the data.
    static func fromPNG(_ bytes: [UInt8]) -> Int {
        var position = 8
        while position + 8 <= bytes.count {
            let length = bytes[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = bytes[(position + 4)..<(position + 8)]
            let start = position + 8
            guard length <= bytes.count - start else { return 1 }
            if type.elementsEqual("eXIf".utf8) { return fromTIFF(Array(bytes[start..<(start + length)])) }
            if type.elementsEqual("IEND".utf8) { return 1 }
            position = start + length + 4  // data and CRC
        }
        return 1
    }

    /// Reads tag 0x0112 from IFD0 of a TIFF structure ("II*\0" or "MM\0*").
    static func fromTIFF(_ tiff: [UInt8]) -> Int {
        guard tiff.count >= 8 else { return 1 }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return 1
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            let a = Int(tiff[at]), b = Int(tiff[at + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let first = u16(at), let second = u16(at + 2) else { return nil }
            return little ? first | second << 16 : first << 16 | second
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return 1 }
        for index in 0..<entries {
            let entry = ifd + 2 + 12 * index
            guard let tag = u16(entry), let type = u16(entry + 2), let count = u32(entry + 4) else { return 1 }
            guard tag == 0x0112 else { continue }
            let value: Int?
            switch type {
            case 3: value = count >= 1 ? u16(entry + 8) : nil  // SHORT, stored in the value field
            case 4: value = count >= 1 ? u32(entry + 8) : nil  // LONG, seen from a few writers
            default: value = nil
            }
            guard let value, (1...8).contains(value) else { return 1 }
            return value
        }
        return 1
    }
}

extension RGBImage {
    /// The upright picture for a stored image with EXIF `orientation` (1…8; others leave it as it is).
    /// Orientations 5–8 swap width and height.
    func applyingExifOrientation(_ orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation), width > 0, height > 0 else { return self }
        let swapsAxes = orientation >= 5
        let outWidth = swapsAxes ? height : width, outHeight = swapsAxes ? width : height
        let w = width, h = height
        // Source pixel (x, y) for output pixel (u, v).
        let source: (Int, Int) -> (Int, Int)
        switch orientation {
        case 2: source = { u, v in (w - 1 - u, v) }           // mirrored left–right
        case 3: source = { u, v in (w - 1 - u, h - 1 - v) }   // rotated 180°
        case 4: source = { u, v in (u, h - 1 - v) }           // mirrored top–bottom
        case 5: source = { u, v in (v, u) }                   // transposed
        case 6: source = { u, v in (v, h - 1 - u) }           // needs 90° clockwise
        case 7: source = { u, v in (w - 1 - v, h - 1 - u) }   // transversed
        default: source = { u, v in (w - 1 - v, u) }          // 8: needs 90° counter-clockwise
        }
        let plane = w * h
        var out = [Float](repeating: 0, count: 3 * plane)
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for v in 0..<outHeight {
                    for u in 0..<outWidth {
                        let (x, y) = source(u, v)
                        let from = y * w + x, to = v * outWidth + u
                        output[to] = input[from]
                        output[plane + to] = input[plane + from]
                        output[2 * plane + to] = input[2 * plane + from]
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}
