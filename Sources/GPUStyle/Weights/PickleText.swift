// PickleText.swift — decoding of pickle operands: long integers, protocol-0 quoted strings, raw-unicode-escape, legacy byte strings.

enum PickleText {
    /// An integer from LONG1/LONG4 bytes (little-endian two's complement); `.bigInt` when it needs more than 64 bits.
    static func integer(littleEndianTwosComplement bytes: [UInt8]) -> PickleValue {
        guard let last = bytes.last else { return .int(0) }
        let negative = last & 0x80 != 0
        let fill: UInt8 = negative ? 0xFF : 0x00
        // Redundant sign bytes above the low 8 do not change the value.
        var significant = bytes.count
        while significant > 8 && bytes[significant - 1] == fill { significant -= 1 }
        if significant > 8 || (significant == 8 && bytes.count > 8 && (bytes[7] & 0x80 != 0) != negative) {
            return .bigInt(bytes)
        }
        var value: UInt64 = negative ? ~0 : 0
        for i in 0..<min(significant, 8) {
            value &= ~(UInt64(0xFF) << (8 * i))
            value |= UInt64(bytes[i]) << (8 * i)
        }
        return .int(Int64(bitPattern: value))
    }

    /// Python 2 `str` bytes (SHORT_BINSTRING, BINSTRING, STRING): UTF-8 when valid, else Latin-1.
    static func decodeBytesAsString(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var scalars = String.UnicodeScalarView()
        for b in bytes { scalars.append(Unicode.Scalar(b)) }
        return String(scalars)
    }

    /// The protocol-0 STRING operand: a Python `repr` of a byte string, in single or double quotes.
    static func quotedString(_ line: String, context: String) throws -> String {
        let bytes = Array(line.utf8)
        guard bytes.count >= 2, let q = bytes.first, q == UInt8(ascii: "'") || q == UInt8(ascii: "\""), bytes.last == q else {
            throw GPUStyleError(.weights, "\(context): STRING operand is not a quoted string")
        }
        var out: [UInt8] = []
        var i = 1
        let end = bytes.count - 1
        while i < end {
            let b = bytes[i]
            i += 1
            guard b == UInt8(ascii: "\\"), i < end else { out.append(b); continue }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "x"):
                if i + 2 <= end, let v = UInt8(String(decoding: bytes[i..<(i + 2)], as: UTF8.self), radix: 16) {
                    out.append(v)
                    i += 2
                } else {
                    out.append(contentsOf: [UInt8(ascii: "\\"), e])
                }
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
            default: out.append(contentsOf: [UInt8(ascii: "\\"), e])
            }
        }
        return decodeBytesAsString(out)
    }

    /// The protocol-0 UNICODE operand: Latin-1 text with `\uXXXX` and `\UXXXXXXXX` escapes.
    static func rawUnicodeEscape(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") || bytes[i + 1] == UInt8(ascii: "U") {
                let digits = bytes[i + 1] == UInt8(ascii: "u") ? 4 : 8
                if i + 2 + digits <= bytes.count,
                   let code = UInt32(String(decoding: bytes[(i + 2)..<(i + 2 + digits)], as: UTF8.self), radix: 16),
                   let scalar = Unicode.Scalar(code) {
                    scalars.append(scalar)
                    i += 2 + digits
                    continue
                }
            }
            scalars.append(Unicode.Scalar(b))
            i += 1
        }
        return String(scalars)
    }
}
