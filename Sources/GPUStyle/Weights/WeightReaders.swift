// WeightReaders.swift — recognises a weight file by its first bytes (its extension only explains errors) and calls the right reader.

/// The container formats gpustyle recognises.
public enum WeightFormat: String, Sendable, Equatable {
    case safetensors, hdf5, torchZip = "pth-zip", torchLegacy = "pth-legacy", caffemodel

    /// The format a file name's extension suggests (PyTorch's two containers as `.torchZip`), or nil.
    init?(suggestedBy path: String) {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) {
        case "safetensors": self = .safetensors
        case "h5", "hdf5", "keras": self = .hdf5
        case "pth", "pt", "bin": self = .torchZip
        case "caffemodel": self = .caffemodel
        default: return nil
        }
    }

    /// How messages name it.
    var displayName: String {
        switch self {
        case .safetensors: "safetensors"
        case .hdf5: "Keras HDF5"
        case .torchZip, .torchLegacy: "PyTorch .pth"
        case .caffemodel: "Caffe .caffemodel"
        }
    }

    /// Whether both are read by the same reader.
    func sharesReader(with other: WeightFormat) -> Bool {
        let torch: Set<WeightFormat> = [.torchZip, .torchLegacy]
        return self == other || (torch.contains(self) && torch.contains(other))
    }
}

/// Entry point for reading any supported weight file.
public enum WeightReaders {
    /// Reads the file at `path` with the reader its content calls for. Where the content matches no format, the reader
    /// the file name suggests explains what is wrong (a 4-byte `.safetensors` is "shorter than the 8-byte header
    /// length", not "unrecognised"); where the content's reader fails on a file named as another format, the message
    /// says both.
    /// - Throws: `GPUStyleError(.weights)` when the file is unreadable, of an unknown format, or malformed.
    public static func read(path: String) throws -> WeightFile {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) {
            let named = WeightFormat(suggestedBy: path)
            guard let format = sniff(file.bytes) else {
                guard let named, file.bytes.count > 0 else { throw unrecognised(path: path, size: file.bytes.count) }
                do { return try read(bytes: file.bytes, path: path, as: named) } catch let error as GPUStyleError {
                    throw GPUStyleError(.weights, "\(error.message) (read as \(named.displayName), as its name says; its first bytes match no supported format)")
                }
            }
            do { return try read(bytes: file.bytes, path: path, as: format) } catch let error as GPUStyleError {
                guard let named, !named.sharesReader(with: format) else { throw error }
                throw GPUStyleError(error.kind, "\(error.message) (read as \(format.displayName), as its first bytes say, though its name says \(named.displayName))")
            }
        }
    }

    /// Reads an in-memory weight file with the reader its content calls for; `path` names it in messages.
    /// - Throws: `GPUStyleError(.weights)` for an unknown format or a malformed file.
    public static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> WeightFile {
        guard let format = sniff(bytes) else { throw unrecognised(path: path, size: bytes.count) }
        return try read(bytes: bytes, path: path, as: format)
    }

    /// Reads an in-memory weight file as `format` (no sniffing); `path` names it in messages.
    public static func read(bytes: UnsafeRawBufferPointer, path: String, as format: WeightFormat) throws -> WeightFile {
        switch format {
        case .safetensors: return try SafetensorsReader.read(bytes: bytes, path: path)
        case .hdf5: return try HDF5Reader.read(bytes: bytes, path: path)
        case .torchZip, .torchLegacy: return try TorchReader.read(bytes: bytes, path: path)
        case .caffemodel: return try CaffeModelReader.read(bytes: bytes, path: path)
        }
    }

    /// The format of the file at `path`, from its content.
    public static func sniff(path: String) throws -> WeightFormat {
        let file = try MappedFile(path: path)
        guard let format = withExtendedLifetime(file, { sniff(file.bytes) }) else {
            throw unrecognised(path: path, size: file.bytes.count)
        }
        return format
    }

    private static func unrecognised(path: String, size: Int) -> GPUStyleError {
        if size == 0 { return GPUStyleError(.weights, "\(path): the file is empty (0 bytes), not a weight file") }
        return GPUStyleError(.weights, "\(path): unrecognised weight file (\(size) bytes); supported are safetensors, Keras HDF5 (.h5), PyTorch .pth (ZIP or legacy) and Caffe .caffemodel")
    }

    /// The format of a file whose content is `bytes`, or nil.
    /// - HDF5: the superblock signature at 0, 512, 1024, … (a user block may precede it);
    /// - ZIP (`PK\3\4`, PyTorch ≥ 1.6);
    /// - safetensors: a little-endian length of at most 100 MB followed by `{` (checked before pickle:
    ///   a header length can start with byte 0x80);
    /// - a pickle protocol 2–5 opening (`0x80 0x02…0x05`, legacy PyTorch);
    /// - protobuf (Caffe): a first field that a `NetParameter` can start with, with its wire type and a
    ///   length that fits the file.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> WeightFormat? {
        let n = bytes.count
        var position = 0
        while n >= 8 && position <= n - 8 {
            if (0..<8).allSatisfy({ bytes[position + $0] == hdf5Signature[$0] }) { return .hdf5 }
            position = position == 0 ? 512 : position * 2
        }
        if n >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04 { return .torchZip }
        if n >= 10 {
            var length: UInt64 = 0
            for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
            // A length past the end of the file still counts (a truncated file); the reader says so.
            if length >= 2 && length <= UInt64(SafetensorsReader.maxHeaderLength) && bytes[8] == UInt8(ascii: "{") { return .safetensors }
        }
        if n >= 2 && bytes[0] == 0x80 && (2...5).contains(bytes[1]) { return .torchLegacy }
        if n >= 2 {
            var cursor = ByteCursor(bytes, context: "")
            if let tag = try? readVarint(&cursor), let wire = caffeNetFirstFields[tag >> 3], tag & 7 == wire {
                if wire == 0 { return (try? readVarint(&cursor)) != nil ? .caffemodel : nil }
                if let length = try? readVarint(&cursor), length <= UInt64(cursor.remaining) { return .caffemodel }
            }
        }
        return nil
    }

    /// Fields a Caffe `NetParameter` starts with, and their wire types: name, layers (V1), input,
    /// input_dim, force_backward, state, debug_info, input_shape, layer (V2).
    private static let caffeNetFirstFields: [UInt64: UInt64] = [1: 2, 2: 2, 3: 2, 4: 0, 5: 0, 6: 2, 7: 0, 8: 2, 100: 2]

    private static func readVarint(_ cursor: inout ByteCursor) throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 64, by: 7) {
            let byte = try cursor.u8()
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
        }
        throw GPUStyleError(.weights, "varint too long")
    }
}
