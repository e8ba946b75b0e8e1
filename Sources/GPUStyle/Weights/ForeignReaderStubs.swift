// ForeignReaderStubs.swift — placeholders for the .pth and .caffemodel readers until their branch is merged (delete at merge).

/// Placeholder for the PyTorch `.pth` reader (ZIP and legacy containers).
enum TorchReader {
    static func read(path: String) throws -> WeightFile {
        throw GPUStyleError(.weights, "\(path): PyTorch .pth files are not yet supported by this build")
    }
}

/// Placeholder for the Caffe `.caffemodel` reader (V1 and V2 layers).
enum CaffeModelReader {
    static func read(path: String) throws -> WeightFile {
        throw GPUStyleError(.weights, "\(path): Caffe .caffemodel files are not yet supported by this build")
    }
}
