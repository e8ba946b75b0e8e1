// ByteCursor.swift — bounds-checked little-endian reads over untrusted bytes; every overrun is an error.

/// Reads integers, floats and slices from a byte buffer without ever reading outside it.
/// `context` (usually the file path) starts every error message.
public struct ByteCursor {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int
    public let context: String

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, context: String) {
        self.bytes = bytes
        self.offset = offset
        self.context = context
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    /// Throws unless `count` bytes are available at the current offset.
    public func require(_ count: Int, _ what: @autoclosure () -> String = "data") throws {
        guard count >= 0, offset >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw GPUStyleError(.weights, "\(context): truncated or corrupt: \(what()) needs \(count) bytes at offset \(offset), file has \(bytes.count)")
        }
    }

    public mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "data") throws {
        try require(count, what())
        offset += count
    }

    public mutating func seek(to position: Int, _ what: @autoclosure () -> String = "data") throws {
        guard position >= 0 && position <= bytes.count else {
            throw GPUStyleError(.weights, "\(context): truncated or corrupt: \(what()) at offset \(position) is outside the file of \(bytes.count) bytes")
        }
        offset = position
    }

    public mutating func u8() throws -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Little-endian unsigned integer of `T`'s width.
    public mutating func le<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        var value: T = 0
        for i in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        offset += size
        return value
    }

    /// Big-endian unsigned integer of `T`'s width.
    public mutating func be<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        var value: T = 0
        for i in 0..<size { value = (value << 8) | T(truncatingIfNeeded: bytes[offset + i]) }
        offset += size
        return value
    }

    /// Unsigned little-endian integer of `size` bytes (1…8), e.g. HDF5's variable-width offsets.
    public mutating func leUInt(size: Int) throws -> UInt64 {
        guard (1...8).contains(size) else {
            throw GPUStyleError(.weights, "\(context): corrupt: integer width \(size)")
        }
        try require(size)
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(bytes[offset + i]) << (8 * i) }
        offset += size
        return value
    }

    public mutating func f32() throws -> Float { Float(bitPattern: try le(UInt32.self)) }

    /// The next `count` bytes as a sub-buffer (no copy).
    public mutating func slice(_ count: Int, _ what: @autoclosure () -> String = "data") throws -> UnsafeRawBufferPointer {
        try require(count, what())
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    public mutating func string(_ count: Int, _ what: @autoclosure () -> String = "string") throws -> String {
        String(decoding: try slice(count, what()), as: UTF8.self)
    }
}

/// Decodes `count` little-endian Float32 values from `bytes`, rejecting NaN/Inf (naming `tensor`).
public func decodeFloat32LE(_ bytes: UnsafeRawBufferPointer, count: Int, tensor: String, context: String) throws -> [Float] {
    guard count >= 0, let needed = Optional(count.multipliedReportingOverflow(by: 4)), !needed.overflow,
          needed.partialValue <= bytes.count else {
        throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' needs \(count) floats but only \(bytes.count) bytes are there")
    }
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(count * 4)])) }
    #if _endian(big)
    for i in values.indices { values[i] = Float(bitPattern: values[i].bitPattern.byteSwapped) }
    #endif
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' holds a non-finite value (\(values[bad])) at element \(bad); the file is corrupt")
    }
    return values
}
