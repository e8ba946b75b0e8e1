// TorchTestFixtures.swift — writes small .pth files (ZIP and legacy) the way torch.save lays them out, for the reader tests.
import Foundation
@testable import GPUStyle

/// A stored-only ZIP writer, optionally with ZIP64 records (as PyTorch writes for files over 4 GB).
struct ZipWriter {
    private(set) var data: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    mutating func add(_ name: String, _ contents: [UInt8], method: UInt16 = 0, zip64: Bool = false, crc: UInt32? = nil) {
        let crc = crc ?? contents.withUnsafeBytes { CRC32.checksum($0) }
        let nameBytes = Array(name.utf8)
        let offset = data.count
        var local = PickleWriter()
        local.le(UInt32(0x0403_4B50)); local.le(UInt16(zip64 ? 45 : 20)); local.le(UInt16(0)); local.le(method)
        local.le(UInt32(0)); local.le(crc)
        local.le(UInt32(zip64 ? 0xFFFF_FFFF : UInt32(contents.count)))
        local.le(UInt32(zip64 ? 0xFFFF_FFFF : UInt32(contents.count)))
        var extra = PickleWriter()
        if zip64 { extra.le(UInt16(1)); extra.le(UInt16(16)); extra.le(UInt64(contents.count)); extra.le(UInt64(contents.count)) }
        // Pad so the data starts on a 64-byte boundary, as PyTorch does.
        let unpadded = offset + 30 + nameBytes.count + extra.bytes.count + 4
        let pad = (64 - unpadded % 64) % 64
        extra.le(UInt16(0x4246)); extra.le(UInt16(pad)); extra.raw([UInt8](repeating: 0x5A, count: pad))
        local.le(UInt16(nameBytes.count)); local.le(UInt16(extra.bytes.count))
        data += local.bytes + nameBytes + extra.bytes + contents

        var c = PickleWriter()
        c.le(UInt32(0x0201_4B50)); c.le(UInt16(45)); c.le(UInt16(zip64 ? 45 : 20)); c.le(UInt16(0)); c.le(method)
        c.le(UInt32(0)); c.le(crc)
        c.le(UInt32(zip64 ? 0xFFFF_FFFF : UInt32(contents.count)))
        c.le(UInt32(zip64 ? 0xFFFF_FFFF : UInt32(contents.count)))
        var cextra = PickleWriter()
        if zip64 { cextra.le(UInt16(1)); cextra.le(UInt16(24)); cextra.le(UInt64(contents.count)); cextra.le(UInt64(contents.count)); cextra.le(UInt64(offset)) }
        c.le(UInt16(nameBytes.count)); c.le(UInt16(cextra.bytes.count)); c.le(UInt16(0)); c.le(UInt16(0)); c.le(UInt16(0)); c.le(UInt32(0))
        c.le(UInt32(zip64 ? 0xFFFF_FFFF : UInt32(offset)))
        central += c.bytes + nameBytes + cextra.bytes
        count += 1
    }

    func finish(zip64: Bool = false) -> [UInt8] {
        var out = data
        let cdOffset = out.count
        out += central
        var tail = PickleWriter()
        if zip64 {
            let recordOffset = out.count
            tail.le(UInt32(0x0606_4B50)); tail.le(UInt64(44)); tail.le(UInt16(45)); tail.le(UInt16(45))
            tail.le(UInt32(0)); tail.le(UInt32(0)); tail.le(UInt64(count)); tail.le(UInt64(count))
            tail.le(UInt64(central.count)); tail.le(UInt64(cdOffset))
            tail.le(UInt32(0x0706_4B50)); tail.le(UInt32(0)); tail.le(UInt64(recordOffset)); tail.le(UInt32(1))
        }
        tail.le(UInt32(0x0605_4B50)); tail.le(UInt16(0)); tail.le(UInt16(0))
        tail.le(UInt16(zip64 ? 0xFFFF : UInt16(count))); tail.le(UInt16(zip64 ? 0xFFFF : UInt16(count)))
        tail.le(UInt32(zip64 ? 0xFFFF_FFFF : UInt32(central.count))); tail.le(UInt32(zip64 ? 0xFFFF_FFFF : UInt32(cdOffset)))
        tail.le(UInt16(0))
        return out + tail.bytes
    }
}

/// One tensor entry of a fixture state dict: a strided view of storage `key`.
struct FixtureTensor {
    var name: String
    var key: String
    var shape: [Int]
    var stride: [Int]? = nil
    var offset: Int = 0

    var strides: [Int] {
        if let stride { return stride }
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for axis in shape.indices.reversed() { s[axis] = acc; acc &*= shape[axis] }
        return s
    }
}

/// A storage of a fixture: its typed-storage class name, element count and raw little-endian bytes.
struct FixtureStorage {
    var storageClass: String
    var numel: Int
    var bytes: [UInt8]

    static func float32(_ values: [Float]) -> FixtureStorage {
        FixtureStorage(storageClass: "FloatStorage", numel: values.count, bytes: littleEndianBytes(values.map { $0.bitPattern }))
    }
    static func float64(_ values: [Double]) -> FixtureStorage {
        FixtureStorage(storageClass: "DoubleStorage", numel: values.count, bytes: littleEndianBytes(values.map { $0.bitPattern }))
    }
    static func float16(_ values: [Float]) -> FixtureStorage {
        FixtureStorage(storageClass: "HalfStorage", numel: values.count, bytes: littleEndianBytes(values.map { Float16($0).bitPattern }))
    }
    static func bfloat16(_ values: [Float]) -> FixtureStorage {
        FixtureStorage(storageClass: "BFloat16Storage", numel: values.count, bytes: littleEndianBytes(values.map { UInt16($0.bitPattern >> 16) }))
    }
    static func int64(_ values: [Int64]) -> FixtureStorage {
        FixtureStorage(storageClass: "LongStorage", numel: values.count, bytes: littleEndianBytes(values))
    }
}

