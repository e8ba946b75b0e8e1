// FeatureNetwork.swift — runs a VGG prefix forward on a backend, keeps what the backward pass needs, and runs it back.

/// The frozen network cut after the deepest layer a run needs, with weights prepared on one backend.
public final class PreparedNetwork {
    public let backend: Backend
    public let model: Model
    /// Layers up to and including the deepest requested one.
    let layers: [NetworkLayer]
    let convs: [String: PreparedConv]
    /// Max or average pooling (neural-style's `-pooling`).
    public var poolingMode: PoolingMode = .max

    /// Prepares the convolutions that a run up to `deepestLayer` uses.
    public init(backend: Backend, model: Model, deepestLayer: String) throws {
        let all = model.architecture.layers
        guard let last = all.firstIndex(where: { $0.name == deepestLayer }) else {
            throw GPUStyleError(.usage, "unknown layer '\(deepestLayer)' for \(model.architecture.rawValue); layers are \(all.map(\.name).joined(separator: ","))")
        }
        self.backend = backend
        self.model = model
        layers = Array(all[...last])
        var convs: [String: PreparedConv] = [:]
        for layer in layers where layer.kind == .conv {
            guard let w = model.convs[layer.name] else {
                throw GPUStyleError(.weights, "model '\(model.name)' has no weights for \(layer.name), which layer \(deepestLayer) needs")
            }
            guard w.inChannels == layer.inChannels, w.outChannels == layer.outChannels else {
                throw GPUStyleError(.weights, "model '\(model.name)': \(layer.name) is \(w.outChannels)×\(w.inChannels)×3×3, \(model.architecture.rawValue) needs \(layer.outChannels)×\(layer.inChannels)×3×3")
            }
            convs[layer.name] = try backend.prepareConv(weights: w.weights, bias: w.bias, inChannels: w.inChannels, outChannels: w.outChannels)
        }
        self.convs = convs
    }

    /// The names of every layer this network can run, in order.
    public var layerNames: [String] { layers.map(\.name) }
}

/// A feature map's shape: channels × height × width.
public struct FeatureShape: Sendable, Equatable {
    public let channels: Int, height: Int, width: Int
    public var count: Int { channels * height * width }
    public var pixels: Int { height * width }
}

/// Activation storage for one image size. `forward` fills the activations; `backward` turns gradients at the
/// loss layers into the gradient with respect to the input image.
final class FeatureRunner {
    /// One executed step: a conv (ReLU possibly fused), a stand-alone ReLU, or a pool.
    struct Step {
        enum Op { case conv(PreparedConv, fusedReLU: Bool), relu, pool }
        let op: Op
        let input: FeatureShape
        let output: FeatureShape
        /// Layer names whose activation is this step's output (a fused conv+ReLU answers to the ReLU's name).
        let names: [String]
        let outputBuffer: DeviceBuffer
    }

    let network: PreparedNetwork
    let inputShape: FeatureShape
    private(set) var steps: [Step] = []
    private let gradientA: DeviceBuffer, gradientB: DeviceBuffer

    /// Allocates activations for a `3 × height × width` input. Layers in `exposed` keep their own output even
    /// when a fusion would otherwise hide it (a loss on `conv4_2` needs the pre-ReLU values).
    init(network: PreparedNetwork, height: Int, width: Int, exposed: Set<String>) throws {
        self.network = network
        inputShape = FeatureShape(channels: 3, height: height, width: width)
        let backend = network.backend
        var shape = inputShape
        var largest = shape.count
        var i = 0
        let layers = network.layers
        while i < layers.count {
            let layer = layers[i]
            switch layer.kind {
            case .conv:
                let out = FeatureShape(channels: layer.outChannels, height: shape.height, width: shape.width)
                let nextIsReLU = i + 1 < layers.count && layers[i + 1].kind == .relu
                let fuse = nextIsReLU && !exposed.contains(layer.name)
                let names = fuse ? [layers[i + 1].name] : [layer.name]
                steps.append(Step(op: .conv(network.convs[layer.name]!, fusedReLU: fuse), input: shape, output: out,
                                  names: names, outputBuffer: try backend.makeBuffer(count: out.count)))
                shape = out
                i += fuse ? 2 : 1
            case .relu:
                steps.append(Step(op: .relu, input: shape, output: shape, names: [layer.name],
                                  outputBuffer: try backend.makeBuffer(count: shape.count)))
                i += 1
            case .pool:
                guard shape.height >= 2 && shape.width >= 2 else {
                    throw GPUStyleError(.usage, "the image is too small for \(layer.name): its input is \(shape.width)×\(shape.height) px; use a larger image or shallower layers")
                }
                let out = FeatureShape(channels: shape.channels, height: shape.height / 2, width: shape.width / 2)
                steps.append(Step(op: .pool, input: shape, output: out, names: [layer.name],
                                  outputBuffer: try backend.makeBuffer(count: out.count)))
                shape = out
                i += 1
            }
            largest = max(largest, shape.count)
        }
        gradientA = try backend.makeBuffer(count: largest)
        gradientB = try backend.makeBuffer(count: largest)
    }

    /// The step whose output is layer `name`.
    func step(named name: String) -> Step? { steps.first { $0.names.contains(name) } }

    /// Runs every step on `input` (`3 × height × width`, preprocessed).
    func forward(_ input: DeviceBuffer) throws {
        let backend = network.backend
        var current = input
        for step in steps {
            switch step.op {
            case .conv(let conv, let fused):
                try backend.conv3x3(input: current, conv: conv, output: step.outputBuffer,
                                    height: step.input.height, width: step.input.width, relu: fused)
            case .relu:
                try backend.relu(input: current, output: step.outputBuffer, count: step.output.count)
            case .pool:
                try backend.pool2x2(input: current, output: step.outputBuffer, channels: step.input.channels,
                                    height: step.input.height, width: step.input.width, mode: network.poolingMode)
            }
            current = step.outputBuffer
        }
    }

    /// Back-propagates to the input image. `inject(stepIndex, gradient)` must add the loss gradients at that
    /// step's output into `gradient` (which holds the gradient flowing from deeper layers, zero at the deepest).
    /// The result is written into `inputGradient`.
    func backward(into inputGradient: DeviceBuffer, inject: (Int, DeviceBuffer) throws -> Void) throws {
        let backend = network.backend
        var gradient = gradientA, spare = gradientB
        try backend.fill(gradient, value: 0)
        for index in steps.indices.reversed() {
            let step = steps[index]
            try inject(index, gradient)
            let target = index == 0 ? inputGradient : spare
            switch step.op {
            case .conv(let conv, let fused):
                if fused { try backend.reluBackward(gradient: gradient, output: step.outputBuffer, count: step.output.count) }
                try backend.conv3x3InputGradient(gradOutput: gradient, conv: conv, gradInput: target,
                                                 height: step.input.height, width: step.input.width)
                swap(&gradient, &spare)
            case .relu:
                guard index > 0 else { throw GPUStyleError(.internal, "a network cannot start with a ReLU") }
                try backend.reluBackward(gradient: gradient, output: step.outputBuffer, count: step.output.count)
            case .pool:
                guard index > 0 else { throw GPUStyleError(.internal, "a network cannot start with pooling") }
                try backend.pool2x2Backward(gradOutput: gradient, input: steps[index - 1].outputBuffer, gradInput: target,
                                            channels: step.input.channels, height: step.input.height,
                                            width: step.input.width, mode: network.poolingMode)
                swap(&gradient, &spare)
            }
        }
    }
}
