// CaffeModelReader.swift — Caffe .caffemodel files (NetParameter protobuf, V1 `layers` or new `layer`), convolution blobs only.

/// Reads convolution weights from a binary `.caffemodel` (a `NetParameter` protobuf) through its own
/// wire-format decoder over the mapped file: no 64 MB limit, and only the convolution blobs are copied
/// (a 548 MB VGG19 file costs about its 80 MB of convolution weights).
public enum CaffeModelReader {
    /// Convolution blobs in file order, named `<layer>.weight` (OIHW, as stored) and `<layer>.bias`
    /// (reported 1-D, whatever legacy 4-D shape the file gives it); a third or later blob is `<layer>.blob<i>`.
    /// Other layers are skipped and listed in `metadata["skipped"]`. `format` is "caffemodel-v1" for the
    /// old `layers` field (2; the Oxford VGG files) or "caffemodel-v2" for `layer` (100).
    public static func read(path: String) throws -> WeightFile {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try read(bytes: file.bytes, path: path) }
    }

    /// A layer as the file describes it, blobs not yet decoded.
    struct LayerRecord {
        var name = ""
        var type = ""
        var isConvolution = false
        var blobs: [(bytes: UnsafeRawBufferPointer, offset: Int)] = []
    }

    /// Reads an in-memory `.caffemodel` image; `path` names it in messages.
    public static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> WeightFile {
        var reader = ProtoReader(bytes, context: path)
        var v1Layers = 0, v2Layers = 0
        var tensors: [NamedTensor] = []
        var skipped: [String] = []
        var seen: Set<String> = []
        while let (field, value) = try reader.next() {
            guard field == 2 || field == 100 else { continue }
            guard case .bytes(let layerBytes, let offset) = value else {
                throw reader.corrupt("NetParameter field \(field) (layers) is not length-delimited; this is not a .caffemodel")
            }
            let layer = field == 2 ? try v1Layer(layerBytes, offset: offset, context: path)
                                   : try v2Layer(layerBytes, offset: offset, context: path)
            if field == 2 { v1Layers += 1 } else { v2Layers += 1 }
            guard !layer.blobs.isEmpty else { continue }
            guard layer.isConvolution else {
                skipped.append("\(layer.name) (\(layer.type))")
                continue
            }
            guard !layer.name.isEmpty else {
                throw GPUStyleError(.weights, "\(path): a convolution layer has no name (layer \(v1Layers + v2Layers))")
            }
            guard seen.insert(layer.name).inserted else {
                throw GPUStyleError(.weights, "\(path): two convolution layers are both named '\(layer.name)'")
            }
            for (index, blob) in layer.blobs.enumerated() {
                let name = index == 0 ? "\(layer.name).weight" : index == 1 ? "\(layer.name).bias" : "\(layer.name).blob\(index)"
                var (shape, values) = try CaffeBlob.decode(blob.bytes, offset: blob.offset, name: name, context: path)
                if index == 1 { shape = [values.count] }
                tensors.append(NamedTensor(name: name, shape: shape, values: values))
            }
        }
        guard v1Layers + v2Layers > 0 else {
            throw GPUStyleError(.weights, "\(path): no layers found; this is not a binary .caffemodel (a .prototxt holds no weights)")
        }
        guard v1Layers == 0 || v2Layers == 0 else {
            throw GPUStyleError(.weights, "\(path): the file mixes old-style 'layers' (\(v1Layers)) and new-style 'layer' (\(v2Layers)) entries")
        }
        return WeightFile(path: path, format: v1Layers > 0 ? "caffemodel-v1" : "caffemodel-v2", tensors: tensors,
                          kernelLayout: .oihw, metadata: skipped.isEmpty ? [:] : ["skipped": skipped.joined(separator: ", ")])
    }

    /// `LayerParameter`: name=1, type=2 (string, "Convolution"), blobs=7.
    static func v2Layer(_ bytes: UnsafeRawBufferPointer, offset: Int, context: String) throws -> LayerRecord {
        try namedLayer(bytes, offset: offset, context: context, message: "LayerParameter", blobsField: 7, convolutionType: "Convolution")
    }

    /// A layer message whose type is a string: name=1, type=2, blobs=`blobsField` (`LayerParameter`, `V0LayerParameter`).
    static func namedLayer(_ bytes: UnsafeRawBufferPointer, offset: Int, context: String, message: String,
                           blobsField: Int, convolutionType: String) throws -> LayerRecord {
        var layer = LayerRecord()
        var reader = ProtoReader(bytes, offset: offset, context: context)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let s, _)): layer.name = string(s)
            case (2, .bytes(let s, _)): layer.type = string(s)
            case (blobsField, .bytes(let b, let o)): layer.blobs.append((b, o))
            case (1, _), (2, _), (blobsField, _): throw reader.corrupt("\(message) field \(field) has the wrong wire type")
            default: break
            }
        }
        layer.isConvolution = layer.type == convolutionType
        return layer
    }

    /// `V1LayerParameter`: name=4, type=5 (enum: CONVOLUTION=4, INNER_PRODUCT=14 …), blobs=6; a V0
    /// layer (field 1: name=1, type=2 string "conv", blobs=50) inside it is read too.
    static func v1Layer(_ bytes: UnsafeRawBufferPointer, offset: Int, context: String) throws -> LayerRecord {
        var layer = LayerRecord()
        var reader = ProtoReader(bytes, offset: offset, context: context)
        var typeCode: UInt64?
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (4, .bytes(let s, _)): layer.name = string(s)
            case (5, .varint(let v)): typeCode = v
            case (6, .bytes(let b, let o)): layer.blobs.append((b, o))
            case (1, .bytes(let b, let o)):
                let v0 = try v0Layer(b, offset: o, context: context)
                if layer.name.isEmpty { layer.name = v0.name }
                if typeCode == nil { layer.type = v0.type; layer.isConvolution = v0.isConvolution }
                layer.blobs += v0.blobs
            case (4, _), (5, _), (6, _), (1, _): throw reader.corrupt("V1LayerParameter field \(field) has the wrong wire type")
            default: break
            }
        }
        if let typeCode {
            layer.isConvolution = typeCode == 4
            layer.type = v1TypeNames[typeCode] ?? "type \(typeCode)"
        }
        return layer
    }

    /// `V0LayerParameter`: name=1, type=2 (string, "conv"), blobs=50.
    static func v0Layer(_ bytes: UnsafeRawBufferPointer, offset: Int, context: String) throws -> LayerRecord {
        try namedLayer(bytes, offset: offset, context: context, message: "V0LayerParameter", blobsField: 50, convolutionType: "conv")
    }

    /// Names of the V1 layer types that carry blobs, for messages.
    static let v1TypeNames: [UInt64: String] = [4: "Convolution", 14: "InnerProduct", 39: "Deconvolution", 15: "LRN", 17: "Pooling", 18: "ReLU"]

    private static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.prefix(1024), as: UTF8.self)
    }
}
