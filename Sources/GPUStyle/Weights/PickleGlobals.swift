// PickleGlobals.swift — the allowlist of Python globals a state-dict pickle may name, and PyTorch's storage/tensor descriptions.

/// Element type of a PyTorch storage or tensor.
enum TorchDType: Equatable, Sendable {
    case float32, float64, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool
    /// A dtype gpustyle does not decode (float8, uint16, complex …); tensors of it are skipped.
    case other(String)

    /// Bytes per element, when known.
    var byteWidth: Int? {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        case .other: return nil
        }
    }

    var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    var name: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .float16: return "float16"
        case .bfloat16: return "bfloat16"
        case .int64: return "int64"
        case .int32: return "int32"
        case .int16: return "int16"
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .bool: return "bool"
        case .other(let n): return n
        }
    }

    /// The typed storage class holding this dtype (`FloatStorage` …).
    var storageClassName: String {
        switch self {
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int16: return "ShortStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        case .other(let n): return "UntypedStorage(\(n))"
        }
    }

    /// The dtype of a legacy typed storage class (`FloatStorage` …).
    static func ofStorageClass(_ name: String) -> TorchDType? {
        switch name {
        case "FloatStorage": return .float32
        case "DoubleStorage": return .float64
        case "HalfStorage": return .float16
        case "BFloat16Storage": return .bfloat16
        case "LongStorage": return .int64
        case "IntStorage": return .int32
        case "ShortStorage": return .int16
        case "CharStorage": return .int8
        case "ByteStorage": return .uint8
        case "BoolStorage": return .bool
        default: return nil
        }
    }

    /// The dtype named by a `torch.<name>` dtype global (`torch.float32`, `torch.uint16` …).
    static func ofDTypeGlobal(_ name: String) -> TorchDType? {
        switch name {
        case "float32", "float": return .float32
        case "float64", "double": return .float64
        case "float16", "half": return .float16
        case "bfloat16": return .bfloat16
        case "int64", "long": return .int64
        case "int32", "int": return .int32
        case "int16", "short": return .int16
        case "int8": return .int8
        case "uint8": return .uint8
        case "bool": return .bool
        case "uint16", "uint32", "uint64", "complex32", "complex64", "complex128",
             "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu":
            return .other(name)
        default: return nil
        }
    }
}

/// A Python global on the allowlist. Resolving any other name is an error, so nothing else can be named,
/// let alone called.
enum PickleGlobal: Equatable {
    case orderedDict            // collections.OrderedDict
    case builtinSet             // builtins.set
    case torchSize              // torch.Size
    case torchDevice            // torch.device
    case codecsEncode           // _codecs.encode (how protocol 2 stores bytes)
    case rebuildTensor          // torch._utils._rebuild_tensor
    case rebuildTensorV2        // torch._utils._rebuild_tensor_v2
    case rebuildTensorV3        // torch._utils._rebuild_tensor_v3
    case rebuildParameter       // torch._utils._rebuild_parameter
    case rebuildParameterWithState // torch._utils._rebuild_parameter_with_state
    case storageClass(TorchDType)  // torch.FloatStorage …, torch.cuda.FloatStorage …
    case untypedStorage         // torch.UntypedStorage
    case dtype(TorchDType)      // torch.float32 …

    /// The global `module.name` if it is allowed, else nil.
    static func resolve(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("builtins", "set"), ("__builtin__", "set"): return .builtinSet
        case ("torch", "Size"): return .torchSize
        case ("torch", "device"): return .torchDevice
        case ("_codecs", "encode"): return .codecsEncode
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch", "UntypedStorage"), ("torch.storage", "UntypedStorage"): return .untypedStorage
        case ("torch.cuda", _):
            // Storages saved from a GPU: the bytes are the same; the location is ignored.
            return TorchDType.ofStorageClass(name).map { .storageClass($0) }
        case ("torch", _):
            if let dtype = TorchDType.ofStorageClass(name) { return .storageClass(dtype) }
            if let dtype = TorchDType.ofDTypeGlobal(name) { return .dtype(dtype) }
            return nil
        default: return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .builtinSet: return "builtins.set"
        case .torchSize: return "torch.Size"
        case .torchDevice: return "torch.device"
        case .codecsEncode: return "_codecs.encode"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: return "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .storageClass(let d): return "torch.\(d.storageClassName)"
        case .untypedStorage: return "torch.UntypedStorage"
        case .dtype(let d): return "torch.\(d.name)"
        }
    }
}

/// A storage named by a persistent id: where its bytes are (`key`), their type and element count.
struct TorchStorageRef: Sendable {
    /// Record name: the file `data/<key>` in a ZIP archive, or the key in a legacy stream.
    let key: String
    let dtype: TorchDType
    /// Elements in the storage (bytes for an untyped storage).
    let numel: Int
    /// Legacy storage views: this storage starts `viewOffset` elements into `key`'s storage.
    let viewOffset: Int
}

/// A tensor as `_rebuild_tensor*` describes it: a strided view of a storage. Values are read later.
struct TorchTensorRef: Sendable {
    let storage: TorchStorageRef
    let dtype: TorchDType
    /// Offset of element [0, …, 0] in the storage, in elements of `dtype`.
    let storageOffset: Int
    let shape: [Int]
    /// Element strides per axis.
    let stride: [Int]
}
