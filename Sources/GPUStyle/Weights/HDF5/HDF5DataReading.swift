// HDF5DataReading.swift — a dataset's raw bytes: compact, contiguous, or chunked (v1 B-tree, single, implicit index).

extension HDF5File {
    /// The dataset's `count × element size` bytes in row-major order, checked against the file.
    /// Chunks that were never written read as zeros (HDF5's default fill value).
    func withRawData<R>(_ dataset: HDF5Dataset, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dataset.element.size)
        guard !overflow else { throw corrupt("dataset '\(dataset.name)' shape \(dataset.shape) is too large") }
        switch dataset.storage {
        case .compact(let data):
            guard data.count >= byteCount else {
                throw corrupt("dataset '\(dataset.name)' needs \(byteCount) bytes but its compact storage holds \(data.count)")
            }
            return try body(UnsafeRawBufferPointer(rebasing: data[0..<byteCount]))
        case .contiguous(let address, let stored):
            if byteCount == 0 { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            guard let address else { throw corrupt("dataset '\(dataset.name)' has no data written") }
            guard stored < 0 || stored >= byteCount else {
                throw corrupt("dataset '\(dataset.name)' needs \(byteCount) bytes but stores \(stored)")
            }
            return try body(try slice(at: address, count: byteCount, "data of dataset '\(dataset.name)'"))
        case .chunked(let chunk, let index):
            guard byteCount <= bytes.count else {
                throw corrupt("dataset '\(dataset.name)' claims \(byteCount) bytes, more than the whole file")
            }
            var output = [UInt8](repeating: 0, count: byteCount)
            try output.withUnsafeMutableBytes { out in
                try assembleChunks(dataset, chunk: chunk, index: index, into: out)
            }
            return try output.withUnsafeBytes { try body($0) }
        }
    }

    private func assembleChunks(_ dataset: HDF5Dataset, chunk: [Int], index: HDF5ChunkIndex,
                                into output: UnsafeMutableRawBufferPointer) throws {
        let elementSize = dataset.element.size
        var chunkElements = 1
        for extent in chunk {
            let (p, o) = chunkElements.multipliedReportingOverflow(by: extent)
            guard !o, p <= bytes.count else { throw corrupt("dataset '\(dataset.name)' has chunks of \(chunk) elements, larger than the file") }
            chunkElements = p
        }
        let chunkBytes = chunkElements * elementSize
        switch index {
        case .single(let address):
            guard let address else { return }
            try copyChunk(try slice(at: address, count: chunkBytes, "chunk of '\(dataset.name)'"),
                          origin: Array(repeating: 0, count: chunk.count), chunk: chunk, dataset: dataset, into: output)
        case .implicit(let address):
            guard let address else { return }
            let total = try chunkCount(dataset, chunk: chunk)
            for linear in 0..<total {
                let (offset, o1) = linear.multipliedReportingOverflow(by: chunkBytes)
                let (chunkAddress, o2) = address.addingReportingOverflow(UInt64(offset))
                guard !o1, !o2 else { throw corrupt("chunk address overflow in '\(dataset.name)'") }
                try copyChunk(try slice(at: chunkAddress, count: chunkBytes, "chunk of '\(dataset.name)'"),
                              origin: chunkOrigin(linear, dataset: dataset, chunk: chunk), chunk: chunk, dataset: dataset, into: output)
            }
        case .fixedArray(let address):
            guard let address else { return }
            let total = try chunkCount(dataset, chunk: chunk)
            var header = try cursor(at: address, "chunk index of '\(dataset.name)'")
            try expectSignature(&header, "FAHD", "chunk index of '\(dataset.name)'")
            try header.skip(1, "fixed array version")
            let client = try header.u8(), entrySize = Int(try header.u8()), pageBits = Int(try header.u8())
            let entries = try readLength(&header, "fixed array size")
            guard client == 0, entrySize == offsetSize else {
                throw GPUStyleError(.weights, "\(path): dataset '\(dataset.name)' is compressed; gpustyle reads uncompressed HDF5 only")
            }
            guard entries >= total, pageBits < 32, entries <= 1 << pageBits else {
                throw corrupt("dataset '\(dataset.name)' has a paged or inconsistent fixed-array chunk index (\(entries) entries for \(total) chunks)")
            }
            guard let blockAddress = try readAddress(&header) else { return }
            var block = try cursor(at: blockAddress, "chunk index data of '\(dataset.name)'")
            try expectSignature(&block, "FADB", "chunk index data of '\(dataset.name)'")
            try block.skip(2 + offsetSize, "fixed array data block")
            for linear in 0..<total {
                guard let chunkAddress = try readAddress(&block) else { continue }
                try copyChunk(try slice(at: chunkAddress, count: chunkBytes, "chunk of '\(dataset.name)'"),
                              origin: chunkOrigin(linear, dataset: dataset, chunk: chunk), chunk: chunk, dataset: dataset, into: output)
            }
        case .btree(let address, let dimensionality):
            guard let address else { return }
            var visited = Set<UInt64>()
            try walkChunkTree(address, depth: 0, dimensionality: dimensionality, chunkBytes: chunkBytes, chunk: chunk,
                              dataset: dataset, visited: &visited, into: output)
        }
    }

