// FeatureNetwork.swift — the frozen VGG prefix a run needs, with its weights prepared on one backend.

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
