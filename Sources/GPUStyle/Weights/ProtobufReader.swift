// ProtobufReader.swift — a bounds-checked protobuf wire-format reader over mapped bytes: no size limit, no copies.

/// One field's payload as the wire format carries it.
enum ProtoValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case fixed32(UInt32)
    /// Length-delimited: a string, bytes, a sub-message or a packed repeated field. `offset` is the
    /// absolute position of its first byte, for messages.
    case bytes(UnsafeRawBufferPointer, offset: Int)
}

/// Iterates the fields of one message. Groups (deprecated wire types 3/4) are skipped with a depth limit;
/// every length is checked against the bytes of the enclosing message.
struct ProtoReader {
    static let maxGroupDepth = 64

    private var cursor: ByteCursor
    /// Absolute offset of `cursor`'s first byte in the file.
    private let base: Int
    private let context: String

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, context: String) {
        cursor = ByteCursor(bytes, context: context)
        base = offset
        self.context = context
    }

    /// The absolute file offset of the next byte.
    var position: Int { base + cursor.offset }

    func corrupt(_ what: String) -> GPUStyleError {
        GPUStyleError(.weights, "\(context): malformed protobuf at offset \(position): \(what)")
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> (field: Int, value: ProtoValue)? {
        while !cursor.isAtEnd {
            let (field, wireType) = try tag()
            switch wireType {
            case 0: return (field, .varint(try varint()))
            case 1: return (field, .fixed64(try fixed(UInt64.self)))
            case 5: return (field, .fixed32(try fixed(UInt32.self)))
            case 2:
                let length = try varint()
                guard length <= UInt64(cursor.remaining) else {
                    throw corrupt("field \(field) claims \(length) bytes but only \(cursor.remaining) remain in its message (truncated file?)")
                }
                let start = position
                return (field, .bytes(try cursor.slice(Int(length)), offset: start))
            case 3:
                try skipGroup(field, depth: 1)
            default:
                throw corrupt("field \(field) has wire type \(wireType), which is invalid here")
            }
        }
        return nil
    }

    private mutating func tag() throws -> (Int, Int) {
        let key = try varint()
        let field = key >> 3
        guard field >= 1, field <= 536_870_911 else { throw corrupt("field number \(field) is invalid") }
        return (Int(field), Int(key & 7))
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<10 {
            guard !cursor.isAtEnd else { throw corrupt("a varint runs past the end of its message (truncated file?)") }
            let byte = try cursor.u8()
            if i == 9 && byte > 1 { throw corrupt("a varint is longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(i))
            if byte & 0x80 == 0 { return value }
        }
        throw corrupt("a varint is longer than 10 bytes")
    }

    private mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard cursor.remaining >= MemoryLayout<T>.size else { throw corrupt("a fixed-width value runs past the end of its message (truncated file?)") }
        return try cursor.le(T.self)
    }

    /// Skips to the END_GROUP matching `field`, through nested groups up to `maxGroupDepth`.
    private mutating func skipGroup(_ field: Int, depth: Int) throws {
        guard depth <= ProtoReader.maxGroupDepth else { throw corrupt("groups nested deeper than \(ProtoReader.maxGroupDepth)") }
        while true {
            guard !cursor.isAtEnd else { throw corrupt("group \(field) is not closed") }
            let (inner, wireType) = try tag()
            switch wireType {
            case 0: _ = try varint()
            case 1: _ = try fixed(UInt64.self)
            case 5: _ = try fixed(UInt32.self)
            case 2:
                let length = try varint()
                guard length <= UInt64(cursor.remaining) else { throw corrupt("field \(inner) claims \(length) bytes but only \(cursor.remaining) remain") }
                try cursor.skip(Int(length))
            case 3: try skipGroup(inner, depth: depth + 1)
            case 4:
                guard inner == field else { throw corrupt("group \(field) is closed as \(inner)") }
                return
            default: throw corrupt("field \(inner) has wire type \(wireType), which is invalid")
            }
        }
    }

    /// Varints of a repeated integer field, packed (`.bytes`) or not (`.varint`); at most `limit` of them.
    static func integers(_ value: ProtoValue, limit: Int = 64, context: String) throws -> [UInt64] {
        switch value {
        case .varint(let v): return [v]
        case .bytes(let bytes, let offset):
            var reader = ProtoReader(bytes, offset: offset, context: context)
            var result: [UInt64] = []
            while !reader.cursor.isAtEnd {
                guard result.count < limit else { throw reader.corrupt("more than \(limit) packed integers where a few are expected") }
                result.append(try reader.varint())
            }
            return result
        default:
            throw GPUStyleError(.weights, "\(context): malformed protobuf: an integer field has a fixed-width wire type")
        }
    }
}
