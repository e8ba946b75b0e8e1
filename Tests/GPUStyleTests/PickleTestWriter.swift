// PickleTestWriter.swift — builds pickle byte streams opcode by opcode, for the pickle and .pth reader tests.
import Foundation

/// Writes pickle opcodes the way CPython's pickler does (protocol 2 unless told otherwise).
struct PickleWriter {
    var bytes: [UInt8] = []

    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func raw(_ data: [UInt8]) { bytes += data }
    mutating func le<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    mutating func proto(_ version: UInt8 = 2) { bytes += [0x80, version] }
    mutating func stop() { op(0x2E) }
    mutating func mark() { op(0x28) }
    mutating func none() { op(0x4E) }
    mutating func bool(_ v: Bool) { op(v ? 0x88 : 0x89) }
    mutating func emptyDict() { op(0x7D) }
    mutating func emptyList() { op(0x5D) }
    mutating func emptyTuple() { op(0x29) }
    mutating func tuple() { op(0x74) }
    mutating func tupleN(_ n: Int) { op(0x84 + UInt8(n)) }
    mutating func setItem() { op(0x73) }
    mutating func setItems() { op(0x75) }
    mutating func append() { op(0x61) }
    mutating func appends() { op(0x65) }
    mutating func reduce() { op(0x52) }
    mutating func build() { op(0x62) }
    mutating func binPersID() { op(0x51) }
    mutating func pop() { op(0x30) }
    mutating func dup() { op(0x32) }
    mutating func put(_ index: Int) {
        if index < 256 { bytes += [0x71, UInt8(index)] } else { op(0x72); le(UInt32(index)) }
    }
    mutating func get(_ index: Int) {
        if index < 256 { bytes += [0x68, UInt8(index)] } else { op(0x6A); le(UInt32(index)) }
    }

    /// An integer with the smallest opcode CPython would choose.
    mutating func int(_ v: Int) {
        if v >= 0 && v < 256 { bytes += [0x4B, UInt8(v)] }
        else if v >= 0 && v < 65536 { op(0x4D); le(UInt16(v)) }
        else if v >= Int(Int32.min) && v <= Int(Int32.max) { op(0x4A); le(Int32(v)) }
        else { bytes += [0x8A, 8]; le(Int64(v)) }
    }

    mutating func float(_ v: Double) { op(0x47); withUnsafeBytes(of: v.bitPattern.bigEndian) { bytes += $0 } }

    /// BINUNICODE.
    mutating func string(_ s: String) {
        op(0x58)
        le(UInt32(s.utf8.count))
        bytes += Array(s.utf8)
    }

    /// SHORT_BINUNICODE (protocol 4).
    mutating func shortString(_ s: String) {
        op(0x8C)
        bytes.append(UInt8(s.utf8.count))
        bytes += Array(s.utf8)
    }

    /// GLOBAL 'module name'.
    mutating func global(_ module: String, _ name: String) {
        op(0x63)
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    /// STACK_GLOBAL (protocol 4).
    mutating func stackGlobal(_ module: String, _ name: String) {
        shortString(module)
        shortString(name)
        op(0x93)
    }

    /// A tuple of the values `body` pushes (MARK … TUPLE).
    mutating func tuple(_ body: (inout PickleWriter) -> Void) {
        mark()
        body(&self)
        tuple()
    }

    /// A complete pickle: PROTO, `body`, STOP.
    static func pickle(protocol version: UInt8 = 2, _ body: (inout PickleWriter) -> Void) -> [UInt8] {
        var w = PickleWriter()
        w.proto(version)
        body(&w)
        w.stop()
        return w.bytes
    }

    /// The malicious classic: `os.system('touch <path>')` as a REDUCE.
    static func systemCall(module: String = "os", name: String = "system", touching path: String) -> [UInt8] {
        pickle { w in
            w.global(module, name)
            w.tuple { $0.string("touch \(path)") }
            w.reduce()
        }
    }
}

/// Little-endian bytes of fixed-width values.
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(values.count * MemoryLayout<T>.size)
    for v in values { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    return out
}

/// A fresh, empty temporary folder, removed by the caller's `addTeardownBlock`.
func makeTemporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gpustyle-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
