// HDF5Dataset.swift — a dataset's dataspace, datatype and layout messages, and reading its raw bytes.

/// What a dataset's elements are: a float format gpustyle reads, or something else (skipped).
enum HDF5Element: Equatable {
    case float(StoredFloat, bigEndian: Bool)
    case other(typeClass: Int, size: Int)

    var size: Int {
        switch self {
        case .float(let format, _): return format.size
        case .other(_, let size): return size
        }
    }
}

/// Where a dataset's bytes are.
enum HDF5Storage {
    case compact(UnsafeRawBufferPointer)
    /// Relative address (nil: never written) and stored size.
    case contiguous(UInt64?, Int)
    /// Chunk dimensions (in elements, dataset rank) and how to find the chunks.
    case chunked(chunk: [Int], index: HDF5ChunkIndex)
}

enum HDF5ChunkIndex {
    /// Version 1 B-tree (layout message version 1–3); `dimensionality` counts the element-size axis too.
    case btree(UInt64?, dimensionality: Int)
    /// One chunk holding the whole dataset.
    case single(UInt64?)
    /// Chunks stored back to back in row-major chunk order.
    case implicit(UInt64?)
    /// A fixed array ("FAHD") of chunk addresses in row-major chunk order (unpaged, unfiltered only).
    case fixedArray(UInt64?)
}

/// A dataset's shape, element type and storage, parsed from its object header.
struct HDF5Dataset {
    let name: String
    let shape: [Int]
    let element: HDF5Element
    let storage: HDF5Storage

    /// Parses the dataset messages of `header`; nil when the object is not a dataset (no layout message).
    init?(_ header: HDF5ObjectHeader, name: String, file: HDF5File) throws {
        guard let layout = header.first(HDF5Message.layout) else { return nil }
        self.name = name
        guard let space = header.first(HDF5Message.dataspace), let type = header.first(HDF5Message.datatype) else {
            throw file.corrupt("dataset '\(name)' lacks a dataspace or datatype message")
        }
        guard !space.isShared, !type.isShared else {
            throw file.corrupt("dataset '\(name)' uses a shared (committed) datatype or dataspace, which is not supported")
        }
        if let filters = header.first(HDF5Message.filterPipeline), filters.body.count >= 2, filters.body[1] > 0 {
            throw GPUStyleError(.weights, "\(file.path): dataset '\(name)' is compressed or filtered (\(filters.body[1]) filter(s)); gpustyle reads uncompressed HDF5 only — re-save it without compression (h5py: compression=None)")
        }
        shape = try HDF5Dataset.parseDataspace(space.body, name: name, file: file)
        element = try HDF5Dataset.parseDatatype(type.body, name: name, file: file)
        storage = try HDF5Dataset.parseLayout(layout.body, rank: shape.count, name: name, file: file)
    }

    private static func parseDataspace(_ body: UnsafeRawBufferPointer, name: String, file: HDF5File) throws -> [Int] {
        var cursor = ByteCursor(body, context: file.path)
        let version = try cursor.u8()
        let rank = Int(try cursor.u8())
        try cursor.skip(1, "dataspace flags")
        var isNull = false
        switch version {
        case 1: try cursor.skip(5, "dataspace")
        case 2: isNull = try cursor.u8() == 2
        default: throw file.corrupt("dataset '\(name)' has dataspace version \(version)")
        }
        guard rank <= 32 else { throw file.corrupt("dataset '\(name)' has rank \(rank)") }
        if isNull { return [0] }
        return try (0..<rank).map { _ in
            let dim = try cursor.leUInt(size: file.lengthSize)
            guard dim <= UInt64(Int.max) else { throw file.corrupt("dataset '\(name)' has dimension \(dim)") }
            return Int(dim)
        }
    }

    private static func parseDatatype(_ body: UnsafeRawBufferPointer, name: String, file: HDF5File) throws -> HDF5Element {
        var cursor = ByteCursor(body, context: file.path)
        let classAndVersion = try cursor.u8()
        let bits0 = try cursor.u8()
        let bits1 = try cursor.u8()
        try cursor.skip(1, "datatype bit field")
        let size = Int(try cursor.le(UInt32.self))
        let typeClass = Int(classAndVersion & 0x0F)
        guard typeClass == 1 else { return .other(typeClass: typeClass, size: size) }
        guard bits0 & 0x40 == 0 else { throw file.corrupt("dataset '\(name)' uses VAX float byte order") }
        let bitOffset = try cursor.le(UInt16.self), precision = try cursor.le(UInt16.self)
        let exponentAt = try cursor.u8(), exponentBits = try cursor.u8()
        let mantissaAt = try cursor.u8(), mantissaBits = try cursor.u8()
        let bias = try cursor.le(UInt32.self)
        let signAt = bits1
        let layout = [Int(bitOffset), Int(precision), Int(exponentAt), Int(exponentBits), Int(mantissaAt), Int(mantissaBits), Int(bias), Int(signAt)]
        let format: StoredFloat
        switch (size, layout) {
        case (2, [0, 16, 10, 5, 0, 10, 15, 15]): format = .float16
        case (4, [0, 32, 23, 8, 0, 23, 127, 31]): format = .float32
        case (8, [0, 64, 52, 11, 0, 52, 1023, 63]): format = .float64
        default:
            throw GPUStyleError(.weights, "\(file.path): dataset '\(name)' uses a \(size)-byte float layout \(layout) that is not IEEE float16/32/64")
        }
        return .float(format, bigEndian: bits0 & 0x01 != 0)
    }

