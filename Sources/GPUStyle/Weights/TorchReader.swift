// TorchReader.swift — PyTorch .pth state dicts: the ZIP container (PyTorch ≥ 1.6) and the legacy pickle stream.

/// Reads PyTorch `.pth`/`.pt` files written by `torch.save(state_dict, f)`, through a restricted pickle
/// interpreter that only knows an allowlist of globals and executes nothing.
public enum TorchReader {
    /// The floating-point tensors of the file's state dict, in file order, with their keys as stored
    /// (`features.0.weight`, `conv1_1.weight`, `module.…`), shapes as stored (OIHW kernels) and values
    /// converted to Float32 (from float32/float64/float16/bfloat16; any stride is gathered).
    /// A checkpoint dict whose `state_dict`/`model` entry is the state dict is accepted too.
    /// `format` is "pth-zip" or "pth-legacy"; `metadata["skipped"]` lists non-float tensors left out.
    public static func read(path: String) throws -> WeightFile {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try read(bytes: file.bytes, path: path) }
    }

    /// Reads an in-memory `.pth` image (ZIP or legacy stream); `path` names it in messages.
    public static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> WeightFile {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return try readZip(bytes, path: path)
        }
        if bytes.first == 0x80 {
            return try readLegacy(bytes, path: path)
        }
        if bytes.count > 262, bytes[257..<262].elementsEqual("ustar".utf8) {
            throw GPUStyleError(.weights, "\(path): a tar-format .pth from PyTorch before 0.4 is not supported; load it in PyTorch and save it again with torch.save(model.state_dict(), path)")
        }
        throw GPUStyleError(.weights, "\(path): not a PyTorch file: expected a ZIP archive (torch.save since 1.6) or a legacy pickle stream")
    }

    // MARK: - ZIP container

    private static func readZip(_ bytes: UnsafeRawBufferPointer, path: String) throws -> WeightFile {
        let zip = try ZipArchive(bytes: bytes, context: path)
        let pickles = zip.entries.filter { entry in
            guard entry.name.hasSuffix("data.pkl") else { return false }
            let prefix = entry.name.dropLast("data.pkl".count)
            return prefix.isEmpty || (prefix.hasSuffix("/") && prefix.dropLast().firstIndex(of: "/") == nil)
        }
        guard pickles.count == 1, let pickleEntry = pickles.first else {
            throw GPUStyleError(.weights, "\(path): the ZIP archive holds \(pickles.count) 'data.pkl' records instead of one; it is not a file written by torch.save")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        if zip.entry(named: prefix + "constants.pkl") != nil {
            throw GPUStyleError(.weights, "\(path): this is a TorchScript archive (torch.jit.save), not a state dict; save model.state_dict() with torch.save instead")
        }
        var bigEndian = false
        if let order = zip.entry(named: prefix + "byteorder") {
            let text = String(decoding: try zip.contents(of: order), as: UTF8.self)
            guard text == "little" || text == "big" else {
                throw GPUStyleError(.weights, "\(path): the byteorder record says '\(text.prefix(20))', expected 'little' or 'big'")
            }
            bigEndian = text == "big"
        }

        var machine = PickleMachine(context: path)
        var cursor = ByteCursor(try zip.contents(of: pickleEntry), context: "\(path) (\(pickleEntry.name))")
        let root = try machine.run(&cursor) { pid in
            .storage(try storageReference(pid, legacy: false, context: path).storage)
        }
        let (found, skipped) = try TorchStateDict.tensors(in: root, context: path)
        var verified: [String: UnsafeRawBufferPointer] = [:]
        var tensors: [NamedTensor] = []
        for (name, ref) in found {
            let record: UnsafeRawBufferPointer
            if let known = verified[ref.storage.key] {
                record = known
            } else {
                guard let entry = zip.entry(named: "\(prefix)data/\(ref.storage.key)") else {
                    throw GPUStyleError(.weights, "\(path): tensor '\(name)' uses storage '\(ref.storage.key)', but the archive has no record '\(prefix)data/\(ref.storage.key)'")
                }
                record = try zip.contents(of: entry)
                verified[ref.storage.key] = record
            }
            let values = try TorchTensorDecoder.values(of: ref, record: record, bigEndian: bigEndian, name: name, context: path)
            tensors.append(NamedTensor(name: name, shape: ref.shape, values: values))
        }
        withExtendedLifetime(machine) {}
        return WeightFile(path: path, format: "pth-zip", tensors: tensors, kernelLayout: .oihw,
                          metadata: skipped.isEmpty ? [:] : ["skipped": skipped.joined(separator: ", ")])
    }

    // MARK: - Legacy stream

    /// LONG1 bytes of the legacy magic number 0x1950A86A20F9469CFC6C.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    private static func readLegacy(_ bytes: UnsafeRawBufferPointer, path: String) throws -> WeightFile {
        var cursor = ByteCursor(bytes, context: path)
        var machine = PickleMachine(context: path)
        let noPersistentIDs: PickleMachine.PersistentLoad = { _ in
            throw GPUStyleError(.weights, "\(path): a persistent id appears in the header of a legacy .pth")
        }
        guard case .bigInt(let magic) = try machine.run(&cursor, persistentLoad: noPersistentIDs), magic == legacyMagic else {
            throw GPUStyleError(.weights, "\(path): a pickle, but not a PyTorch file (the legacy magic number is missing)")
        }
        let version = try machine.run(&cursor, persistentLoad: noPersistentIDs)
        guard version.intValue == 1001 else {
            throw GPUStyleError(.weights, "\(path): legacy .pth protocol version \(version.intValue.map(String.init) ?? version.typeName), expected 1001")
        }
        var bigEndian = false
        if case .dict(let info) = try machine.run(&cursor, persistentLoad: noPersistentIDs),
           let little = info.value(forKey: "little_endian")?.intValue {
            bigEndian = little == 0
        }

        // Root storages by key: dtype and element count, as the persistent ids declare them.
        var roots: [String: TorchStorageRef] = [:]
        let root = try machine.run(&cursor) { pid in
            let ref = try storageReference(pid, legacy: true, context: path)
            let declared = TorchStorageRef(key: ref.key, dtype: ref.dtype, numel: ref.rootNumel, viewOffset: 0)
            if let known = roots[ref.key], known.dtype != declared.dtype || known.numel != declared.numel {
                throw GPUStyleError(.weights, "\(path): storage '\(ref.key)' is declared twice with different types or sizes")
            }
            roots[ref.key] = declared
            return .storage(ref.storage)
        }
        guard let keys = try machine.run(&cursor, persistentLoad: noPersistentIDs).sequenceItems else {
            throw GPUStyleError(.weights, "\(path): the legacy storage key list is missing")
        }

        // Then, per key: an 8-byte little-endian element count and the raw data.
        var records: [String: UnsafeRawBufferPointer] = [:]
        for item in keys {
            guard let key = item.stringValue, let storage = roots[key], let width = storage.dtype.byteWidth else {
                throw GPUStyleError(.weights, "\(path): the legacy storage list names '\(item.stringValue ?? item.typeName)', which no tensor declares")
            }
            let count = try cursor.le(UInt64.self)
            guard count == UInt64(storage.numel) else {
                throw GPUStyleError(.weights, "\(path): storage '\(key)' holds \(count) elements but its tensors declare \(storage.numel)")
            }
            records[key] = try cursor.slice(storage.numel * width, "data of storage '\(key)'")
        }

        let (found, skipped) = try TorchStateDict.tensors(in: root, context: path)
        var tensors: [NamedTensor] = []
        for (name, ref) in found {
            guard let record = records[ref.storage.key] else {
                throw GPUStyleError(.weights, "\(path): tensor '\(name)' uses storage '\(ref.storage.key)', whose data the file does not hold")
            }
            let values = try TorchTensorDecoder.values(of: ref, record: record, bigEndian: bigEndian, name: name, context: path)
            tensors.append(NamedTensor(name: name, shape: ref.shape, values: values))
        }
        withExtendedLifetime(machine) {}
        return WeightFile(path: path, format: "pth-legacy", tensors: tensors, kernelLayout: .oihw,
                          metadata: skipped.isEmpty ? [:] : ["skipped": skipped.joined(separator: ", ")])
    }

    // MARK: - Persistent ids

    /// A storage named by a persistent id: ZIP `('storage', type, key, location, numel)`, legacy
    /// `('storage', type, root_key, location, root_numel, view_metadata)` with view_metadata None or
    /// `(view_key, offset, numel)`.
    static func storageReference(_ pid: PickleValue, legacy: Bool, context: String)
        throws -> (key: String, dtype: TorchDType, rootNumel: Int, storage: TorchStorageRef) {
        let fail = { (what: String) in GPUStyleError(.weights, "\(context): \(what)") }
        guard let items = pid.sequenceItems, let kind = items.first?.stringValue else {
            throw fail("a persistent id is a \(pid.typeName), not a ('storage', …) tuple")
        }
        guard kind == "storage" else {
            if kind == "module" { throw fail("the file stores a whole model object, not a state dict; save model.state_dict() instead") }
            throw fail("a persistent id of kind '\(kind.prefix(40))' is not a storage")
        }
        guard items.count >= 5 else { throw fail("a storage persistent id has \(items.count) fields, expected 5 or 6") }
        let dtype: TorchDType
        switch items[1] {
        case .global(.storageClass(let d)): dtype = d
        case .global(.untypedStorage): dtype = .uint8
        default: throw fail("a storage persistent id names \(items[1].typeName) as its type")
        }
        guard let key = items[2].stringValue, !key.isEmpty, key.count <= 256 else { throw fail("a storage persistent id has no valid key") }
        guard let numel64 = items[4].intValue, numel64 >= 0, numel64 <= Int64(Int32.max) * 64 else {
            throw fail("storage '\(key)' declares \(items[4].intValue.map(String.init) ?? items[4].typeName) elements")
        }
        let numel = Int(numel64)
        var storage = TorchStorageRef(key: key, dtype: dtype, numel: numel, viewOffset: 0)
        if legacy, items.count >= 6, let view = items[5].sequenceItems {
            guard view.count == 3, let offset = view[1].intValue, let size = view[2].intValue,
                  offset >= 0, size >= 0, offset <= numel64, size <= numel64 - offset else {
                throw fail("storage '\(key)' has a view outside the storage")
            }
            storage = TorchStorageRef(key: key, dtype: dtype, numel: Int(size), viewOffset: Int(offset))
        }
        return (key, dtype, numel, storage)
    }
}
