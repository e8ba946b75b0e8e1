// HDF5Groups.swift — lists a group's members: symbol tables (v1 B-tree + local heap) and compact link messages.

/// A hard link from a group to an object.
struct HDF5Link {
    let name: String
    /// Relative address of the target's object header.
    let address: UInt64
}

extension HDF5File {
    /// Upper bound on B-tree depth; real files need a handful of levels.
    static let maxTreeDepth = 32

    /// The hard links of the group whose header is `header` (soft and external links are skipped).
    /// Returns nil when the object is not a group.
    func groupLinks(_ header: HDF5ObjectHeader, name: String) throws -> [HDF5Link]? {
        if let table = header.first(HDF5Message.symbolTable) {
            return try symbolTableLinks(table, name: name)
        }
        let linkMessages = header.all(HDF5Message.link)
        let info = header.first(HDF5Message.linkInfo)
        guard info != nil || !linkMessages.isEmpty else { return nil }
        var links = try linkMessages.compactMap { try parseLinkMessage($0.body, group: name) }
        if let info { links += try denseLinks(info.body, group: name) }
        return links
    }

    // MARK: Symbol tables

    private func symbolTableLinks(_ message: HDF5Message, name: String) throws -> [HDF5Link] {
        var cursor = ByteCursor(message.body, context: path)
        guard let treeAddress = try readAddress(&cursor), let heapAddress = try readAddress(&cursor) else {
            throw corrupt("symbol table of group '\(name)' has an undefined B-tree or heap address")
        }
        let heap = try localHeapData(at: heapAddress, group: name)
        var links: [HDF5Link] = []
        var visited = Set<UInt64>()
        try collectSymbolNodes(treeAddress, depth: 0, heap: heap, group: name, visited: &visited, into: &links)
        return links
    }

    /// The data segment of the local heap at `address` (link names live there).
    private func localHeapData(at address: UInt64, group: String) throws -> UnsafeRawBufferPointer {
        var cursor = try self.cursor(at: address, "local heap of group '\(group)'")
        try expectSignature(&cursor, "HEAP", "local heap of group '\(group)'")
        try cursor.skip(4, "local heap")
        let size = try readLength(&cursor, "local heap data segment")
        _ = try cursor.leUInt(size: lengthSize)
        guard let dataAddress = try readAddress(&cursor) else { throw corrupt("local heap of group '\(group)' has no data segment") }
        return try slice(at: dataAddress, count: size, "local heap data of group '\(group)'")
    }

    /// The NUL-terminated string at `offset` in `heap`.
    private func heapString(_ heap: UnsafeRawBufferPointer, offset: UInt64, group: String) throws -> String {
        guard offset < UInt64(heap.count) else { throw corrupt("link name offset \(offset) is outside the local heap of group '\(group)'") }
        let start = Int(offset)
        guard let end = heap[start...].firstIndex(of: 0) else { throw corrupt("unterminated link name in the local heap of group '\(group)'") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: heap[start..<end]), as: UTF8.self)
    }

    /// Walks a version 1 group B-tree (node type 0) down to its symbol table nodes.
    private func collectSymbolNodes(_ address: UInt64, depth: Int, heap: UnsafeRawBufferPointer, group: String,
                                    visited: inout Set<UInt64>, into links: inout [HDF5Link]) throws {
        guard depth <= HDF5File.maxTreeDepth, visited.insert(address).inserted else {
            throw corrupt("the B-tree of group '\(group)' loops or is deeper than \(HDF5File.maxTreeDepth) levels")
        }
        var cursor = try self.cursor(at: address, "B-tree node of group '\(group)'")
        try expectSignature(&cursor, "TREE", "B-tree node of group '\(group)'")
        let nodeType = try cursor.u8()
        guard nodeType == 0 else { throw corrupt("group '\(group)' B-tree node has type \(nodeType), expected 0") }
        let level = Int(try cursor.u8())
        let entries = Int(try cursor.le(UInt16.self))
        try cursor.skip(2 * offsetSize, "B-tree siblings")
        for _ in 0..<entries {
            _ = try cursor.leUInt(size: lengthSize)  // key: heap offset of the largest name in the child
            guard let child = try readAddress(&cursor) else { throw corrupt("group '\(group)' B-tree has an undefined child") }
            if level > 0 {
                try collectSymbolNodes(child, depth: depth + 1, heap: heap, group: group, visited: &visited, into: &links)
            } else {
                try readSymbolNode(child, heap: heap, group: group, visited: &visited, into: &links)
            }
        }
    }

    /// Reads the entries of one symbol table node ("SNOD").
    private func readSymbolNode(_ address: UInt64, heap: UnsafeRawBufferPointer, group: String,
                                visited: inout Set<UInt64>, into links: inout [HDF5Link]) throws {
        guard visited.insert(address).inserted else { throw corrupt("group '\(group)' lists a symbol table node twice") }
        var cursor = try self.cursor(at: address, "symbol table node of group '\(group)'")
        try expectSignature(&cursor, "SNOD", "symbol table node of group '\(group)'")
        try cursor.skip(2, "symbol table node")
        let count = Int(try cursor.le(UInt16.self))
        for _ in 0..<count {
            let nameOffset = try cursor.leUInt(size: offsetSize)
            let objectAddress = try readAddress(&cursor)
            let cacheType = try cursor.le(UInt32.self)
            try cursor.skip(20, "symbol table entry")
            let name = try heapString(heap, offset: nameOffset, group: group)
            if cacheType == 2 { continue }  // a soft link: not followed
            guard let objectAddress else { throw corrupt("entry '\(name)' of group '\(group)' has no object header") }
            links.append(HDF5Link(name: name, address: objectAddress))
        }
    }

    // MARK: Link messages

    /// Decodes a link message (also the objects of a dense group's fractal heap); nil for soft/external links.
    func parseLinkMessage(_ body: UnsafeRawBufferPointer, group: String) throws -> HDF5Link? {
        var cursor = ByteCursor(body, context: path)
        let version = try cursor.u8()
        guard version == 1 else { throw corrupt("link message in group '\(group)' has version \(version)") }
        let flags = try cursor.u8()
        let linkType: UInt8 = flags & 0x08 != 0 ? try cursor.u8() : 0
        if flags & 0x04 != 0 { try cursor.skip(8, "link creation order") }
        if flags & 0x10 != 0 { try cursor.skip(1, "link name character set") }
        let nameLength = try cursor.leInt(size: 1 << Int(flags & 0x03))
        let name = try cursor.string(nameLength, "link name in group '\(group)'")
        guard linkType == 0 else { return nil }
        guard let address = try readAddress(&cursor) else { throw corrupt("hard link '\(name)' in group '\(group)' has no address") }
        return HDF5Link(name: name, address: address)
    }
}
