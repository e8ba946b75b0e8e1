// NetworkSteps.swift — the network as executable steps (conv with fused ReLU, ReLU, pool) and their shapes at an image size.

/// A feature map's shape: channels × height × width.
public struct FeatureShape: Sendable, Equatable {
    public let channels: Int, height: Int, width: Int
    public var count: Int { channels * height * width }
    public var pixels: Int { height * width }
}

/// One executed step: a conv (its ReLU fused unless the conv's own output is a loss layer), a stand-alone
/// ReLU, or a 2×2 pool.
struct NetworkStep {
    enum Op { case conv(PreparedConv, fusedReLU: Bool), relu, pool }
    let op: Op
    let inChannels: Int, outChannels: Int
    /// Layer names whose activation is this step's output (a fused conv+ReLU answers to the ReLU's name).
    let names: [String]

    var isPool: Bool { if case .pool = op { return true } else { return false } }
    var isConv: Bool { if case .conv = op { return true } else { return false } }
    /// Whether the backward pass needs the sign of this step's output.
    var appliesReLU: Bool {
        switch op {
        case .conv(_, let fused): return fused
        case .relu: return true
        case .pool: return false
        }
    }

    /// Output shape for an input of `height × width` (pools round down).
    func outputShape(height: Int, width: Int) -> FeatureShape {
        isPool ? FeatureShape(channels: outChannels, height: height / 2, width: width / 2)
            : FeatureShape(channels: outChannels, height: height, width: width)
    }
}

extension PreparedNetwork {
    /// The layers as steps; layers in `exposed` keep their own output (a loss on `conv4_2` needs the pre-ReLU values).
    func steps(exposed: Set<String>) -> [NetworkStep] {
        var steps: [NetworkStep] = []
        var i = 0
        while i < layers.count {
            let layer = layers[i]
            switch layer.kind {
            case .conv:
                let fuse = i + 1 < layers.count && layers[i + 1].kind == .relu && !exposed.contains(layer.name)
                steps.append(NetworkStep(op: .conv(convs[layer.name]!, fusedReLU: fuse), inChannels: layer.inChannels,
                                         outChannels: layer.outChannels, names: fuse ? [layers[i + 1].name] : [layer.name]))
                i += fuse ? 2 : 1
            case .relu:
                steps.append(NetworkStep(op: .relu, inChannels: layer.inChannels, outChannels: layer.outChannels, names: [layer.name]))
                i += 1
            case .pool:
                steps.append(NetworkStep(op: .pool, inChannels: layer.inChannels, outChannels: layer.outChannels, names: [layer.name]))
                i += 1
            }
        }
        return steps
    }
}

/// Each step's input and output shape for a `3 × height × width` image; throws a usage error when a pool
/// would get less than 2×2 pixels.
func stepShapes(_ steps: ArraySlice<NetworkStep>, input: FeatureShape) throws -> [(input: FeatureShape, output: FeatureShape)] {
    var shape = input
    var result: [(input: FeatureShape, output: FeatureShape)] = []
    for step in steps {
        if step.isPool && (shape.height < 2 || shape.width < 2) {
            throw GPUStyleError(.usage, "the image is too small for \(step.names[0]): its input is \(shape.width)×\(shape.height) px; use a larger image or shallower layers")
        }
        let output = step.outputShape(height: shape.height, width: shape.width)
        result.append((shape, output))
        shape = output
    }
    return result
}
