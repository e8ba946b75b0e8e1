// TorchTensorDecoder.swift — reads a strided PyTorch tensor out of its storage bytes as Float32, with every extent checked.

enum TorchTensorDecoder {
    /// The values of `tensor` in row-major order, converted to Float32.
    /// - Parameters:
    ///   - record: the bytes of the storage record `tensor.storage.key` (a ZIP entry, or a legacy stream's data).
    ///   - bigEndian: the storage bytes are big-endian (a ZIP `byteorder` of "big", a legacy `little_endian` false).
    /// Rejects non-floating dtypes, extents outside the storage, and NaN/Inf values, naming `name`.
    static func values(of tensor: TorchTensorRef, record: UnsafeRawBufferPointer, bigEndian: Bool,
                       name: String, context: String) throws -> [Float] {
        let fail = { (what: String) in GPUStyleError(.weights, "\(context): tensor '\(name)': \(what)") }
        let storage = tensor.storage
        guard tensor.dtype.isFloatingPoint, let width = tensor.dtype.byteWidth else {
            throw fail("dtype \(tensor.dtype.name) is not a floating-point type gpustyle reads")
        }
        guard let storageWidth = storage.dtype.byteWidth else { throw fail("storage dtype \(storage.dtype.name) is unknown") }

        // The storage's bytes: `numel` elements starting `viewOffset` elements into the record.
        let (start, o1) = storage.viewOffset.multipliedReportingOverflow(by: storageWidth)
        let (length, o2) = storage.numel.multipliedReportingOverflow(by: storageWidth)
        guard !o1, !o2, start <= record.count, length <= record.count - start else {
            throw fail("its storage '\(storage.key)' (\(storage.numel) × \(storageWidth) bytes at element \(storage.viewOffset)) does not fit the \(record.count) bytes stored")
        }
        let available = length / width

        // Element count and the last element touched; both checked for overflow.
        var count = 1
        var lastIndex = tensor.storageOffset
        for (size, stride) in zip(tensor.shape, tensor.stride) {
            let (c, oc) = count.multipliedReportingOverflow(by: size)
            guard !oc else { throw fail("shape \(tensor.shape) has more elements than this machine can address") }
            count = c
            if size > 0 {
                let (step, os) = (size - 1).multipliedReportingOverflow(by: stride)
                let (last, ol) = lastIndex.addingReportingOverflow(step)
                guard !os, !ol else { throw fail("shape \(tensor.shape) with stride \(tensor.stride) overflows") }
                lastIndex = last
            }
        }
        if count == 0 { return [] }
        guard lastIndex < available else {
            throw fail("shape \(tensor.shape), stride \(tensor.stride) at offset \(tensor.storageOffset) reaches element \(lastIndex) of a storage holding \(available)")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: record[start..<(start + length)])

        // Contiguous little-endian float32: one copy, then a finiteness scan.
        if isContiguous(shape: tensor.shape, stride: tensor.stride), tensor.dtype == .float32, !bigEndian {
            let from = tensor.storageOffset * 4
            return try decodeFloat32LE(UnsafeRawBufferPointer(rebasing: bytes[from..<(from + count * 4)]),
                                       count: count, tensor: name, context: context)
        }
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: tensor.shape.count)
        var element = tensor.storageOffset
        for i in 0..<count {
            let value = load(bytes, element: element, width: width, dtype: tensor.dtype, bigEndian: bigEndian)
            guard value.isFinite else {
                throw fail("holds a non-finite value (\(value)) at element \(i), or one beyond Float32's range; the file is corrupt")
            }
            values[i] = value
            // Advance the row-major multi-index. Wrapping arithmetic: a size-1 axis may carry any stride, and
            // only positions inside the bounds checked above are ever loaded.
            var axis = tensor.shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                element &+= tensor.stride[axis]
                if index[axis] < tensor.shape[axis] { break }
                element &-= tensor.stride[axis] &* index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return values
    }

    /// Row-major strides, ignoring axes of size 1.
    static func isContiguous(shape: [Int], stride: [Int]) -> Bool {
        var expected = 1
        for axis in stride.indices.reversed() where shape[axis] != 1 {
            if stride[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    private static func load(_ bytes: UnsafeRawBufferPointer, element: Int, width: Int, dtype: TorchDType, bigEndian: Bool) -> Float {
        let at = element * width
        var raw: UInt64 = 0
        for i in 0..<width {
            let byte = UInt64(bytes[bigEndian ? at + width - 1 - i : at + i])
            raw |= byte << (8 * i)
        }
        switch dtype {
        case .float32: return Float(bitPattern: UInt32(truncatingIfNeeded: raw))
        case .float64: return Float(Double(bitPattern: raw))
        case .float16: return halfToFloat(UInt16(truncatingIfNeeded: raw))
        case .bfloat16: return Float(bitPattern: UInt32(truncatingIfNeeded: raw) << 16)
        default: return .nan
        }
    }

    /// IEEE binary16 → binary32, exact (subnormals included).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
