// HDF5DenseLinks.swift — groups in "dense" link storage: a version 2 B-tree name index over a fractal heap.

/// The parts of a fractal heap header needed to find managed objects, and its direct blocks.
private struct FractalHeap {
    var idLength = 0
    var flags: UInt8 = 0
    var maxManagedSize = 0
    var tableWidth = 0
    var startBlockSize = 0
    var maxDirectBlockSize = 0
    var maxHeapBits = 0
    var rootAddress: UInt64?
    var rootRows = 0
    /// (heap offset, size, absolute file position) of every direct block.
    var directBlocks: [(offset: Int, size: Int, position: Int)] = []

    var heapOffsetSize: Int { (maxHeapBits + 7) / 8 }
    var heapLengthSize: Int {
        let directBits = log2Floor(maxDirectBlockSize)
        return min((directBits + 7) / 8, log2Floor(maxManagedSize) / 8 + 1)
    }
    var maxDirectRows: Int { log2Floor(maxDirectBlockSize) - log2Floor(startBlockSize) + 2 }
    func rowBlockSize(_ row: Int) -> Int { row <= 1 ? startBlockSize : startBlockSize << (row - 1) }
}

private func log2Floor(_ value: Int) -> Int { value <= 1 ? 0 : (Int.bitWidth - 1 - value.leadingZeroBitCount) }
private func encodedSize(_ value: Int) -> Int { log2Floor(value) / 8 + 1 }

extension HDF5File {
    /// Upper bound on fractal heap blocks walked per group.
    private static let maxHeapBlocks = 1 << 20

    /// The hard links of a group whose link info message (`body`) points at dense storage.
    func denseLinks(_ body: UnsafeRawBufferPointer, group: String) throws -> [HDF5Link] {
        var cursor = ByteCursor(body, context: path)
        let version = try cursor.u8()
        guard version == 0 else { throw corrupt("link info message of group '\(group)' has version \(version)") }
        let flags = try cursor.u8()
        if flags & 0x01 != 0 { try cursor.skip(8, "link info") }
        guard let heapAddress = try readAddress(&cursor) else { return [] }  // compact storage: links are messages
        guard let nameIndex = try readAddress(&cursor) else { throw corrupt("dense group '\(group)' has no name index") }
        var heap = try readFractalHeap(heapAddress, group: group)
        if let root = heap.rootAddress {
            var visited = Set<UInt64>()
            if heap.rootRows == 0 {
                let position = try self.position(of: root, needing: heap.startBlockSize, "fractal heap block of group '\(group)'")
                heap.directBlocks.append((0, heap.startBlockSize, position))
            } else {
                try collectHeapBlocks(&heap, indirect: root, offset: 0, rows: heap.rootRows, depth: 0, visited: &visited, group: group)
            }
        }
        heap.directBlocks.sort { $0.offset < $1.offset }
        var links: [HDF5Link] = []
        var visitedNodes = Set<UInt64>()
        try forEachNameRecord(nameIndex, group: group, visited: &visitedNodes) { record in
            var idCursor = ByteCursor(record, context: path)
            try idCursor.skip(4, "link name hash")
            let object = try heapObject(heap, id: try idCursor.slice(heap.idLength, "heap ID"), group: group)
            if let link = try parseLinkMessage(object, group: group) { links.append(link) }
        }
        return links
    }

