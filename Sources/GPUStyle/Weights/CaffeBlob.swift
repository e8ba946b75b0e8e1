// CaffeBlob.swift — decodes one Caffe BlobProto (shape + packed/unpacked float or double data) into Float32.

/// Caffe's `BlobProto`: num=1, channels=2, height=3, width=4 (legacy 4-D shape), data=5 (repeated float),
/// shape=7 (`BlobShape`, dim=1 repeated int64), double_data=8; diff (6) and double_diff (9) are skipped.
enum CaffeBlob {
    /// Decodes a blob in two passes over the mapped bytes: the first sizes it, the second fills one
    /// array, so memory is the blob's own size. NaN/Inf and shape/data mismatches are errors naming `name`.
    static func decode(_ bytes: UnsafeRawBufferPointer, offset: Int, name: String, context: String) throws -> (shape: [Int], values: [Float]) {
        let fail = { (what: String) in GPUStyleError(.weights, "\(context): blob '\(name)' at offset \(offset): \(what)") }
        var legacy: [Int64] = [0, 0, 0, 0]
        var hasLegacy = false
        var shape: [Int64]?
        var floatCount = 0, doubleCount = 0

        var reader = ProtoReader(bytes, offset: offset, context: context)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1...4, .varint(let v)):
                legacy[field - 1] = Int64(Int32(truncatingIfNeeded: v))
                hasLegacy = true
            case (7, .bytes(let sub, let subOffset)):
                // A repeated message field merges, as protobuf does: dims accumulate.
                var dims = shape ?? []
                var shapeReader = ProtoReader(sub, offset: subOffset, context: context)
                while let (f, v) = try shapeReader.next() {
                    guard f == 1 else { continue }
                    dims += try ProtoReader.integers(v, context: context).map { Int64(bitPattern: $0) }
                    guard dims.count <= 32 else { throw fail("its shape has more than 32 dimensions") }
                }
                shape = dims
            case (5, .bytes(let packed, _)):
                guard packed.count % 4 == 0 else { throw fail("packed float data of \(packed.count) bytes is not a multiple of 4") }
                floatCount += packed.count / 4
            case (5, .fixed32): floatCount += 1
            case (8, .bytes(let packed, _)):
                guard packed.count % 8 == 0 else { throw fail("packed double data of \(packed.count) bytes is not a multiple of 8") }
                doubleCount += packed.count / 8
            case (8, .fixed64): doubleCount += 1
            case (1...5, _), (7, _), (8, _):
                throw fail("field \(field) has the wrong wire type")
            default: break
            }
        }
        guard floatCount == 0 || doubleCount == 0 else { throw fail("it holds both float and double data") }
        let count = floatCount + doubleCount

        var dims: [Int64]
        if let shape { dims = shape } else if hasLegacy { dims = legacy } else { dims = [Int64(count)] }
        var product = 1
        for d in dims {
            guard d >= 0, d <= Int64(Int32.max) else { throw fail("its shape \(dims) has a negative or huge dimension") }
            let (p, overflow) = product.multipliedReportingOverflow(by: Int(d))
            guard !overflow else { throw fail("its shape \(dims) has more elements than this machine can address") }
            product = p
        }
        guard product == count else { throw fail("its shape \(dims) holds \(product) values but the data has \(count)") }

        var values = [Float](repeating: 0, count: count)
        var filled = 0
        reader = ProtoReader(bytes, offset: offset, context: context)
        try values.withUnsafeMutableBufferPointer { out in
            while let (field, value) = try reader.next() {
                switch (field, value) {
                case (5, .bytes(let packed, _)):
                    let n = packed.count / 4
                    UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[(filled * 4)..<((filled + n) * 4)])
                        .copyMemory(from: packed)
                    #if _endian(big)
                    for i in filled..<(filled + n) { out[i] = Float(bitPattern: out[i].bitPattern.byteSwapped) }
                    #endif
                    filled += n
                case (5, .fixed32(let bits)):
                    out[filled] = Float(bitPattern: bits)
                    filled += 1
                case (8, .bytes(let packed, _)):
                    var cursor = ByteCursor(packed, context: context)
                    while !cursor.isAtEnd {
                        out[filled] = Float(Double(bitPattern: try cursor.le(UInt64.self)))
                        filled += 1
                    }
                case (8, .fixed64(let bits)):
                    out[filled] = Float(Double(bitPattern: bits))
                    filled += 1
                default: break
                }
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail("it holds a non-finite value (or a double beyond Float32's range) at element \(bad); the file is corrupt")
        }
        return (dims.map { Int($0) }, values)
    }
}
