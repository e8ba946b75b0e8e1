// TinyHDF5Writer.swift — writes small HDF5 files for tests: superblock 0, v1 object headers, symbol-table groups, contiguous datasets.

/// A node of the HDF5 tree to write.
indirect enum TinyHDF5Node {
    case group([(String, TinyHDF5Node)])
    /// Float32 (little-endian) dataset, row-major.
    case dataset(shape: [Int], values: [Float])
    /// Signed 64-bit integer dataset (skipped by the reader).
    case integers(shape: [Int], values: [Int64])
}

/// Encodes a tree as an HDF5 file with 8-byte offsets and lengths, the layout libhdf5 writes by default
/// (h5py `libver='earliest'`), so the reader's main path can be tested without h5py.
struct TinyHDF5Writer {
    private var bytes: [UInt8] = []
    static let undefined = UInt64.max

    /// The file for a root group holding `members`.
    static func encode(_ members: [(String, TinyHDF5Node)]) -> [UInt8] {
        var writer = TinyHDF5Writer()
        writer.bytes = [UInt8](repeating: 0, count: 96)  // superblock, patched below
        let (rootHeader, tree, heap) = writer.writeGroup(members)
        var sb: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0, 0, 8, 8, 0]
        sb += le16(4) + le16(16) + le32(0)
        sb += le64(0) + le64(undefined) + le64(UInt64(writer.bytes.count)) + le64(undefined)
        sb += le64(0) + le64(rootHeader) + le32(1) + le32(0) + le64(tree) + le64(heap)
        writer.bytes.replaceSubrange(0..<96, with: sb)
        return writer.bytes
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }

    private mutating func align8() { while bytes.count % 8 != 0 { bytes.append(0) } }

    private mutating func append(_ chunk: [UInt8]) -> UInt64 {
        align8()
        let address = UInt64(bytes.count)
        bytes += chunk
        return address
    }

    /// One v1 object header holding `messages` (type, body); bodies are padded to 8 bytes.
    private mutating func objectHeader(_ messages: [(UInt16, [UInt8])]) -> UInt64 {
        var body: [UInt8] = []
        for (type, data) in messages {
            var padded = data
            while padded.count % 8 != 0 { padded.append(0) }
            body += TinyHDF5Writer.le16(Int(type)) + TinyHDF5Writer.le16(padded.count) + [0, 0, 0, 0] + padded
        }
        let prefix: [UInt8] = [1, 0] + TinyHDF5Writer.le16(messages.count) + TinyHDF5Writer.le32(1) + TinyHDF5Writer.le32(body.count) + [0, 0, 0, 0]
        return append(prefix + body)
    }

    /// Writes a group (children first) and returns its header, B-tree and local heap addresses.
    private mutating func writeGroup(_ members: [(String, TinyHDF5Node)]) -> (UInt64, UInt64, UInt64) {
        let sorted = members.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        var entries: [(nameOffset: Int, address: UInt64)] = []
        var heapData: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        for (name, node) in sorted {
            let address: UInt64
            switch node {
            case .group(let children): address = writeGroup(children).0
            case .dataset(let shape, let values):
                var data: [UInt8] = []
                for v in values { data += TinyHDF5Writer.le32(Int(v.bitPattern)) }
                address = writeDataset(shape: shape, data: data, floatType: true)
            case .integers(let shape, let values):
                var data: [UInt8] = []
                for v in values { data += TinyHDF5Writer.le64(UInt64(bitPattern: v)) }
                address = writeDataset(shape: shape, data: data, floatType: false)
            }
            entries.append((heapData.count, address))
            heapData += Array(name.utf8) + [0]
            while heapData.count % 8 != 0 { heapData.append(0) }
        }
        let heapDataAddress = append(heapData)
        let heap = append(Array("HEAP".utf8) + [0, 0, 0, 0] + TinyHDF5Writer.le64(UInt64(heapData.count))
                          + TinyHDF5Writer.le64(1) + TinyHDF5Writer.le64(heapDataAddress))  // free list 1: none (libhdf5's H5HL_FREE_NULL)
        // Symbol table nodes of at most 2·(leaf K = 4) entries, each padded to its full size (libhdf5
        // reads whole nodes), under one B-tree leaf of at most 2·(internal K = 16) children.
        precondition(entries.count <= 8 * 32, "TinyHDF5Writer: too many members in one group")
        var tree: [UInt8] = Array("TREE".utf8) + [0, 0] + TinyHDF5Writer.le16(max(1, (entries.count + 7) / 8))
            + TinyHDF5Writer.le64(TinyHDF5Writer.undefined) + TinyHDF5Writer.le64(TinyHDF5Writer.undefined) + TinyHDF5Writer.le64(0)
        for start in stride(from: 0, to: max(entries.count, 1), by: 8) {
            let chunk = entries.isEmpty ? [] : Array(entries[start..<min(start + 8, entries.count)])
            var snod: [UInt8] = Array("SNOD".utf8) + [1, 0] + TinyHDF5Writer.le16(chunk.count)
            for entry in chunk {
                snod += TinyHDF5Writer.le64(UInt64(entry.nameOffset)) + TinyHDF5Writer.le64(entry.address) + [UInt8](repeating: 0, count: 24)
            }
            snod += [UInt8](repeating: 0, count: 328 - snod.count)
            tree += TinyHDF5Writer.le64(append(snod)) + TinyHDF5Writer.le64(UInt64(chunk.last?.nameOffset ?? 0))
        }
        tree += [UInt8](repeating: 0, count: 544 - tree.count)
        let treeAddress = append(tree)
        let header = objectHeader([(0x11, TinyHDF5Writer.le64(treeAddress) + TinyHDF5Writer.le64(heap))])
        return (header, treeAddress, heap)
    }

    private mutating func writeDataset(shape: [Int], data: [UInt8], floatType: Bool) -> UInt64 {
        let dataAddress = append(data)
        var space: [UInt8] = [1, UInt8(shape.count), 0, 0, 0, 0, 0, 0]
        for d in shape { space += TinyHDF5Writer.le64(UInt64(d)) }
        let type: [UInt8] = floatType
            ? [0x11, 0x20, 31, 0] + TinyHDF5Writer.le32(4) + TinyHDF5Writer.le16(0) + TinyHDF5Writer.le16(32) + [23, 8, 0, 23] + TinyHDF5Writer.le32(127)
            : [0x10, 0x08, 0, 0] + TinyHDF5Writer.le32(8) + TinyHDF5Writer.le16(0) + TinyHDF5Writer.le16(64)
        let layout: [UInt8] = [3, 1] + TinyHDF5Writer.le64(dataAddress) + TinyHDF5Writer.le64(UInt64(data.count))
        return objectHeader([(0x01, space), (0x03, type), (0x08, layout)])
    }
}
