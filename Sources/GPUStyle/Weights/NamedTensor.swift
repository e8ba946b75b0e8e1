// NamedTensor.swift — a tensor as a model file stores it, before it is mapped onto the network.

/// How a file orders a convolution kernel's four axes.
public enum KernelLayout: String, Sendable {
    /// out, in, height, width (Caffe, PyTorch, safetensors written by gpustyle).
    case oihw
    /// height, width, in, out (Keras/TensorFlow).
    case hwio
}

/// One tensor read from a weight file: its name in that file, its shape, and its values as Float32.
public struct NamedTensor: Sendable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// Everything a format reader found in a file, in file order, plus what the file says about itself.
public struct WeightFile: Sendable {
    /// The file's path, for messages.
    public let path: String
    /// "safetensors", "keras-h5", "caffemodel-v1", "caffemodel-v2", "pth-zip", "pth-legacy".
    public let format: String
    /// Tensors in the order the file lists them.
    public let tensors: [NamedTensor]
    /// Axis order of 4-D kernels in this file.
    public let kernelLayout: KernelLayout
    /// Free-form metadata (safetensors `__metadata__`, …); empty when the format has none.
    public let metadata: [String: String]

    public init(path: String, format: String, tensors: [NamedTensor], kernelLayout: KernelLayout, metadata: [String: String] = [:]) {
        self.path = path
        self.format = format
        self.tensors = tensors
        self.kernelLayout = kernelLayout
        self.metadata = metadata
    }
}
