// TorchStateDict.swift — finds the state dict in an unpickled .pth (plain, or inside a checkpoint) and lists its tensors.

enum TorchStateDict {
    /// Checkpoint entries that may hold the state dict, tried in this order when the top level has no tensors.
    static let checkpointKeys = ["state_dict", "model_state_dict", "model", "net"]

    /// The tensors of the state dict in `root`, in file order, and the names of tensors skipped because
    /// their dtype is not floating point (e.g. BatchNorm's int64 `num_batches_tracked`).
    static func tensors(in root: PickleValue, context: String) throws -> (tensors: [(name: String, tensor: TorchTensorRef)], skipped: [String]) {
        let dict = try stateDict(in: root, context: context, depth: 0)
        var tensors: [(String, TorchTensorRef)] = []
        var skipped: [String] = []
        for (key, value) in zip(dict.keys, dict.values) {
            guard case .string(let name) = key, case .tensor(let tensor) = value else { continue }
            if tensor.dtype.isFloatingPoint {
                tensors.append((name, tensor))
            } else {
                skipped.append("\(name) (\(tensor.dtype.name))")
            }
        }
        return (tensors, skipped)
    }

    private static func hasTensors(_ dict: PickleDict) -> Bool {
        zip(dict.keys, dict.values).contains { key, value in
            if case .string = key, case .tensor = value { return true }
            return false
        }
    }

    private static func stateDict(in value: PickleValue, context: String, depth: Int) throws -> PickleDict {
        guard case .dict(let dict) = value else {
            throw GPUStyleError(.weights, "\(context): the pickled object is a \(value.typeName), not a state dict (a dict of tensors)")
        }
        if hasTensors(dict) { return dict }
        if depth < 3 {
            for key in checkpointKeys {
                if let inner = dict.value(forKey: key), case .dict = inner {
                    return try stateDict(in: inner, context: context, depth: depth + 1)
                }
            }
        }
        let keys = dict.keys.prefix(12).map { $0.stringValue.map { "'\($0)'" } ?? $0.typeName }.joined(separator: ", ")
        throw GPUStyleError(.weights, "\(context): no tensors found in the pickled dict (keys: \(keys)\(dict.count > 12 ? ", …" : "")); expected a state dict, or a checkpoint whose 'state_dict' or 'model' entry is one")
    }
}