    private func readFractalHeap(_ address: UInt64, group: String) throws -> FractalHeap {
        var cursor = try self.cursor(at: address, "fractal heap of group '\(group)'")
        try expectSignature(&cursor, "FRHP", "fractal heap of group '\(group)'")
        var heap = FractalHeap()
        try cursor.skip(1, "fractal heap version")
        heap.idLength = Int(try cursor.le(UInt16.self))
        let filterLength = try cursor.le(UInt16.self)
        guard filterLength == 0 else { throw corrupt("the fractal heap of group '\(group)' is compressed; re-save the file without compression") }
        heap.flags = try cursor.u8()
        heap.maxManagedSize = Int(try cursor.le(UInt32.self))
        try cursor.skip(lengthSize + offsetSize + lengthSize + offsetSize + 8 * lengthSize, "fractal heap statistics")
        heap.tableWidth = Int(try cursor.le(UInt16.self))
        heap.startBlockSize = try cursor.leInt(size: lengthSize)  // parameters, not sizes of data in this file
        heap.maxDirectBlockSize = try cursor.leInt(size: lengthSize)
        heap.maxHeapBits = Int(try cursor.le(UInt16.self))
        try cursor.skip(2, "fractal heap starting rows")
        heap.rootAddress = try readAddress(&cursor)
        heap.rootRows = Int(try cursor.le(UInt16.self))
        guard heap.idLength >= 2, heap.idLength <= 64, heap.tableWidth >= 1, heap.tableWidth <= 65536,
              heap.startBlockSize >= 1, heap.maxDirectBlockSize >= heap.startBlockSize, heap.maxDirectBlockSize <= 1 << 40,
              heap.maxHeapBits >= 1, heap.maxHeapBits <= 64, heap.maxManagedSize >= 1 else {
            throw corrupt("fractal heap of group '\(group)' has impossible parameters")
        }
        return heap
    }

    /// Records every direct block under the indirect block at `address` with its heap offset.
    private func collectHeapBlocks(_ heap: inout FractalHeap, indirect address: UInt64, offset: Int, rows: Int, depth: Int,
                                   visited: inout Set<UInt64>, group: String) throws {
        guard depth <= HDF5File.maxTreeDepth, rows >= 0, rows <= 64, visited.insert(address).inserted else {
            throw corrupt("the fractal heap of group '\(group)' loops or is too deep")
        }
        var cursor = try self.cursor(at: address, "fractal heap indirect block of group '\(group)'")
        try expectSignature(&cursor, "FHIB", "fractal heap indirect block of group '\(group)'")
        try cursor.skip(1 + offsetSize + heap.heapOffsetSize, "fractal heap indirect block")
        var blockOffset = offset
        for row in 0..<rows {
            let size = heap.rowBlockSize(row)
            for _ in 0..<heap.tableWidth {
                let child = try readAddress(&cursor)
                if let child {
                    guard heap.directBlocks.count < HDF5File.maxHeapBlocks else { throw corrupt("fractal heap of group '\(group)' has too many blocks") }
                    if row < heap.maxDirectRows {
                        let position = try self.position(of: child, needing: size, "fractal heap direct block of group '\(group)'")
                        heap.directBlocks.append((blockOffset, size, position))
                    } else {
                        let childRows = log2Floor(size) - log2Floor(heap.startBlockSize * heap.tableWidth) + 1
                        try collectHeapBlocks(&heap, indirect: child, offset: blockOffset, rows: childRows, depth: depth + 1,
                                              visited: &visited, group: group)
                    }
                }
                let (next, overflow) = blockOffset.addingReportingOverflow(size)
                guard !overflow else { throw corrupt("fractal heap of group '\(group)' is too large") }
                blockOffset = next
            }
        }
    }

    /// The bytes of the heap object that `id` names (managed or tiny objects).
    private func heapObject(_ heap: FractalHeap, id: UnsafeRawBufferPointer, group: String) throws -> UnsafeRawBufferPointer {
        var cursor = ByteCursor(id, context: path)
        let first = try cursor.u8()
        guard first >> 6 == 0 else { throw corrupt("heap ID in group '\(group)' has version \(first >> 6)") }
        switch (first >> 4) & 0x03 {
        case 0:
            let offset = try cursor.leInt(size: heap.heapOffsetSize)
            let length = try cursor.leInt(size: heap.heapLengthSize)
            // The last block starting at or before `offset` (blocks are sorted by heap offset).
            var low = 0, high = heap.directBlocks.count
            while low < high {
                let middle = (low + high) / 2
                if heap.directBlocks[middle].offset <= offset { low = middle + 1 } else { high = middle }
            }
            guard low > 0, case let block = heap.directBlocks[low - 1], offset - block.offset < block.size,
                  length <= block.size - (offset - block.offset) else {
                throw corrupt("heap object at offset \(offset) (\(length) bytes) of group '\(group)' is outside every heap block")
            }
            let start = block.position + (offset - block.offset)
            return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
        case 2:
            let length: Int
            if heap.idLength > 18 {
                length = (Int(first & 0x0F) << 8 | Int(try cursor.u8())) + 1
            } else {
                length = Int(first & 0x0F) + 1
            }
            return try cursor.slice(length, "tiny heap object")
        default:
            throw corrupt("group '\(group)' stores a link as a huge heap object, which is not supported")
        }
    }

