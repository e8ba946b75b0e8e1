// HDF5ObjectHeader.swift — parses version 1 and 2 object headers (with continuation blocks) into raw messages.

/// One header message: its type, flags and body (a view into the file).
struct HDF5Message {
    let type: UInt16
    let flags: UInt8
    let body: UnsafeRawBufferPointer

    static let dataspace: UInt16 = 0x01
    static let linkInfo: UInt16 = 0x02
    static let datatype: UInt16 = 0x03
    static let link: UInt16 = 0x06
    static let layout: UInt16 = 0x08
    static let filterPipeline: UInt16 = 0x0B
    static let continuation: UInt16 = 0x10
    static let symbolTable: UInt16 = 0x11

    /// Whether the body is a reference to a shared message stored elsewhere.
    var isShared: Bool { flags & 0x02 != 0 }
}

/// The messages of one object header, in order, with continuation blocks followed.
struct HDF5ObjectHeader {
    /// Upper bound on messages per object, so a corrupt header cannot make the reader loop for long.
    static let maxMessages = 100_000

    let address: Int
    let messages: [HDF5Message]

    func first(_ type: UInt16) -> HDF5Message? { messages.first { $0.type == type } }
    func all(_ type: UInt16) -> [HDF5Message] { messages.filter { $0.type == type } }

    /// Parses the object header at absolute file position `position`; `name` labels errors.
    init(file: HDF5File, position: Int, name: String) throws {
        address = position
        var cursor = ByteCursor(file.bytes, offset: position, context: file.path)
        var collected: [HDF5Message] = []
        var pending: [(position: Int, length: Int)] = []
        var seenBlocks = Set<Int>()
        try cursor.require(4, "object header of '\(name)'")
        let isVersion2 = file.bytes[position] == UInt8(ascii: "O")
        if isVersion2 {
            try file.expectSignature(&cursor, "OHDR", "object header of '\(name)'")
            let version = try cursor.u8()
            guard version == 2 else { throw file.corrupt("object header of '\(name)' has version \(version)") }
            let flags = try cursor.u8()
            if flags & 0x20 != 0 { try cursor.skip(16, "object header times") }
            if flags & 0x10 != 0 { try cursor.skip(4, "object header attribute limits") }
            let chunkSize = try cursor.leInt(size: 1 << Int(flags & 0x03))
            try HDF5ObjectHeader.parseBlock(file: file, start: cursor.offset, length: chunkSize, version2: true,
                                            trackCreationOrder: flags & 0x04 != 0, name: name,
                                            into: &collected, continuations: &pending)
            while let next = pending.first {
                pending.removeFirst()
                guard seenBlocks.insert(next.position).inserted else { throw file.corrupt("object header of '\(name)' has a continuation loop") }
                var block = ByteCursor(file.bytes, offset: next.position, context: file.path)
                try block.require(next.length, "continuation block of '\(name)'")
                try file.expectSignature(&block, "OCHK", "continuation block of '\(name)'")
                guard next.length >= 8 else { throw file.corrupt("continuation block of '\(name)' is only \(next.length) bytes") }
                try HDF5ObjectHeader.parseBlock(file: file, start: next.position + 4, length: next.length - 8, version2: true,
                                                trackCreationOrder: flags & 0x04 != 0, name: name,
                                                into: &collected, continuations: &pending)
            }
        } else {
            let version = try cursor.u8()
            guard version == 1 else { throw file.corrupt("object header of '\(name)' at offset \(position) has version \(version)") }
            try cursor.skip(1, "object header")
            _ = try cursor.le(UInt16.self)  // message count (an upper bound we do not need)
            try cursor.skip(4, "object header reference count")
            let size = Int(try cursor.le(UInt32.self))
            try HDF5ObjectHeader.parseBlock(file: file, start: position + 16, length: size, version2: false,
                                            trackCreationOrder: false, name: name,
                                            into: &collected, continuations: &pending)
            while let next = pending.first {
                pending.removeFirst()
                guard seenBlocks.insert(next.position).inserted else { throw file.corrupt("object header of '\(name)' has a continuation loop") }
                try HDF5ObjectHeader.parseBlock(file: file, start: next.position, length: next.length, version2: false,
                                                trackCreationOrder: false, name: name,
                                                into: &collected, continuations: &pending)
            }
        }
        messages = collected
    }

    /// Reads the messages in `length` bytes at `start`; continuation messages are queued, not stored.
    private static func parseBlock(file: HDF5File, start: Int, length: Int, version2: Bool, trackCreationOrder: Bool,
                                   name: String, into messages: inout [HDF5Message],
                                   continuations: inout [(position: Int, length: Int)]) throws {
        var cursor = ByteCursor(file.bytes, offset: start, context: file.path)
        try cursor.require(length, "object header messages of '\(name)'")
        let end = start + length
        let prefix = version2 ? (4 + (trackCreationOrder ? 2 : 0)) : 8
        while end - cursor.offset >= prefix {
            let type: UInt16 = version2 ? UInt16(try cursor.u8()) : try cursor.le(UInt16.self)
            let size = Int(try cursor.le(UInt16.self))
            let flags = try cursor.u8()
            if version2 {
                if trackCreationOrder { try cursor.skip(2) }
            } else {
                try cursor.skip(3)
            }
            guard size <= end - cursor.offset else {
                throw file.corrupt("a message of type \(type) in the object header of '\(name)' runs past its block (\(size) bytes at offset \(cursor.offset))")
            }
            let body = try cursor.slice(size, "header message")
            if type == HDF5Message.continuation {
                var c = ByteCursor(body, context: file.path)
                guard let address = try file.readAddress(&c) else { throw file.corrupt("continuation message of '\(name)' has no address") }
                let blockLength = try file.readLength(&c, "continuation block")
                let position = try file.position(of: address, needing: blockLength, "continuation block of '\(name)'")
                continuations.append((position, blockLength))
            } else if type != 0 {
                messages.append(HDF5Message(type: type, flags: flags, body: body))
            }
            guard messages.count + continuations.count <= maxMessages else {
                throw file.corrupt("object header of '\(name)' has more than \(maxMessages) messages")
            }
        }
    }
}
