// SafetensorsReader.swift — reads .safetensors files (gpustyle's native model format) with every offset checked.

/// One tensor entry of a safetensors header. `begin`/`end` are byte offsets into the data section.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: String
    public let shape: [Int]
    public let begin: Int
    public let end: Int
}

/// A validated safetensors header: entries in data order, the free-form metadata, where the data starts.
public struct SafetensorsHeader: Sendable {
    /// Entries sorted by `begin` (the order of the data in the file).
    public let entries: [SafetensorsEntry]
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// File offset of the data section (8 + header length).
    public let dataStart: Int
}

/// Reader for the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`,
/// then the raw little-endian data. Offsets must cover the data section exactly, in order, without
/// gaps or overlaps (as the reference implementation requires).
public enum SafetensorsReader {
    /// Headers longer than this are refused (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000

    /// Bytes per element of every dtype the format defines.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]
    /// Dtypes converted to Float32; integer and boolean tensors are skipped (they are never weights).
    static let floatFormats: [String: StoredFloat] = ["F16": .float16, "BF16": .bfloat16, "F32": .float32, "F64": .float64]

    /// Reads every floating-point tensor of the file at `path`, in data order, converted to Float32.
    /// Throws `GPUStyleError(.weights)` naming the file (and tensor) for any malformed header,
    /// unsupported float dtype (F8) or NaN/Inf value.
    public static func read(path: String) throws -> WeightFile {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try read(bytes: file.bytes, path: path) }
    }

    /// Reads and validates only the header of the file at `path`.
    public static func readHeader(path: String) throws -> SafetensorsHeader {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try parseHeader(file.bytes, context: path) }
    }

    /// Reads tensors from an in-memory safetensors image; `path` names it in messages.
    public static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> WeightFile {
        let header = try parseHeader(bytes, context: path)
        var tensors: [NamedTensor] = []
        for entry in header.entries {
            guard let format = floatFormats[entry.dtype] else {
                if entry.dtype.hasPrefix("F8") {
                    throw GPUStyleError(.weights, "\(path): tensor '\(entry.name)' has dtype \(entry.dtype), which gpustyle does not read; convert the file to F32, F16 or BF16")
                }
                continue
            }
            let count = try elementCount(entry.shape, tensor: entry.name, context: path)
            let data = UnsafeRawBufferPointer(rebasing: bytes[(header.dataStart + entry.begin)..<(header.dataStart + entry.end)])
            let values = try decodeFloats(data, count: count, format: format, tensor: entry.name, context: path)
            tensors.append(NamedTensor(name: entry.name, shape: entry.shape, values: values))
        }
        return WeightFile(path: path, format: "safetensors", tensors: tensors, kernelLayout: .oihw, metadata: header.metadata)
    }

    /// Parses and checks the header of a safetensors image.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer, context path: String) throws -> SafetensorsHeader {
        var cursor = ByteCursor(bytes, context: path)
        guard bytes.count >= 8 else {
            throw GPUStyleError(.weights, "\(path): not a safetensors file: \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let declared = try cursor.le(UInt64.self)
        guard declared <= UInt64(bytes.count - 8) else {
            throw GPUStyleError(.weights, "\(path): safetensors header length \(declared) runs past the end of the \(bytes.count)-byte file; the file is truncated or not safetensors")
        }
        let headerLength = Int(declared)
        guard headerLength <= maxHeaderLength else {
            throw GPUStyleError(.weights, "\(path): safetensors header of \(headerLength) bytes exceeds the \(maxHeaderLength)-byte limit")
        }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw GPUStyleError(.weights, "\(path): safetensors header does not start with '{'; the file is corrupt or not safetensors")
        }
        let json = try JSONValue.parse(try cursor.slice(headerLength, "safetensors header"), context: path)
        guard case .object(let members) = json else {
            throw GPUStyleError(.weights, "\(path): safetensors header is \(json.kindName), expected an object")
        }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(value, path: path)
                continue
            }
            entries.append(try parseEntry(name: name, value, path: path))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expectedBegin = 0
        for entry in entries {
            guard entry.begin <= entry.end else {
                throw GPUStyleError(.weights, "\(path): tensor '\(entry.name)' has data_offsets [\(entry.begin), \(entry.end)] that run backwards")
            }
            guard entry.end <= dataLength else {
                throw GPUStyleError(.weights, "\(path): tensor '\(entry.name)' data [\(entry.begin), \(entry.end)) lies outside the \(dataLength)-byte data section; the file is truncated or corrupt")
            }
            guard entry.begin >= expectedBegin else {
                throw GPUStyleError(.weights, "\(path): tensor '\(entry.name)' data [\(entry.begin), \(entry.end)) overlaps the previous tensor, which ends at \(expectedBegin)")
            }
            guard entry.begin == expectedBegin else {
                throw GPUStyleError(.weights, "\(path): tensor '\(entry.name)' data starts at \(entry.begin), leaving a gap after the previous tensor's end at \(expectedBegin)")
            }
            let count = try elementCount(entry.shape, tensor: entry.name, context: path)
            let size = dtypeSizes[entry.dtype] ?? 1
            let (bytesNeeded, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, bytesNeeded == entry.end - entry.begin else {
                throw GPUStyleError(.weights, "\(path): tensor '\(entry.name)' holds \(entry.end - entry.begin) bytes but dtype \(entry.dtype) × shape \(entry.shape) needs \(overflow ? "more than Int.max" : String(bytesNeeded))")
            }
            expectedBegin = entry.end
        }
        guard expectedBegin == dataLength else {
            throw GPUStyleError(.weights, "\(path): the tensors cover \(expectedBegin) bytes but the data section holds \(dataLength); the file has trailing bytes or is corrupt")
        }
        return SafetensorsHeader(entries: entries, metadata: metadata, dataStart: dataStart)
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
        guard case .object(let pairs) = value else {
            throw GPUStyleError(.weights, "\(path): safetensors __metadata__ is \(value.kindName), expected an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in pairs {
            guard case .string(let text) = item else {
                throw GPUStyleError(.weights, "\(path): safetensors __metadata__ entry '\(key)' is \(item.kindName), expected a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: JSONValue, path: String) throws -> SafetensorsEntry {
        func fail(_ what: String) -> GPUStyleError {
            GPUStyleError(.weights, "\(path): tensor '\(name)': \(what)")
        }
        guard case .object(let fields) = value else { throw fail("entry is \(value.kindName), expected an object") }
        func field(_ key: String) throws -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else { throw fail("missing \"\(key)\"") }
            return found.value
        }
        guard case .string(let dtype) = try field("dtype") else { throw fail("\"dtype\" is not a string") }
        guard dtypeSizes[dtype] != nil else {
            throw fail("unknown dtype '\(dtype)' (known: \(dtypeSizes.keys.sorted().joined(separator: ", ")))")
        }
        guard case .array(let shapeItems) = try field("shape") else { throw fail("\"shape\" is not an array") }
        let shape = try shapeItems.map { item -> Int in
            guard let dim = item.nonNegativeInt else { throw fail("shape entry \(item.serialized) is not a non-negative integer") }
            return dim
        }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
            throw fail("\"data_offsets\" is not an array of two integers")
        }
        guard let begin = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt else {
            throw fail("data_offsets \(offsets.map(\.serialized)) are not non-negative integers within range")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
