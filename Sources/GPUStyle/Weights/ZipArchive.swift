// ZipArchive.swift — a bounds-checked ZIP (and ZIP64) central-directory reader for stored entries, over a mapped file.

/// One file in a ZIP archive, as its central-directory record describes it.
struct ZipEntry {
    let name: String
    /// 0 = stored; anything else (8 = deflate) is refused by `ZipArchive.contents(of:)`.
    let method: UInt16
    let flags: UInt16
    let crc32: UInt32
    let compressedSize: Int
    let uncompressedSize: Int
    let localHeaderOffset: Int
}

/// The central directory of a ZIP archive held in `bytes` (normally a `MappedFile`); entries' data are
/// returned as sub-buffers, never copied. ZIP64 sizes and offsets are honoured; multi-disk archives,
/// encryption and compression are errors.
struct ZipArchive {
    let bytes: UnsafeRawBufferPointer
    let context: String
    let entries: [ZipEntry]
    private let byName: [String: Int]

    init(bytes: UnsafeRawBufferPointer, context: String) throws {
        self.bytes = bytes
        self.context = context
        let fail = { (what: String) in GPUStyleError(.weights, "\(context): corrupt ZIP archive: \(what)") }
        var cursor = ByteCursor(bytes, context: context)

        // End of central directory: 22 bytes plus a comment of up to 65535, at the end of the file.
        guard bytes.count >= 22 else { throw fail("the file is too short (\(bytes.count) bytes) to hold an end-of-central-directory record") }
        var eocd = -1
        var candidate = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while candidate >= lowest {
            if bytes[candidate] == 0x50, bytes[candidate + 1] == 0x4B, bytes[candidate + 2] == 0x05, bytes[candidate + 3] == 0x06 {
                try cursor.seek(to: candidate + 20)
                let commentLength = Int(try cursor.le(UInt16.self))
                if candidate + 22 + commentLength <= bytes.count { eocd = candidate; break }
            }
            candidate -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record (truncated file?)") }
        try cursor.seek(to: eocd + 4)
        let disk = try cursor.le(UInt16.self), cdDisk = try cursor.le(UInt16.self)
        _ = try cursor.le(UInt16.self)
        var entryCount = UInt64(try cursor.le(UInt16.self))
        var cdSize = UInt64(try cursor.le(UInt32.self))
        var cdOffset = UInt64(try cursor.le(UInt32.self))
        guard disk == 0 && cdDisk == 0 else { throw fail("multi-disk archives are not supported") }

        // ZIP64: a locator 20 bytes before the EOCD points at the ZIP64 end-of-central-directory record.
        if eocd >= 20 {
            try cursor.seek(to: eocd - 20)
            if try cursor.le(UInt32.self) == 0x0706_4B50 {
                _ = try cursor.le(UInt32.self)
                let record = try cursor.le(UInt64.self)
                guard record <= UInt64(bytes.count) else { throw fail("the ZIP64 record offset \(record) is outside the file") }
                try cursor.seek(to: Int(record), "ZIP64 end of central directory")
                guard try cursor.le(UInt32.self) == 0x0606_4B50 else { throw fail("no ZIP64 end-of-central-directory record at offset \(record)") }
                try cursor.skip(8 + 2 + 2 + 4 + 4 + 8, "ZIP64 end of central directory")
                entryCount = try cursor.le(UInt64.self)
                cdSize = try cursor.le(UInt64.self)
                cdOffset = try cursor.le(UInt64.self)
            }
        }
        guard cdOffset <= UInt64(bytes.count), cdSize <= UInt64(bytes.count) - cdOffset else {
            throw fail("the central directory (\(cdSize) bytes at offset \(cdOffset)) is outside the file of \(bytes.count) bytes")
        }
        guard entryCount <= cdSize / 46 else { throw fail("\(entryCount) entries cannot fit a central directory of \(cdSize) bytes") }

        var entries: [ZipEntry] = []
        var byName: [String: Int] = [:]
        entries.reserveCapacity(Int(entryCount))
        let cdEnd = Int(cdOffset + cdSize)
        var cd = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[0..<cdEnd]), offset: Int(cdOffset), context: context)
        for index in 0..<Int(entryCount) {
            let entry = try ZipArchive.readCentralRecord(&cd, index: index, fail: fail)
            guard byName[entry.name] == nil else { throw fail("the entry '\(entry.name)' appears twice") }
            byName[entry.name] = entries.count
            entries.append(entry)
        }
        self.entries = entries
        self.byName = byName
    }

    private static func readCentralRecord(_ cd: inout ByteCursor, index: Int, fail: (String) -> GPUStyleError) throws -> ZipEntry {
        guard try cd.le(UInt32.self) == 0x0201_4B50 else { throw fail("central-directory record \(index) has a bad signature") }
        try cd.skip(4, "central-directory record")
        let flags = try cd.le(UInt16.self)
        let method = try cd.le(UInt16.self)
        try cd.skip(4, "central-directory record")
        let crc = try cd.le(UInt32.self)
        var compressed = UInt64(try cd.le(UInt32.self))
        var uncompressed = UInt64(try cd.le(UInt32.self))
        let nameLength = Int(try cd.le(UInt16.self))
        let extraLength = Int(try cd.le(UInt16.self))
        let commentLength = Int(try cd.le(UInt16.self))
        let diskStart = try cd.le(UInt16.self)
        try cd.skip(6, "central-directory record")
        var localOffset = UInt64(try cd.le(UInt32.self))
        let name = try cd.string(nameLength, "entry name")
        var extra = ByteCursor(try cd.slice(extraLength, "extra field of '\(name)'"), context: cd.context)
        try cd.skip(commentLength, "comment of '\(name)'")
        // ZIP64 extended information (id 1): 8-byte values for exactly the fields saturated above.
        while extra.remaining >= 4 {
            let id = try extra.le(UInt16.self)
            let size = Int(try extra.le(UInt16.self))
            var field = ByteCursor(try extra.slice(size, "extra field of '\(name)'"), context: cd.context)
            guard id == 0x0001 else { continue }
            if uncompressed == 0xFFFF_FFFF { uncompressed = try field.le(UInt64.self) }
            if compressed == 0xFFFF_FFFF { compressed = try field.le(UInt64.self) }
            if localOffset == 0xFFFF_FFFF { localOffset = try field.le(UInt64.self) }
        }
        guard diskStart == 0 || diskStart == 0xFFFF else { throw fail("'\(name)' starts on another disk") }
        let limit = UInt64(Int.max)
        guard compressed <= limit, uncompressed <= limit, localOffset <= limit else {
            throw fail("'\(name)' has sizes or offsets beyond this machine's address space")
        }
        return ZipEntry(name: name, method: method, flags: flags, crc32: crc, compressedSize: Int(compressed),
                        uncompressedSize: Int(uncompressed), localHeaderOffset: Int(localOffset))
    }

    func entry(named name: String) -> ZipEntry? {
        byName[name].map { entries[$0] }
    }

    /// The bytes of a stored entry, bounds-checked; its CRC-32 is verified when `verifyCRC` and the
    /// archive recorded one (PyTorch can be told to write 0 instead).
    func contents(of entry: ZipEntry, verifyCRC: Bool = true) throws -> UnsafeRawBufferPointer {
        let fail = { (what: String) in GPUStyleError(.weights, "\(context): ZIP entry '\(entry.name)': \(what)") }
        guard entry.flags & 0x1 == 0 else { throw fail("is encrypted") }
        guard entry.method == 0 else {
            let how = entry.method == 8 ? "deflate-compressed" : "compressed with method \(entry.method)"
            throw fail("is \(how); gpustyle reads only stored (uncompressed) entries, as torch.save writes them. Re-save the file with torch.save instead of re-zipping it")
        }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw fail("is stored but its sizes differ (\(entry.compressedSize) vs \(entry.uncompressedSize))")
        }
        var cursor = ByteCursor(bytes, context: context)
        try cursor.seek(to: entry.localHeaderOffset, "local header of '\(entry.name)'")
        guard try cursor.le(UInt32.self) == 0x0403_4B50 else { throw fail("bad local header signature at offset \(entry.localHeaderOffset)") }
        try cursor.skip(22, "local header of '\(entry.name)'")
        let nameLength = Int(try cursor.le(UInt16.self))
        let extraLength = Int(try cursor.le(UInt16.self))
        try cursor.skip(nameLength + extraLength, "local header of '\(entry.name)'")
        let data = try cursor.slice(entry.compressedSize, "data of '\(entry.name)'")
        if verifyCRC && entry.crc32 != 0 {
            let actual = CRC32.checksum(data)
            guard actual == entry.crc32 else {
                throw fail("CRC-32 mismatch (stored 0x\(String(entry.crc32, radix: 16)), computed 0x\(String(actual, radix: 16))); the file is corrupt")
            }
        }
        return data
    }
}

/// CRC-32 (IEEE 802.3, as ZIP uses), slicing-by-8.
enum CRC32 {
    /// Eight 256-entry tables, one after the other.
    private static let table: [UInt32] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            tables[0][i] = c
        }
        for i in 0..<256 {
            for t in 1..<8 { tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][Int(tables[t - 1][i] & 0xFF)] }
        }
        return tables.flatMap { $0 }
    }()

    static func checksum(_ data: UnsafeRawBufferPointer) -> UInt32 {
        table.withUnsafeBufferPointer { t -> UInt32 in
            var crc: UInt32 = 0xFFFF_FFFF
            var i = 0
            let n = data.count
            while i + 8 <= n {
                let lo = crc ^ (UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(data[i + 4])] ^ t[2 * 256 + Int(data[i + 5])]
                    ^ t[1 * 256 + Int(data[i + 6])] ^ t[Int(data[i + 7])]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(data[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
            return ~crc
        }
    }
}
