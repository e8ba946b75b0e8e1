// FloatDecoding.swift — stored float formats (float16, bfloat16, float32, float64; either byte order) to checked Float32.

/// A floating-point storage format a weight file may use.
public enum StoredFloat: Sendable, Equatable {
    case float16, bfloat16, float32, float64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float16, .bfloat16: return 2
        case .float32: return 4
        case .float64: return 8
        }
    }
}

/// Decodes `count` values of `format` from `bytes` into Float32, rejecting NaN/Inf and float64 values
/// outside Float32's range; errors name `tensor` and start with `context` (the file).
public func decodeFloats(_ bytes: UnsafeRawBufferPointer, count: Int, format: StoredFloat, bigEndian: Bool = false,
                         tensor: String, context: String) throws -> [Float] {
    let (needed, overflow) = count.multipliedReportingOverflow(by: format.size)
    guard count >= 0, !overflow, needed <= bytes.count else {
        throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' needs \(count) values of \(format.size) bytes but only \(bytes.count) bytes are there")
    }
    if format == .float32 && !bigEndian {
        return try decodeFloat32LE(bytes, count: count, tensor: tensor, context: context)
    }
    var values = [Float](repeating: 0, count: count)
    var cursor = ByteCursor(bytes, context: context)
    for i in 0..<count {
        let value: Float
        switch format {
        case .float16:
            let raw: UInt16 = bigEndian ? try cursor.be() : try cursor.le()
            value = Float(Float16(bitPattern: raw))
        case .bfloat16:
            let raw: UInt16 = bigEndian ? try cursor.be() : try cursor.le()
            value = Float(bitPattern: UInt32(raw) << 16)
        case .float32:
            let raw: UInt32 = bigEndian ? try cursor.be() : try cursor.le()
            value = Float(bitPattern: raw)
        case .float64:
            let raw: UInt64 = bigEndian ? try cursor.be() : try cursor.le()
            let double = Double(bitPattern: raw)
            guard double.isFinite else {
                throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' holds a non-finite value (\(double)) at element \(i); the file is corrupt")
            }
            value = Float(double)
            guard value.isFinite else {
                throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' holds \(double) at element \(i), outside the Float32 range")
            }
        }
        guard value.isFinite else {
            throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' holds a non-finite value (\(value)) at element \(i); the file is corrupt")
        }
        values[i] = value
    }
    return values
}

/// The product of `shape` (1 for a scalar), or an error naming `tensor` when a dimension is negative
/// or the product overflows.
public func elementCount(_ shape: [Int], tensor: String, context: String) throws -> Int {
    var count = 1
    for dim in shape {
        guard dim >= 0 else {
            throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' has a negative dimension in shape \(shape)")
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        guard !overflow else {
            throw GPUStyleError(.weights, "\(context): tensor '\(tensor)' shape \(shape) has more elements than can be counted; the file is corrupt")
        }
        count = product
    }
    return count
}
