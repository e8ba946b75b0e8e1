// ModelAssembler.swift — maps a WeightFile's tensors onto VGG16/VGG19: picks kernels and biases, checks shapes, converts to OIHW.
import Foundation

/// Builds a `Model` from the tensors of any supported weight file.
///
/// - Kernels are the 4-D tensors with a 3×3 window (1×1 side outputs and fully-connected layers are
///   ignored). They are ordered by name when every kernel follows one recognised scheme (`conv1_1`,
///   `block1_conv1`, `features.N.weight`, Keras 3 `block1/layers/conv2d_1/vars/0`), else in file order.
/// - Each kernel's bias is the tensor named like it (`weight`→`bias`, `_W`→`_b`, `vars/0`→`vars/1`, …),
///   else the first vector of the right length that follows it in the file.
/// - The architecture is the one given, else the file's `architecture` metadata, else recognised from
///   the kernel count and shapes (13 → VGG16, 16 → VGG19; a prefix of 7 or fewer, identical in both,
///   counts as VGG16).
/// - Preprocessing: see `decidePreprocessing`.
public enum ModelAssembler {
    /// One kernel found in the file, with its channels read according to the file's layout.
    struct Kernel {
        let index: Int
        let tensor: NamedTensor
        let outChannels: Int
        let inChannels: Int
    }

    /// Assembles `file` into a model called `name`.
    /// - Parameters:
    ///   - architecture: forces VGG16/VGG19 (shapes are still checked); nil recognises it.
    ///   - preprocessing: forces the input convention; nil decides it from the file.
    ///   - allowTruncated: accept a file holding only the first N ≥ 1 convolutions (for tests).
    /// - Throws: `GPUStyleError(.weights)` naming the tensor and both shapes on any mismatch.
    public static func assemble(_ file: WeightFile, name: String, architecture: Architecture? = nil,
                                preprocessing: Preprocessing? = nil, allowTruncated: Bool = false) throws -> Model {
        var kernels = findKernels(file)
        guard !kernels.isEmpty else {
            throw GPUStyleError(.weights, "\(file.path): no 3×3 convolution kernels found among its \(file.tensors.count) tensors; is this a VGG weight file?")
        }
        guard kernels.count <= Architecture.vgg19.convolutions.count else {
            throw GPUStyleError(.weights, "\(file.path): holds \(kernels.count) 3×3 convolution kernels; VGG16 has 13 and VGG19 16")
        }
        let recognised = KernelNaming.recognise(kernels.map(\.tensor.name))
        if let recognised {
            kernels = zip(kernels, recognised.keys).sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
        }
        let arch = try decideArchitecture(file, kernels: kernels, given: architecture)
        let expected = arch.convolutions
        guard kernels.count <= expected.count else {
            throw GPUStyleError(.weights, "\(file.path): holds \(kernels.count) 3×3 convolutions, more than \(arch.rawValue.uppercased())'s \(expected.count); is it VGG19? (check --architecture)")
        }
        var allowTruncated = allowTruncated
        if let stated = file.metadata[ModelMetadataKey.truncatedAfter] {
            let last = expected[kernels.count - 1].name
            guard stated == last else {
                throw GPUStyleError(.weights, "\(file.path): metadata says the network stops after \(stated), but its convolutions end at \(last); the file is damaged")
            }
            allowTruncated = true
        }
        if let recognised, recognised.naming.namesConvolutions, kernels.count < expected.count, !allowTruncated {
            try checkNoneMissing(named: recognised.keys, expected: expected.map(\.name), arch: arch, path: file.path)
        }
        if kernels.count < expected.count && !allowTruncated {
            throw GPUStyleError(.weights, "\(file.path): holds only \(kernels.count) of \(arch.rawValue.uppercased())'s \(expected.count) convolutions (up to \(expected[kernels.count - 1].name)); the file is incomplete")
        }
        if let recognised, recognised.naming.namesConvolutions {
            for (position, kernel) in kernels.enumerated() {
                let key = recognised.naming.key(kernel.tensor.name) ?? []
                let wanted = expected[position].name
                guard "conv\(key.first ?? 0)_\(key.last ?? 0)" == wanted else {
                    throw GPUStyleError(.weights, "\(file.path): tensor '\(kernel.tensor.name)' is named as conv\(key.first ?? 0)_\(key.last ?? 0) but sits where \(arch.rawValue.uppercased()) has \(wanted); a convolution is missing or extra")
                }
            }
        }
        var convs: [String: ConvWeights] = [:]
        for (position, kernel) in kernels.enumerated() {
            let spec = expected[position]
            try checkShape(kernel, spec: spec, arch: arch, layout: file.kernelLayout, path: file.path)
            let bias = try findBias(for: kernel, in: file, spec: spec)
            let weights = file.kernelLayout == .hwio
                ? hwioToOIHW(kernel.tensor.values, inChannels: kernel.inChannels, outChannels: kernel.outChannels)
                : kernel.tensor.values
            convs[spec.name] = ConvWeights(inChannels: spec.inChannels, outChannels: spec.outChannels, weights: weights, bias: bias)
        }
        let chosen = try decidePreprocessing(file, firstBias: convs["conv1_1"]?.bias ?? [], given: preprocessing)
        return Model(name: name, architecture: arch, preprocessing: chosen, convs: convs, defaults: try decideDefaults(file))
    }

