// WeightsTestSupport.swift — builds VGG-shaped tensor lists in each naming scheme and layout for the weight tests.
import XCTest
@testable import GPUStyle

/// How a generated weight file names and lays out its tensors.
enum TestNaming: CaseIterable {
    case caffe, torchvision, keras2, keras3, unnamed

    var layout: KernelLayout { self == .keras2 || self == .keras3 ? .hwio : .oihw }
    var format: String {
        switch self {
        case .caffe: return "caffemodel-v2"
        case .torchvision, .unnamed: return "pth-zip"
        case .keras2, .keras3: return "keras-h5"
        }
    }
}

/// Reference OIHW weights for the first `count` convolutions of `arch`: random when `random`, else
/// zeros with a marker (`index + 1`) in the first weight and bias value.
func referenceConvs(_ arch: Architecture, count: Int, random: Bool, seed: UInt64 = 5) -> [(name: String, conv: ConvWeights)] {
    arch.convolutions.prefix(count).enumerated().map { index, spec in
        let n = spec.outChannels * spec.inChannels * 9
        var weights = random ? randomValues(n, seed: seed + UInt64(index)) : [Float](repeating: 0, count: n)
        var bias = random ? randomValues(spec.outChannels, seed: seed + 100 + UInt64(index)) : [Float](repeating: 0, count: spec.outChannels)
        if !random { weights[0] = Float(index + 1); bias[0] = Float(index + 1) }
        return (spec.name, ConvWeights(inChannels: spec.inChannels, outChannels: spec.outChannels, weights: weights, bias: bias))
    }
}

/// Converts OIHW to HWIO.
func oihwToHWIO(_ values: [Float], inChannels: Int, outChannels: Int) -> [Float] {
    var result = [Float](repeating: 0, count: values.count)
    for o in 0..<outChannels {
        for i in 0..<inChannels {
            for k in 0..<9 { result[(k * inChannels + i) * outChannels + o] = values[(o * inChannels + i) * 9 + k] }
        }
    }
    return result
}

/// A weight file holding `convs` named and laid out as `naming` would, with extra non-conv tensors
/// (fully-connected, 1×1 side outputs) where that scheme has them.
func makeWeightFile(_ convs: [(name: String, conv: ConvWeights)], naming: TestNaming, path: String = "model",
                    metadata: [String: String] = [:]) -> WeightFile {
    var tensors: [NamedTensor] = []
    var sequence = 0
    var previousBlock = 1
    for (position, item) in convs.enumerated() {
        let parts = item.name.dropFirst(4).split(separator: "_").compactMap { Int($0) }
        let (block, index) = (parts[0], parts[1])
        let c = item.conv
        let hwio = [3, 3, c.inChannels, c.outChannels], oihw = [c.outChannels, c.inChannels, 3, 3]
        let kernelValues = naming.layout == .hwio ? oihwToHWIO(c.weights, inChannels: c.inChannels, outChannels: c.outChannels) : c.weights
        let kernelShape = naming.layout == .hwio ? hwio : oihw
        let (kernelName, biasName): (String, String)
        switch naming {
        case .caffe: (kernelName, biasName) = ("\(item.name).weight", "\(item.name).bias")
        case .torchvision:
            if block != previousBlock { sequence += 1 }  // the pooling layer takes an index
            (kernelName, biasName) = ("features.\(sequence).weight", "features.\(sequence).bias")
            sequence += 2
        case .keras2: (kernelName, biasName) = ("block\(block)_conv\(index)/block\(block)_conv\(index)_W_1:0", "block\(block)_conv\(index)/block\(block)_conv\(index)_b_1:0")
        case .keras3:
            let layer = index == 1 ? "conv2d" : "conv2d_\(index - 1)"
            (kernelName, biasName) = ("block\(block)/layers/\(layer)/vars/0", "block\(block)/layers/\(layer)/vars/1")
        case .unnamed: (kernelName, biasName) = ("t\(2 * position)", "t\(2 * position + 1)")
        }
        previousBlock = block
        tensors.append(NamedTensor(name: kernelName, shape: kernelShape, values: kernelValues))
        tensors.append(NamedTensor(name: biasName, shape: [c.outChannels], values: c.bias))
        if naming == .keras3 && index == 1 {  // hed's 1×1 side output of each block
            tensors.append(NamedTensor(name: "dsn\(block)/vars/0", shape: [1, 1, c.outChannels, 1], values: [Float](repeating: 0.5, count: c.outChannels)))
            tensors.append(NamedTensor(name: "dsn\(block)/vars/1", shape: [1], values: [0.5]))
        }
    }
    if naming == .keras3 {
        tensors.append(NamedTensor(name: "fuse/vars/0", shape: [1, 1, 5, 1], values: [0.2, 0.2, 0.2, 0.2, 0.2]))
        tensors.append(NamedTensor(name: "fuse/vars/1", shape: [1], values: [0]))
    }
    if naming == .torchvision {
        tensors.append(NamedTensor(name: "classifier.0.weight", shape: [4, 6], values: [Float](repeating: 1, count: 24)))
        tensors.append(NamedTensor(name: "classifier.0.bias", shape: [4], values: [1, 2, 3, 4]))
    }
    return WeightFile(path: path, format: naming.format, tensors: tensors, kernelLayout: naming.layout, metadata: metadata)
}

/// Asserts `model` holds exactly `convs`.
func assertModel(_ model: Model, holds convs: [(name: String, conv: ConvWeights)], _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(Set(model.convs.keys), Set(convs.map(\.name)), what, file: file, line: line)
    for (name, conv) in convs {
        guard let got = model.convs[name] else { continue }
        XCTAssertEqual(got.inChannels, conv.inChannels, "\(what) \(name)", file: file, line: line)
        XCTAssertEqual(got.outChannels, conv.outChannels, "\(what) \(name)", file: file, line: line)
        XCTAssertTrue(got.weights == conv.weights, "\(what): \(name) weights differ", file: file, line: line)
        XCTAssertTrue(got.bias == conv.bias, "\(what): \(name) bias differs", file: file, line: line)
    }
}

/// Asserts that `body` throws a `.weights` error whose message contains every fragment.
func assertWeightsError<T>(_ body: @autoclosure () throws -> T, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard let error = error as? GPUStyleError else { return XCTFail("not a GPUStyleError: \(error)", file: file, line: line) }
        XCTAssertEqual(error.kind, .weights, error.message, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.message.contains(fragment), "'\(fragment)' missing from: \(error.message)", file: file, line: line)
        }
    }
}
