// HDF5Reader.swift — reads every float dataset of a (Keras) HDF5 file as named tensors, without libhdf5.

/// A minimal, bounds-checked HDF5 reader for Keras weight files.
///
/// Supports superblocks 0–3, object headers v1/v2, groups stored as symbol tables, compact link
/// messages or dense link storage (fractal heap + v2 B-tree), and datasets with compact, contiguous
/// or unfiltered chunked storage holding IEEE float16/32/64 in either byte order. Other datasets
/// (integers, strings) are skipped; compressed datasets are an error. Attributes are not read.
///
/// Tensor names are the dataset paths without the leading `/`, listed depth-first with group members
/// in natural order (`conv2d`, `conv2d_1`, …, `conv2d_10`). Keras layouts: when the root holds a
/// `model_weights` group (a whole-model `.h5`), only that group is read; root groups named
/// `optimizer_weights` or `optimizer` are skipped. Kernels in Keras files are HWIO.
public enum HDF5Reader {
    /// Upper bounds that keep a hostile file from making the walk unbounded.
    static let maxObjects = 1_000_000
    static let maxDepth = 64

    /// Reads the HDF5 file at `path`.
    public static func read(path: String) throws -> WeightFile {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try read(bytes: file.bytes, path: path) }
    }

    /// Reads an in-memory HDF5 image; `path` names it in messages.
    public static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> WeightFile {
        let file = try HDF5File(bytes: bytes, path: path)
        var walker = Walker(file: file)
        let root = try HDF5ObjectHeader(file: file, position: file.rootObjectHeader, name: "/")
        guard var links = try file.groupLinks(root, name: "/") else {
            throw file.corrupt("the root object is not a group")
        }
        walker.visited.insert(file.rootObjectHeader)
        if let modelWeights = links.first(where: { $0.name == "model_weights" }) {
            links = [modelWeights]
        }
        links.removeAll { $0.name == "optimizer_weights" || $0.name == "optimizer" }
        try walker.walk(links: links, parent: "", depth: 1)
        return WeightFile(path: path, format: "keras-h5", tensors: walker.tensors, kernelLayout: .hwio, metadata: [:])
    }

    private struct Walker {
        let file: HDF5File
        var visited = Set<Int>()
        var tensors: [NamedTensor] = []

        init(file: HDF5File) { self.file = file }

        mutating func walk(links: [HDF5Link], parent: String, depth: Int) throws {
            guard depth <= HDF5Reader.maxDepth else { throw file.corrupt("groups nest deeper than \(HDF5Reader.maxDepth) levels under '\(parent)'") }
            for link in links.sorted(by: { naturalOrder($0.name, $1.name) }) {
                let name = parent.isEmpty ? link.name : parent + "/" + link.name
                let position = try file.position(of: link.address, "object '\(name)'")
                guard visited.insert(position).inserted else { continue }  // hard-linked twice (or a cycle)
                guard visited.count <= HDF5Reader.maxObjects else { throw file.corrupt("more than \(HDF5Reader.maxObjects) objects") }
                let header = try HDF5ObjectHeader(file: file, position: position, name: name)
                if let dataset = try HDF5Dataset(header, name: name, file: file) {
                    if let tensor = try readTensor(dataset) { tensors.append(tensor) }
                } else if let children = try file.groupLinks(header, name: name) {
                    try walk(links: children, parent: name, depth: depth + 1)
                }
            }
        }

        func readTensor(_ dataset: HDF5Dataset) throws -> NamedTensor? {
            guard case .float(let format, let bigEndian) = dataset.element else { return nil }
            let count = try elementCount(dataset.shape, tensor: dataset.name, context: file.path)
            let values = try file.withRawData(dataset, count: count) { raw in
                try decodeFloats(raw, count: count, format: format, bigEndian: bigEndian, tensor: dataset.name, context: file.path)
            }
            return NamedTensor(name: dataset.name, shape: dataset.shape, values: values)
        }
    }
}
