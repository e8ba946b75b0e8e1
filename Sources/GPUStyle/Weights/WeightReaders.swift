// WeightReaders.swift — recognises a weight file by its first bytes (never its extension) and calls the right reader.

/// The container formats gpustyle recognises.
public enum WeightFormat: String, Sendable, Equatable {
    case safetensors, hdf5, torchZip = "pth-zip", torchLegacy = "pth-legacy", caffemodel
}

/// Entry point for reading any supported weight file.
public enum WeightReaders {
    /// Reads the file at `path` with the reader its content calls for.
    /// - Throws: `GPUStyleError(.weights)` when the file is unreadable, of an unknown format, or malformed.
    public static func read(path: String) throws -> WeightFile {
        switch try sniff(path: path) {
        case .safetensors: return try SafetensorsReader.read(path: path)
        case .hdf5: return try HDF5Reader.read(path: path)
        case .torchZip, .torchLegacy: return try TorchReader.read(path: path)
        case .caffemodel: return try CaffeModelReader.read(path: path)
        }
    }

    /// The format of the file at `path`, from its content.
    public static func sniff(path: String) throws -> WeightFormat {
        let file = try MappedFile(path: path)
        guard let format = sniff(file.bytes) else {
            throw GPUStyleError(.weights, "\(path): unrecognised weight file (\(file.bytes.count) bytes); supported are safetensors, Keras HDF5 (.h5), PyTorch .pth (ZIP or legacy) and Caffe .caffemodel")
        }
        return format
    }

    /// The format of a file whose content is `bytes`, or nil.
    /// - HDF5: the superblock signature at 0, 512, 1024, … (a user block may precede it);
    /// - ZIP (`PK\3\4`, PyTorch ≥ 1.6);
    /// - safetensors: a little-endian length that fits the file followed by `{` (checked before pickle:
    ///   a header length can start with byte 0x80);
    /// - a pickle protocol 2–5 opening (`0x80 0x02…0x05`, legacy PyTorch);
    /// - protobuf (Caffe): a first field tag with a valid wire type and field number 1…1000.
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
            if length >= 2 && length <= UInt64(n - 8) && bytes[8] == UInt8(ascii: "{") { return .safetensors }
        }
        if n >= 2 && bytes[0] == 0x80 && (2...5).contains(bytes[1]) { return .torchLegacy }
        if n >= 2 {
            var tag: UInt64 = 0
            var shift: UInt64 = 0
            for i in 0..<min(n, 5) {
                tag |= UInt64(bytes[i] & 0x7F) << shift
                if bytes[i] & 0x80 == 0 {
                    let field = tag >> 3, wire = tag & 7
                    if (1...1000).contains(field) && [0, 1, 2, 5].contains(wire) { return .caffemodel }
                    break
                }
                shift += 7
            }
        }
        return nil
    }
}
