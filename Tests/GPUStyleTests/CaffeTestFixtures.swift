// CaffeTestFixtures.swift — a protobuf encoder and small .caffemodel builders (V1 `layers`, V2 `layer`) for the reader tests.

/// Protobuf wire-format encoder.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    mutating func varintField(_ field: Int, _ value: Int64) { tag(field, 0); varint(UInt64(bitPattern: value)) }
    mutating func bytesField(_ field: Int, _ data: [UInt8]) { tag(field, 2); varint(UInt64(data.count)); bytes += data }
    mutating func stringField(_ field: Int, _ s: String) { bytesField(field, Array(s.utf8)) }
    mutating func fixed32Field(_ field: Int, _ v: UInt32) { tag(field, 5); bytes += littleEndianBytes([v]) }
    mutating func fixed64Field(_ field: Int, _ v: UInt64) { tag(field, 1); bytes += littleEndianBytes([v]) }
    mutating func group(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        tag(field, 3); body(&self); tag(field, 4)
    }
}

/// How a fixture blob stores its values and shape.
struct BlobStyle {
    var packed = true
    var double = false
    /// Legacy num/channels/height/width instead of a BlobShape.
    var legacyShape = false
    /// Split packed data into this many length-delimited chunks (protobuf concatenates them).
    var chunks = 1
    /// Interleave unknown fields of every wire type.
    var unknownFields = false
}

enum CaffeFixture {
    static func blob(shape: [Int], values: [Float], style: BlobStyle = BlobStyle()) -> [UInt8] {
        var w = ProtoWriter()
        if style.unknownFields { w.varintField(1000, 7); w.group(1001) { $0.varintField(1, 1); $0.group(2) { $0.fixed32Field(3, 9) } } }
        if style.legacyShape {
            var dims = shape
            while dims.count < 4 { dims.insert(1, at: 0) }
            for (i, d) in dims.enumerated() { w.varintField(i + 1, Int64(d)) }
        } else {
            var s = ProtoWriter()
            if style.unknownFields { s.stringField(2, "ignored") }
            var packedDims = ProtoWriter()
            for d in shape { packedDims.varint(UInt64(d)) }
            s.bytesField(1, packedDims.bytes)
            w.bytesField(7, s.bytes)
        }
        let field = style.double ? 8 : 5
        if style.packed {
            let per = (values.count + style.chunks - 1) / max(style.chunks, 1)
            var start = 0
            repeat {
                let end = min(values.count, start + max(per, 1))
                let slice = Array(values[start..<end])
                let data = style.double ? littleEndianBytes(slice.map { Double($0).bitPattern }) : littleEndianBytes(slice.map { $0.bitPattern })
                w.bytesField(field, data)
                if style.unknownFields { w.fixed64Field(999, 42) }
                start = end
            } while start < values.count
        } else {
            for v in values {
                if style.double { w.fixed64Field(field, Double(v).bitPattern) } else { w.fixed32Field(field, v.bitPattern) }
            }
        }
        if style.unknownFields { w.bytesField(6, littleEndianBytes([Float(1).bitPattern])) } // diff: skipped
        return w.bytes
    }

    /// `LayerParameter` (field 100 of NetParameter): name=1, type=2, blobs=7.
    static func v2Layer(_ name: String, _ type: String, blobs: [[UInt8]], unknownFields: Bool = false) -> [UInt8] {
        var w = ProtoWriter()
        w.stringField(1, name)
        w.stringField(2, type)
        if unknownFields { w.stringField(3, "bottom"); w.varintField(10, -1); w.group(1234) { $0.stringField(1, "x") } }
        for b in blobs { w.bytesField(7, b) }
        return w.bytes
    }

    /// `V1LayerParameter` (field 2 of NetParameter): name=4, type=5 enum, blobs=6.
    static func v1Layer(_ name: String, _ type: Int, blobs: [[UInt8]], unknownFields: Bool = false) -> [UInt8] {
        var w = ProtoWriter()
        w.stringField(2, "bottom")
        w.stringField(4, name)
        w.varintField(5, Int64(type))
        if unknownFields { w.fixed32Field(7, 1); w.stringField(3, "top") }
        for b in blobs { w.bytesField(6, b) }
        return w.bytes
    }

    static func net(v1: [[UInt8]] = [], v2: [[UInt8]] = [], name: String = "VGG_TEST") -> [UInt8] {
        var w = ProtoWriter()
        w.stringField(1, name)
        for l in v1 { w.bytesField(2, l) }
        for l in v2 { w.bytesField(100, l) }
        return w.bytes
    }

    /// A small VGG-like prefix: conv1_1 (4×3×3×3), relu, conv1_2 (5×4×3×3), pool, fc6 (InnerProduct, 2×5).
    struct Network {
        let convs: [(name: String, shape: [Int], weights: [Float], bias: [Float])]
        let fc: (weights: [Float], bias: [Float])

        static func seeded(_ seed: UInt64) -> Network {
            let shapes = [("conv1_1", [4, 3, 3, 3]), ("conv1_2", [5, 4, 3, 3])]
            var convs: [(String, [Int], [Float], [Float])] = []
            for (i, (name, shape)) in shapes.enumerated() {
                let n = shape.reduce(1, *)
                convs.append((name, shape, randomValues(n, seed: seed + UInt64(i)), randomValues(shape[0], seed: seed + 100 + UInt64(i))))
            }
            return Network(convs: convs, fc: (randomValues(10, seed: seed + 200), randomValues(2, seed: seed + 201)))
        }

        func v2(style: BlobStyle = BlobStyle(), unknownFields: Bool = false) -> [UInt8] {
            var layers: [[UInt8]] = [CaffeFixture.v2Layer("data", "Input", blobs: [])]
            for (i, c) in convs.enumerated() {
                layers.append(CaffeFixture.v2Layer(c.name, "Convolution", blobs: [
                    CaffeFixture.blob(shape: c.shape, values: c.weights, style: style),
                    CaffeFixture.blob(shape: [c.shape[0]], values: c.bias, style: style),
                ], unknownFields: unknownFields))
                layers.append(CaffeFixture.v2Layer("relu1_\(i + 1)", "ReLU", blobs: []))
            }
            layers.append(CaffeFixture.v2Layer("pool1", "Pooling", blobs: []))
            layers.append(CaffeFixture.v2Layer("fc6", "InnerProduct", blobs: [
                CaffeFixture.blob(shape: [2, 5], values: fc.weights), CaffeFixture.blob(shape: [2], values: fc.bias)]))
            return CaffeFixture.net(v2: layers)
        }

        func v1(style: BlobStyle = BlobStyle(legacyShape: true), unknownFields: Bool = false) -> [UInt8] {
            var layers: [[UInt8]] = []
            for (i, c) in convs.enumerated() {
                layers.append(CaffeFixture.v1Layer(c.name, 4, blobs: [
                    CaffeFixture.blob(shape: c.shape, values: c.weights, style: style),
                    CaffeFixture.blob(shape: [c.shape[0]], values: c.bias, style: style),
                ], unknownFields: unknownFields))
                layers.append(CaffeFixture.v1Layer("relu1_\(i + 1)", 18, blobs: []))
            }
            layers.append(CaffeFixture.v1Layer("pool1", 17, blobs: []))
            layers.append(CaffeFixture.v1Layer("fc6", 14, blobs: [
                CaffeFixture.blob(shape: [1, 1, 2, 5], values: fc.weights, style: style),
                CaffeFixture.blob(shape: [2], values: fc.bias, style: style)]))
            return CaffeFixture.net(v1: layers)
        }
    }
}