    private static func parseLayout(_ body: UnsafeRawBufferPointer, rank: Int, name: String, file: HDF5File) throws -> HDF5Storage {
        var cursor = ByteCursor(body, context: file.path)
        let version = try cursor.u8()
        switch version {
        case 1, 2:
            let dimensionality = Int(try cursor.u8())
            let layoutClass = try cursor.u8()
            try cursor.skip(5, "layout")
            let address = layoutClass == 0 ? nil : try file.readAddress(&cursor)
            var dims: [Int] = []
            for _ in 0..<dimensionality { dims.append(Int(try cursor.le(UInt32.self))) }
            switch layoutClass {
            case 0:
                let size = Int(try cursor.le(UInt32.self))
                return .compact(try cursor.slice(size, "compact data of '\(name)'"))
            case 1:
                return .contiguous(address, -1)
            case 2:
                return .chunked(chunk: try chunkShape(dims, rank: rank, name: name, file: file), index: .btree(address, dimensionality: dimensionality))
            default: throw file.corrupt("dataset '\(name)' has layout class \(layoutClass)")
            }
        case 3, 4:
            let layoutClass = try cursor.u8()
            switch layoutClass {
            case 0:
                let size = Int(try cursor.le(UInt16.self))
                return .compact(try cursor.slice(size, "compact data of '\(name)'"))
            case 1:
                let address = try file.readAddress(&cursor)
                return .contiguous(address, try cursor.leInt(size: file.lengthSize))
            case 2 where version == 3:
                let dimensionality = Int(try cursor.u8())
                let address = try file.readAddress(&cursor)
                var dims: [Int] = []
                for _ in 0..<dimensionality { dims.append(Int(try cursor.le(UInt32.self))) }
                return .chunked(chunk: try chunkShape(dims, rank: rank, name: name, file: file), index: .btree(address, dimensionality: dimensionality))
            case 2:
                let flags = try cursor.u8()
                let dimensionality = Int(try cursor.u8())
                let width = Int(try cursor.u8())
                var dims: [Int] = []
                for _ in 0..<dimensionality { dims.append(try cursor.leInt(size: width)) }
                let chunk = try chunkShape(dims, rank: rank, name: name, file: file)
                let indexType = try cursor.u8()
                switch indexType {
                case 1:
                    if flags & 0x02 != 0 {
                        throw GPUStyleError(.weights, "\(file.path): dataset '\(name)' is compressed; gpustyle reads uncompressed HDF5 only")
                    }
                    return .chunked(chunk: chunk, index: .single(try file.readAddress(&cursor)))
                case 2:
                    return .chunked(chunk: chunk, index: .implicit(try file.readAddress(&cursor)))
                case 3:
                    try cursor.skip(1, "fixed array page bits")
                    return .chunked(chunk: chunk, index: .fixedArray(try file.readAddress(&cursor)))
                default:
                    throw GPUStyleError(.weights, "\(file.path): dataset '\(name)' uses chunk index type \(indexType), which gpustyle does not read; re-save it with contiguous storage (h5py's default)")
                }
            default: throw file.corrupt("dataset '\(name)' has layout class \(layoutClass)")
            }
        default:
            throw file.corrupt("dataset '\(name)' has layout message version \(version)")
        }
    }

    /// The chunk's extent along the dataset's axes (the layout may append the element size as an extra axis).
    private static func chunkShape(_ dims: [Int], rank: Int, name: String, file: HDF5File) throws -> [Int] {
        guard dims.count >= rank, rank >= 1, dims.prefix(rank).allSatisfy({ $0 >= 1 }) else {
            throw file.corrupt("dataset '\(name)' has chunk dimensions \(dims) for rank \(rank)")
        }
        return Array(dims.prefix(rank))
    }
}