    /// Number of chunks covering the dataset.
    private func chunkCount(_ dataset: HDF5Dataset, chunk: [Int]) throws -> Int {
        var total = 1
        for (extent, size) in zip(dataset.shape, chunk) {
            let (p, o) = total.multipliedReportingOverflow(by: extent / size + (extent % size == 0 ? 0 : 1))
            guard !o, p <= bytes.count else { throw corrupt("dataset '\(dataset.name)' has too many chunks") }
            total = p
        }
        return total
    }

    /// Element origin of the `linear`-th chunk in row-major chunk order.
    private func chunkOrigin(_ linear: Int, dataset: HDF5Dataset, chunk: [Int]) -> [Int] {
        var rest = linear
        var origin = [Int](repeating: 0, count: chunk.count)
        for axis in stride(from: chunk.count - 1, through: 0, by: -1) {
            let grid = dataset.shape[axis] / chunk[axis] + (dataset.shape[axis] % chunk[axis] == 0 ? 0 : 1)
            origin[axis] = (rest % max(grid, 1)) * chunk[axis]
            rest /= max(grid, 1)
        }
        return origin
    }

    /// Walks a version 1 B-tree of node type 1 (raw data chunks).
    private func walkChunkTree(_ address: UInt64, depth: Int, dimensionality: Int, chunkBytes: Int, chunk: [Int],
                               dataset: HDF5Dataset, visited: inout Set<UInt64>, into output: UnsafeMutableRawBufferPointer) throws {
        guard depth <= HDF5File.maxTreeDepth, visited.insert(address).inserted else {
            throw corrupt("the chunk B-tree of dataset '\(dataset.name)' loops or is too deep")
        }
        var cursor = try self.cursor(at: address, "chunk B-tree of '\(dataset.name)'")
        try expectSignature(&cursor, "TREE", "chunk B-tree of '\(dataset.name)'")
        let nodeType = try cursor.u8()
        guard nodeType == 1 else { throw corrupt("chunk B-tree node of '\(dataset.name)' has type \(nodeType)") }
        let level = Int(try cursor.u8())
        let entries = Int(try cursor.le(UInt16.self))
        try cursor.skip(2 * offsetSize, "B-tree siblings")
        for _ in 0..<entries {
            let storedSize = Int(try cursor.le(UInt32.self))
            let filterMask = try cursor.le(UInt32.self)
            var origin: [Int] = []
            for _ in 0..<dimensionality {
                let value = try cursor.le(UInt64.self)
                guard value <= UInt64(Int.max) else { throw corrupt("chunk offset \(value) in '\(dataset.name)'") }
                origin.append(Int(value))
            }
            guard let child = try readAddress(&cursor) else { throw corrupt("chunk B-tree of '\(dataset.name)' has an undefined child") }
            if level > 0 {
                try walkChunkTree(child, depth: depth + 1, dimensionality: dimensionality, chunkBytes: chunkBytes, chunk: chunk,
                                  dataset: dataset, visited: &visited, into: output)
            } else {
                guard filterMask == 0, storedSize >= chunkBytes else {
                    throw corrupt("chunk of '\(dataset.name)' is filtered or short (\(storedSize) of \(chunkBytes) bytes)")
                }
                try copyChunk(try slice(at: child, count: chunkBytes, "chunk of '\(dataset.name)'"),
                              origin: Array(origin.prefix(chunk.count)), chunk: chunk, dataset: dataset, into: output)
            }
        }
    }

    /// Copies the part of one chunk (row-major, `chunk` extents, starting at element `origin`) that lies inside the dataset.
    private func copyChunk(_ data: UnsafeRawBufferPointer, origin: [Int], chunk: [Int], dataset: HDF5Dataset,
                           into output: UnsafeMutableRawBufferPointer) throws {
        let shape = dataset.shape, rank = shape.count, elementSize = dataset.element.size
        guard origin.count == rank, zip(origin, shape).allSatisfy({ $0 >= 0 && $0 < $1 }) else { return }
        let run = min(chunk[rank - 1], shape[rank - 1] - origin[rank - 1]) * elementSize
        var local = [Int](repeating: 0, count: rank)  // chunk-local index of the current row start
        while true {
            var inside = true
            var target = 0, source = 0
            for axis in 0..<rank {
                let global = origin[axis] + local[axis]
                if global >= shape[axis] { inside = false; break }
                target = target * shape[axis] + global
                source = source * chunk[axis] + local[axis]
            }
            if inside {
                let to = target * elementSize, from = source * elementSize
                guard to + run <= output.count, from + run <= data.count else { throw corrupt("chunk of '\(dataset.name)' overruns its dataset") }
                if let destination = output.baseAddress, let origin = data.baseAddress {
                    (destination + to).copyMemory(from: origin + from, byteCount: run)
                }
            }
            // Advance over all axes except the last (rows are copied whole).
            var axis = rank - 2
            while axis >= 0 {
                local[axis] += 1
                if local[axis] < chunk[axis] { break }
                local[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}
