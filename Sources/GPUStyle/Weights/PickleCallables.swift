// PickleCallables.swift — what REDUCE, NEWOBJ and BUILD mean for each allowlisted global: inert descriptions, never calls.

/// Gives REDUCE/NEWOBJ/BUILD their meaning for `PickleGlobal`s. Each case builds a value (a dict, a tuple,
/// a tensor description); nothing is imported, looked up or executed.
struct PickleCallables {
    let arena: PickleArena
    /// Start of every error message (file and pickle offset).
    let context: String

    private func fail(_ what: String) -> GPUStyleError {
        GPUStyleError(.weights, "\(context): \(what)")
    }

    private func tupleItems(_ args: PickleValue, for global: PickleGlobal) throws -> [PickleValue] {
        guard case .tuple(let t) = args else {
            throw fail("\(global.qualifiedName) is given \(args.typeName) arguments instead of a tuple")
        }
        return t.items
    }

    /// REDUCE: `callable(*args)`.
    func call(_ callable: PickleValue, args: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else {
            throw fail("REDUCE calls a \(callable.typeName), which is not an allowed global")
        }
        let items = try tupleItems(args, for: global)
        switch global {
        case .orderedDict, .builtinSet, .torchSize:
            return try construct(callable, args: args, kwargs: nil)
        case .torchDevice:
            guard let first = items.first?.stringValue else { throw fail("torch.device needs a device name") }
            if items.count > 1, let index = items[1].intValue { return .string("\(first):\(index)") }
            return .string(first)
        case .codecsEncode:
            // Protocol 2 writes bytes as _codecs.encode(text, 'latin1'): text's code points are the bytes.
            guard items.count >= 1, case .string(let text) = items[0] else { throw fail("_codecs.encode needs a string") }
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw fail("_codecs.encode text holds a character beyond Latin-1") }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        case .rebuildTensor, .rebuildTensorV2:
            guard items.count >= 4 else { throw fail("\(global.qualifiedName) needs at least 4 arguments, got \(items.count)") }
            if items.count >= 7, case .dict(let metadata) = items[6], metadata.value(forKey: "neg")?.intValue == 1 {
                throw fail("a tensor with the negative bit set (a lazy -x view) is not supported; save x.clone() instead")
            }
            return .tensor(try tensor(storage: items[0], offset: items[1], size: items[2], stride: items[3], dtype: nil))
        case .rebuildTensorV3:
            guard items.count >= 7, case .global(.dtype(let dtype)) = items[6] else {
                throw fail("torch._utils._rebuild_tensor_v3 needs 7 arguments ending in a dtype")
            }
            return .tensor(try tensor(storage: items[0], offset: items[1], size: items[2], stride: items[3], dtype: dtype))
        case .rebuildParameter, .rebuildParameterWithState:
            guard let data = items.first, case .tensor = data else {
                throw fail("\(global.qualifiedName) is given a \(items.first?.typeName ?? "nothing") instead of a tensor")
            }
            return data
        case .storageClass, .untypedStorage, .dtype:
            throw fail("\(global.qualifiedName) cannot be called in a state dict")
        }
    }

    /// NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)` for the few container classes allowed.
    func construct(_ cls: PickleValue, args: PickleValue, kwargs: PickleValue?) throws -> PickleValue {
        guard case .global(let global) = cls else {
            throw fail("NEWOBJ instantiates a \(cls.typeName), which is not an allowed class")
        }
        if let kwargs, case .dict(let d) = kwargs, d.count > 0 {
            throw fail("\(global.qualifiedName) is given keyword arguments")
        }
        let items = try tupleItems(args, for: global)
        switch global {
        case .orderedDict:
            let dict = arena.adopt(PickleDict())
            if let pairs = items.first?.sequenceItems {
                for pair in pairs {
                    guard let kv = pair.sequenceItems, kv.count == 2 else { throw fail("OrderedDict is given an item that is not a pair") }
                    dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case .builtinSet:
            return .list(arena.adopt(PickleList(items.first?.sequenceItems ?? [])))
        case .torchSize:
            return .tuple(arena.adopt(PickleTuple(items.first?.sequenceItems ?? [])))
        default:
            throw fail("\(global.qualifiedName) cannot be instantiated with NEWOBJ")
        }
    }

    /// BUILD: `obj.__setstate__(state)`. A dict keeps the state (an OrderedDict's `_metadata`) uninterpreted;
    /// a tensor ignores it; anything else is an error.
    func build(_ object: PickleValue, state: PickleValue) throws {
        switch object {
        case .dict(let dict): dict.state = state
        case .tensor: break
        default: throw fail("BUILD sets the state of a \(object.typeName), which a state dict never does")
        }
    }

    // MARK: - Tensors

    private func nonNegativeInt(_ value: PickleValue, _ what: String) throws -> Int {
        guard let v = value.intValue, v >= 0, v <= Int64(Int.max) else {
            throw fail("tensor \(what) is \(value.typeName) \(value.intValue.map(String.init) ?? ""), not a non-negative integer")
        }
        return Int(v)
    }

    private func intTuple(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard let items = value.sequenceItems else { throw fail("tensor \(what) is a \(value.typeName), not a tuple") }
        guard items.count <= 64 else { throw fail("tensor \(what) has \(items.count) dimensions") }
        return try items.map { try nonNegativeInt($0, what) }
    }

    /// A tensor description from `_rebuild_tensor*` arguments; extents are checked when values are read.
    func tensor(storage: PickleValue, offset: PickleValue, size: PickleValue, stride: PickleValue, dtype: TorchDType?) throws -> TorchTensorRef {
        guard case .storage(let ref) = storage else {
            throw fail("a tensor is rebuilt from a \(storage.typeName) instead of a storage")
        }
        let shape = try intTuple(size, "size")
        let strides = try intTuple(stride, "stride")
        guard shape.count == strides.count else {
            throw fail("tensor size has \(shape.count) dimensions but stride has \(strides.count)")
        }
        return TorchTensorRef(storage: ref, dtype: dtype ?? ref.dtype,
                              storageOffset: try nonNegativeInt(offset, "storage offset"), shape: shape, stride: strides)
    }
}