enum TorchFixture {
    /// Pushes an OrderedDict state dict of `tensors` (what `torch.save(model.state_dict())` pickles).
    /// Legacy persistent ids carry a sixth field, the view metadata (None, or `views[key]`).
    static func pushStateDict(_ w: inout PickleWriter, _ tensors: [FixtureTensor], storages: [String: FixtureStorage],
                              legacy: Bool, views: [String: (root: String, offset: Int, rootNumel: Int)] = [:]) {
        w.global("collections", "OrderedDict")
        w.emptyTuple()
        w.reduce()
        w.mark()
        for t in tensors {
            w.string(t.name)
            w.global("torch._utils", "_rebuild_tensor_v2")
            w.tuple { w in
                w.tuple { w in
                    w.string("storage")
                    let storage = storages[t.key]!
                    w.global("torch", storage.storageClass)
                    if legacy, let view = views[t.key] {
                        w.string(view.root); w.string("cpu"); w.int(view.rootNumel)
                        w.tuple { $0.string(t.key); $0.int(view.offset); $0.int(storage.numel) }
                    } else {
                        w.string(t.key); w.string("cpu"); w.int(storage.numel)
                        if legacy { w.none() }
                    }
                }
                w.binPersID()
                w.int(t.offset)
                w.tuple { w in for s in t.shape { w.int(s) } }
                w.tuple { w in for s in t.strides { w.int(s) } }
                w.bool(false)
                w.global("collections", "OrderedDict")
                w.emptyTuple()
                w.reduce()
            }
            w.reduce()
        }
        w.setItems()
        // state: {'_metadata': OrderedDict({'': {'version': 1}})}, as torch writes it.
        w.emptyDict()
        w.string("_metadata")
        w.global("collections", "OrderedDict"); w.emptyTuple(); w.reduce()
        w.string(""); w.emptyDict(); w.string("version"); w.int(1); w.setItem()
        w.setItem()
        w.setItem()
        w.build()
    }

    /// A ZIP `.pth`: `<prefix>/data.pkl`, `<prefix>/byteorder`, `<prefix>/data/<key>`, `<prefix>/version`.
    static func zipPth(pickle: [UInt8], storages: [String: FixtureStorage], prefix: String = "archive",
                       zip64: Bool = false, byteorder: String? = "little", deflatedKey: String? = nil) -> [UInt8] {
        var zip = ZipWriter()
        zip.add("\(prefix)/data.pkl", pickle, zip64: zip64)
        if let byteorder { zip.add("\(prefix)/byteorder", Array(byteorder.utf8), zip64: zip64) }
        for key in storages.keys.sorted() {
            zip.add("\(prefix)/data/\(key)", storages[key]!.bytes, method: key == deflatedKey ? 8 : 0, zip64: zip64)
        }
        zip.add("\(prefix)/version", Array("3\n".utf8), zip64: zip64)
        return zip.finish(zip64: zip64)
    }

    /// A legacy `.pth`: magic, protocol 1001, sys info, the state pickle, the key list, then per key
    /// an 8-byte element count and the data.
    static func legacyPth(statePickle: [UInt8], storages: [String: FixtureStorage], keys: [String]? = nil,
                          littleEndian: Bool = true) -> [UInt8] {
        var out = PickleWriter.pickle { w in
            w.raw([0x8A, 10] + TorchReader.legacyMagic)
        }
        out += PickleWriter.pickle { $0.int(1001) }
        out += PickleWriter.pickle { w in
            w.emptyDict(); w.mark()
            w.string("protocol_version"); w.int(1001)
            w.string("little_endian"); w.bool(littleEndian)
            w.string("type_sizes"); w.emptyDict(); w.mark(); w.string("short"); w.int(2); w.string("int"); w.int(4); w.string("long"); w.int(4); w.setItems()
            w.setItems()
        }
        out += statePickle
        let keys = keys ?? storages.keys.sorted()
        out += PickleWriter.pickle { w in
            w.emptyList(); w.mark()
            for k in keys { w.string(k) }
            w.appends()
        }
        for key in keys {
            let s = storages[key]!
            out += littleEndianBytes([UInt64(s.numel)]) + s.bytes
        }
        return out
    }

    /// Float32 tensors, one contiguous storage each (keys "0", "1", …), as a plain state dict.
    static func simple(_ tensors: [(name: String, shape: [Int], values: [Float])]) -> (tensors: [FixtureTensor], storages: [String: FixtureStorage]) {
        var fixtures: [FixtureTensor] = []
        var storages: [String: FixtureStorage] = [:]
        for (i, t) in tensors.enumerated() {
            fixtures.append(FixtureTensor(name: t.name, key: "\(i)", shape: t.shape))
            storages["\(i)"] = .float32(t.values)
        }
        return (fixtures, storages)
    }

    static func write(_ bytes: [UInt8], to folder: URL, _ name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}
