// SafetensorsWriter.swift — writes Float32 tensors and a metadata map as a .safetensors file.

/// Writer for the safetensors format (see `SafetensorsReader`). Tensors are stored as F32 in the
/// given order; the JSON header is padded with spaces to a multiple of 8 bytes so the data is aligned.
public enum SafetensorsWriter {
    /// The header JSON and its padded bytes for `tensors`, after checking names and shapes.
    static func header(for tensors: [NamedTensor], metadata: [String: String]) throws -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0] ?? "")) })))
        }
        var names = Set<String>()
        var offset = 0
        for tensor in tensors {
            guard tensor.name != "__metadata__", names.insert(tensor.name).inserted else {
                throw GPUStyleError(.internal, "safetensors writer: tensor name '\(tensor.name)' is reserved or used twice")
            }
            let count = try elementCount(tensor.shape, tensor: tensor.name, context: "safetensors writer")
            guard count == tensor.values.count else {
                throw GPUStyleError(.internal, "safetensors writer: tensor '\(tensor.name)' has shape \(tensor.shape) but \(tensor.values.count) values")
            }
            let end = offset + 4 * count
            members.append((tensor.name, .object([
                ("dtype", .string("F32")),
                ("shape", .array(tensor.shape.map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(offset)), .number(String(end))])),
            ])))
            offset = end
        }
        var json = Array(JSONValue.object(members).serialized.utf8)
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count)
        let length = UInt64(json.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        return bytes + json
    }

    /// The whole file as bytes (for tests and small files).
    public static func encode(_ tensors: [NamedTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        var bytes = try header(for: tensors, metadata: metadata)
        for tensor in tensors {
            for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        return bytes
    }

    /// Writes `tensors` (F32, in this order) and `metadata` to `path` atomically: a temporary file in
    /// the same folder is written, flushed and renamed, so `path` is never left half-written.
    public static func write(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String) throws {
        let file = try AtomicFile(path: path)
        try file.write(try header(for: tensors, metadata: metadata))
        for tensor in tensors {
            #if _endian(big)
            let values = tensor.values.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
            #else
            let values = tensor.values
            #endif
            try values.withUnsafeBytes { try file.write($0) }
        }
        try file.commit()
    }
}
