// HDF5File.swift — an HDF5 file's superblock and bounds-checked address arithmetic (no libhdf5).

/// The 8-byte signature that starts an HDF5 superblock.
let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

/// An HDF5 file opened for reading: its bytes, the widths of offsets and lengths, the base address and
/// the root group's object header. Every address is checked against the file before use.
struct HDF5File {
    let bytes: UnsafeRawBufferPointer
    let path: String
    let superblockVersion: Int
    /// Width in bytes of addresses ("size of offsets").
    let offsetSize: Int
    /// Width in bytes of lengths ("size of lengths").
    let lengthSize: Int
    /// Absolute position that relative addresses start from.
    let baseAddress: Int
    /// Absolute position of the root group's object header.
    let rootObjectHeader: Int

    /// Finds the superblock (at 0, 512, 1024, … when a user block precedes it) and reads it.
    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        self.bytes = bytes
        self.path = path
        var position = 0
        var found: Int?
        while position <= bytes.count - 8 {
            if (0..<8).allSatisfy({ bytes[position + $0] == hdf5Signature[$0] }) { found = position; break }
            position = position == 0 ? 512 : position * 2
        }
        guard let start = found else {
            throw GPUStyleError(.weights, "\(path): not an HDF5 file (no superblock signature found)")
        }
        var cursor = ByteCursor(bytes, offset: start + 8, context: path)
        let version = Int(try cursor.u8())
        superblockVersion = version
        var rootAddress: UInt64
        switch version {
        case 0, 1:
            try cursor.skip(4, "superblock versions")
            offsetSize = Int(try cursor.u8())
            lengthSize = Int(try cursor.u8())
            try HDF5File.checkWidths(offsetSize, lengthSize, path: path)
            try cursor.skip(1 + 2 + 2 + 4 + (version == 1 ? 4 : 0), "superblock")
            let base = try cursor.leUInt(size: offsetSize)
            try cursor.skip(3 * offsetSize, "superblock addresses")
            // Root group symbol table entry: link name offset, object header address, cache fields.
            try cursor.skip(offsetSize, "root symbol table entry")
            rootAddress = try cursor.leUInt(size: offsetSize)
            baseAddress = try HDF5File.absolute(base, base: 0, fileSize: bytes.count, path: path, what: "base address")
        case 2, 3:
            offsetSize = Int(try cursor.u8())
            lengthSize = Int(try cursor.u8())
            try HDF5File.checkWidths(offsetSize, lengthSize, path: path)
            try cursor.skip(1, "superblock flags")
            let base = try cursor.leUInt(size: offsetSize)
            try cursor.skip(2 * offsetSize, "superblock addresses")
            rootAddress = try cursor.leUInt(size: offsetSize)
            baseAddress = try HDF5File.absolute(base, base: 0, fileSize: bytes.count, path: path, what: "base address")
        default:
            throw GPUStyleError(.weights, "\(path): HDF5 superblock version \(version) is not supported (0–3 are)")
        }
        rootObjectHeader = try HDF5File.absolute(rootAddress, base: baseAddress, fileSize: bytes.count, path: path, what: "root group")
    }

    private static func checkWidths(_ offsets: Int, _ lengths: Int, path: String) throws {
        guard [2, 4, 8].contains(offsets), [2, 4, 8].contains(lengths) else {
            throw GPUStyleError(.weights, "\(path): corrupt HDF5 superblock: offset size \(offsets), length size \(lengths) (2, 4 or 8 expected)")
        }
    }

    private static func absolute(_ address: UInt64, base: Int, fileSize: Int, path: String, what: String) throws -> Int {
        guard address < UInt64(Int.max), Int(address) <= fileSize - base else {
            throw GPUStyleError(.weights, "\(path): truncated or corrupt HDF5: \(what) at address \(address) lies outside the \(fileSize)-byte file")
        }
        return base + Int(address)
    }

    /// The all-ones value that marks an undefined address.
    var undefinedAddress: UInt64 { offsetSize == 8 ? UInt64.max : (UInt64(1) << UInt64(8 * offsetSize)) - 1 }

    /// Reads an address; nil when it is the undefined address.
    func readAddress(_ cursor: inout ByteCursor) throws -> UInt64? {
        let raw = try cursor.leUInt(size: offsetSize)
        return raw == undefinedAddress ? nil : raw
    }

    /// Reads a length field as a non-negative `Int`.
    func readLength(_ cursor: inout ByteCursor, _ what: String) throws -> Int {
        let raw = try cursor.leUInt(size: lengthSize)
        guard raw <= UInt64(bytes.count) else {
            throw GPUStyleError(.weights, "\(path): corrupt HDF5: \(what) of \(raw) bytes exceeds the file size \(bytes.count)")
        }
        return Int(raw)
    }

    /// The absolute file position of relative `address`, checked to leave room for `needing` bytes.
    func position(of address: UInt64, needing: Int = 1, _ what: @autoclosure () -> String) throws -> Int {
        guard address < UInt64(bytes.count), needing >= 0,
              Int(address) <= bytes.count - baseAddress,
              needing <= bytes.count - baseAddress - Int(address) else {
            throw GPUStyleError(.weights, "\(path): truncated or corrupt HDF5: \(what()) at address \(address) (+\(needing) bytes) lies outside the \(bytes.count)-byte file")
        }
        return baseAddress + Int(address)
    }

    /// A cursor at relative `address`.
    func cursor(at address: UInt64, _ what: @autoclosure () -> String) throws -> ByteCursor {
        ByteCursor(bytes, offset: try position(of: address, what()), context: path)
    }

    /// `count` bytes at relative `address`, checked.
    func slice(at address: UInt64, count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        let start = try position(of: address, needing: count, what())
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)])
    }

    /// Checks a 4-byte ASCII signature at the cursor and advances past it.
    func expectSignature(_ cursor: inout ByteCursor, _ signature: String, _ what: String) throws {
        let found = try cursor.string(4, what)
        guard found == signature else {
            throw GPUStyleError(.weights, "\(path): corrupt HDF5: expected \(what) signature '\(signature)' at offset \(cursor.offset - 4), found '\(found.unicodeScalars.map { $0.isASCII && $0.value >= 32 ? String($0) : "?" }.joined())'")
        }
    }

    func corrupt(_ what: String) -> GPUStyleError {
        GPUStyleError(.weights, "\(path): corrupt or unsupported HDF5: \(what)")
    }
}