    /// Calls `body` with every record of the version 2 B-tree at `address` (depth-first, in key order).
    private func forEachNameRecord(_ address: UInt64, group: String, visited: inout Set<UInt64>,
                                   _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var cursor = try self.cursor(at: address, "name index of group '\(group)'")
        try expectSignature(&cursor, "BTHD", "name index of group '\(group)'")
        try cursor.skip(2, "B-tree header")
        let nodeSize = Int(try cursor.le(UInt32.self))
        let recordSize = Int(try cursor.le(UInt16.self))
        let depth = Int(try cursor.le(UInt16.self))
        try cursor.skip(2, "B-tree header")
        let root = try readAddress(&cursor)
        let rootRecords = Int(try cursor.le(UInt16.self))
        guard recordSize >= 4, nodeSize > 10 + recordSize, nodeSize <= 1 << 24, depth <= HDF5File.maxTreeDepth else {
            throw corrupt("name index of group '\(group)' has impossible parameters")
        }
        guard let root else { return }
        // Widths of the child-pointer fields, as the HDF5 library derives them from the node size.
        var maxRecords = [(nodeSize - 10) / recordSize]
        var cumulative = [maxRecords[0]]
        var cumulativeSize = [0]
        let recordCountSize = encodedSize(maxRecords[0])
        if depth > 0 {
            for level in 1...depth {
                let pointerSize = offsetSize + recordCountSize + (level > 1 ? cumulativeSize[level - 1] : 0)
                let count = (nodeSize - (10 + pointerSize)) / (recordSize + pointerSize)
                guard count >= 1 else { throw corrupt("name index of group '\(group)' is too deep for its node size") }
                maxRecords.append(count)
                let (product, o1) = (count + 1).multipliedReportingOverflow(by: cumulative[level - 1])
                let (total, o2) = product.addingReportingOverflow(count)
                cumulative.append(o1 || o2 ? Int.max : total)
                cumulativeSize.append(encodedSize(cumulative[level]))
            }
        }
        func visit(_ node: UInt64, records: Int, level: Int) throws {
            guard visited.insert(node).inserted, records <= maxRecords[level] else {
                throw corrupt("name index of group '\(group)' loops or has an overfull node")
            }
            var c = try self.cursor(at: node, "name index node of group '\(group)'")
            try expectSignature(&c, level == 0 ? "BTLF" : "BTIN", "name index node of group '\(group)'")
            try c.skip(2, "B-tree node")
            var recordBodies: [UnsafeRawBufferPointer] = []
            for _ in 0..<records { recordBodies.append(try c.slice(recordSize, "B-tree record")) }
            if level == 0 {
                for record in recordBodies { try body(record) }
                return
            }
            var children: [(UInt64, Int)] = []
            for _ in 0...records {
                guard let child = try readAddress(&c) else { throw corrupt("name index of group '\(group)' has an undefined child") }
                let count = try c.leInt(size: recordCountSize)
                if level > 1 { try c.skip(cumulativeSize[level - 1], "B-tree child record total") }
                children.append((child, count))
            }
            for (i, child) in children.enumerated() {
                try visit(child.0, records: child.1, level: level - 1)
                if i < recordBodies.count { try body(recordBodies[i]) }
            }
        }
        try visit(root, records: rootRecords, level: depth)
    }
}
