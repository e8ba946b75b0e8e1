// PickleValue.swift — the inert values the restricted pickle interpreter builds: scalars, containers, allowlisted names.

/// A value produced by `PickleMachine`. Nothing here can run code: globals are names from an allowlist,
/// and "calling" one only builds another inert value (see `PickleCallables.swift`).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer too wide for Int64: little-endian two's-complement bytes, as LONG1/LONG4 store them.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list(PickleList)
    case tuple(PickleTuple)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(TorchStorageRef)
    case tensor(TorchTensorRef)

    /// A short type name for error messages ("dict", "tuple", "str" …).
    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .global(let g): return "global \(g.qualifiedName)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        if case .bytes(let b) = self { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    var intValue: Int64? {
        if case .int(let v) = self { return v }
        if case .bool(let b) = self { return b ? 1 : 0 }
        return nil
    }

    /// Items of a tuple or list.
    var sequenceItems: [PickleValue]? {
        if case .tuple(let t) = self { return t.items }
        if case .list(let l) = self { return l.items }
        return nil
    }
}

/// Something the interpreter's arena can empty when it is torn down (see `PickleArena`).
protocol PickleContainer: AnyObject {
    func removeAllChildren()
}

final class PickleList: PickleContainer {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
    func removeAllChildren() { items = [] }
}

final class PickleTuple: PickleContainer {
    private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    func removeAllChildren() { items = [] }
}

/// A dict or OrderedDict; keeps insertion order. String and integer keys are indexed so that a repeated
/// key replaces its value, as in Python; other keys are appended.
final class PickleDict: PickleContainer {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var index: [PickleKey: Int] = [:]
    /// The state BUILD gave it (an OrderedDict's `_metadata`), kept but never interpreted.
    var state: PickleValue?

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let k = PickleKey(key), let at = index[k] {
            values[at] = value
            return
        }
        if let k = PickleKey(key) { index[k] = keys.count }
        keys.append(key)
        values.append(value)
    }

    func value(forKey name: String) -> PickleValue? {
        index[.string(name)].map { values[$0] }
    }

    var count: Int { keys.count }

    func removeAllChildren() {
        keys = []
        values = []
        index = [:]
        state = nil
    }
}

/// Hashable form of the dictionary keys a state dict can have.
enum PickleKey: Hashable {
    case string(String)
    case int(Int64)

    init?(_ value: PickleValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .int(let v): self = .int(v)
        default: return nil
        }
    }
}

/// Owns every container the interpreter creates and empties them all when released, so that freeing
/// a deeply nested or cyclic structure never recurses (a 10⁶-deep tuple must not overflow the stack).
final class PickleArena {
    private var containers: [PickleContainer] = []

    func adopt<C: PickleContainer>(_ container: C) -> C {
        containers.append(container)
        return container
    }

    var count: Int { containers.count }

    deinit {
        for container in containers { container.removeAllChildren() }
    }
}