/// Orders names so numeric runs compare as numbers: `conv2d`, `conv2d_1`, `conv2d_2`, `conv2d_10`.
func naturalOrder(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var i = 0, j = 0
    func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    while i < x.count && j < y.count {
        if isDigit(x[i]) && isDigit(y[j]) {
            var iEnd = i, jEnd = j
            while iEnd < x.count && isDigit(x[iEnd]) { iEnd += 1 }
            while jEnd < y.count && isDigit(y[jEnd]) { jEnd += 1 }
            let xs = x[i..<iEnd].drop { $0 == 48 }, ys = y[j..<jEnd].drop { $0 == 48 }
            if xs.count != ys.count { return xs.count < ys.count }
            if !xs.elementsEqual(ys) { return xs.lexicographicallyPrecedes(ys) }
            i = iEnd; j = jEnd
        } else {
            if x[i] != y[j] { return x[i] < y[j] }
            i += 1; j += 1
        }
    }
    if (x.count - i) != (y.count - j) { return (x.count - i) < (y.count - j) }
    return a < b
}

extension ByteCursor {
    /// A little-endian unsigned integer of `size` bytes (1…8) that must fit in `Int`.
    mutating func leInt(size: Int) throws -> Int {
        let value = try leUInt(size: size)
        guard value <= UInt64(Int.max) else {
            throw GPUStyleError(.weights, "\(context): corrupt: integer \(value) at offset \(offset - size) is out of range")
        }
        return Int(value)
    }
}