    /// With Caffe-style (block, index) names, a file lacking convolutions in the middle gets an error naming
    /// them (a file that merely ends early gets the "holds only N" error).
    static func checkNoneMissing(named keys: [[Int]], expected: [String], arch: Architecture, path: String) throws {
        let present = Set(keys.map { "conv\($0.first ?? 0)_\($0.last ?? 0)" })
        let missing = expected.filter { !present.contains($0) }
        guard !missing.isEmpty, missing != Array(expected.suffix(missing.count)) else { return }
        let architecture = arch.rawValue.uppercased()
        let listed = missing.count <= 4 ? missing.joined(separator: ", ")
            : missing.prefix(3).joined(separator: ", ") + " and \(missing.count - 3) more"
        throw GPUStyleError(.weights, "\(path): \(architecture)'s \(listed) \(missing.count == 1 ? "is" : "are") missing (the file holds \(keys.count) of its \(expected.count) convolutions); the file is incomplete or not \(architecture)")
    }

    /// 4-D tensors with a 3×3 spatial window, in file order.
    static func findKernels(_ file: WeightFile) -> [Kernel] {
        file.tensors.enumerated().compactMap { index, tensor in
            let s = tensor.shape
            guard s.count == 4 else { return nil }
            switch file.kernelLayout {
            case .oihw: return s[2] == 3 && s[3] == 3 ? Kernel(index: index, tensor: tensor, outChannels: s[0], inChannels: s[1]) : nil
            case .hwio: return s[0] == 3 && s[1] == 3 ? Kernel(index: index, tensor: tensor, outChannels: s[3], inChannels: s[2]) : nil
            }
        }
    }

    static func decideArchitecture(_ file: WeightFile, kernels: [Kernel], given: Architecture?) throws -> Architecture {
        if let given { return given }
        if let stated = file.metadata["architecture"] {
            guard let arch = Architecture(rawValue: stated.lowercased()) else {
                throw GPUStyleError(.weights, "\(file.path): metadata names architecture '\(stated)'; expected vgg16 or vgg19")
            }
            return arch
        }
        let fits = Architecture.allCases.filter { arch in
            let convs = arch.convolutions
            return kernels.count <= convs.count && zip(kernels, convs).allSatisfy {
                $0.inChannels == $1.inChannels && $0.outChannels == $1.outChannels
            }
        }
        if kernels.count == 13, fits.contains(.vgg16) { return .vgg16 }
        if kernels.count == 16, fits.contains(.vgg19) { return .vgg19 }
        if let only = fits.first { return only }  // a prefix: VGG16 first when both fit
        return kernels.count > 13 ? .vgg19 : .vgg16  // checkShape will name the mismatch
    }

    static func checkShape(_ kernel: Kernel, spec: (name: String, inChannels: Int, outChannels: Int),
                           arch: Architecture, layout: KernelLayout, path: String) throws {
        guard kernel.tensor.values.count == 9 * kernel.inChannels * kernel.outChannels else {
            throw GPUStyleError(.weights, "\(path): tensor '\(kernel.tensor.name)' has shape \(kernel.tensor.shape) but \(kernel.tensor.values.count) values")
        }
        guard kernel.inChannels != spec.inChannels || kernel.outChannels != spec.outChannels else { return }
        let needed = layout == .hwio ? [3, 3, spec.inChannels, spec.outChannels] : [spec.outChannels, spec.inChannels, 3, 3]
        throw GPUStyleError(.weights, "\(path): tensor '\(kernel.tensor.name)' has shape \(kernel.tensor.shape) but \(arch.rawValue.uppercased())'s \(spec.name) needs \(needed) (\(layout.rawValue.uppercased())); the file is not \(arch.rawValue.uppercased()) or its convolutions are out of order")
    }

    /// The bias of `kernel`: a vector with `outChannels` values, found by name or as the next vector in file order.
    static func findBias(for kernel: Kernel, in file: WeightFile, spec: (name: String, inChannels: Int, outChannels: Int)) throws -> [Float] {
        func isVector(_ t: NamedTensor) -> Bool { t.shape.filter { $0 != 1 }.count <= 1 }
        for candidate in KernelNaming.biasCandidates(for: kernel.tensor.name) {
            guard let bias = file.tensors.first(where: { $0.name == candidate }) else { continue }
            guard isVector(bias), bias.values.count == spec.outChannels else {
                throw GPUStyleError(.weights, "\(file.path): tensor '\(bias.name)' has shape \(bias.shape) but the bias of \(spec.name) needs [\(spec.outChannels)]")
            }
            return bias.values
        }
        for tensor in file.tensors[(kernel.index + 1)...] {
            if tensor.shape.count == 4 && tensor.values.count > spec.outChannels { break }  // the next kernel
            if isVector(tensor) && tensor.values.count == spec.outChannels { return tensor.values }
        }
        throw GPUStyleError(.weights, "\(file.path): no bias of \(spec.outChannels) values found for kernel '\(kernel.tensor.name)' (\(spec.name))")
    }

    /// Reorders a kernel from HWIO (`3 × 3 × in × out`) to OIHW (`out × in × 3 × 3`).
    public static func hwioToOIHW(_ values: [Float], inChannels: Int, outChannels: Int) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        for h in 0..<3 {
            for w in 0..<3 {
                for i in 0..<inChannels {
                    let source = ((h * 3 + w) * inChannels + i) * outChannels
                    for o in 0..<outChannels {
                        result[((o * inChannels + i) * 3 + h) * 3 + w] = values[source + o]
                    }
                }
            }
        }
        return result
    }
}
