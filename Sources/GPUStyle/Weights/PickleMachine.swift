// PickleMachine.swift — a restricted pickle interpreter (protocols 0–5): builds inert values, allowlists globals, runs nothing.

/// Resource limits for one interpreter. Every limit is also bounded by the input: each opcode consumes
/// at least one byte, and every length is checked against the bytes that remain.
struct PickleLimits {
    var maxStack = 1 << 22
    var maxMarks = 1 << 16
    var maxMemo = 1 << 22
    var maxLineBytes = 1 << 16
}

/// Interprets pickles value by value. Globals resolve only through `PickleGlobal.resolve`; REDUCE,
/// NEWOBJ and BUILD on them build descriptions (`PickleCallables`); opcodes that could reach anything
/// else (INST, OBJ, EXT*, out-of-band buffers) are errors. Containers live in `arena` and are emptied
/// when the machine is released, so extract what you need from a result while the machine is alive.
struct PickleMachine {
    typealias PersistentLoad = (PickleValue) throws -> PickleValue

    /// Start of every error message, usually the file path.
    let context: String
    let limits: PickleLimits
    let arena = PickleArena()
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var opcodeOffset = 0

    init(context: String, limits: PickleLimits = PickleLimits()) {
        self.context = context
        self.limits = limits
    }

    /// Runs one pickle starting at `cursor.offset`; returns its value and leaves `cursor` just past STOP.
    /// `persistentLoad` turns a persistent id (PERSID/BINPERSID) into a value.
    mutating func run(_ cursor: inout ByteCursor, persistentLoad: PersistentLoad) throws -> PickleValue {
        stack = []
        marks = []
        memo = [:]
        while true {
            opcodeOffset = cursor.offset
            guard !cursor.isAtEnd else { throw corrupt("the pickle ends without a STOP opcode (truncated file?)") }
            let op = try cursor.u8()
            switch op {
            case 0x2E: // STOP
                let result = try pop()
                return result
            case 0x80: // PROTO
                let version = try cursor.u8()
                guard version <= 5 else { throw corrupt("pickle protocol \(version) is newer than 5, the latest known") }
            case 0x95: // FRAME
                let size = try cursor.le(UInt64.self)
                guard size <= UInt64(cursor.remaining) else { throw corrupt("a frame of \(size) bytes runs past the end of the file") }
            case 0x28: // MARK
                guard marks.count < limits.maxMarks else { throw corrupt("more than \(limits.maxMarks) nested MARKs") }
                marks.append(stack.count)
            case 0x30: // POP
                if stack.count > (marks.last ?? 0) { stack.removeLast() } else { _ = try popMark() }
            case 0x31: // POP_MARK
                _ = try popMark()
            case 0x32: // DUP
                try push(try top())

            // Scalars.
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4A: try push(.int(Int64(Int32(bitPattern: try cursor.le(UInt32.self))))) // BININT
            case 0x4B: try push(.int(Int64(try cursor.u8())))                               // BININT1
            case 0x4D: try push(.int(Int64(try cursor.le(UInt16.self))))                   // BININT2
            case 0x8A: try push(try readLong(&cursor, count: Int(try cursor.u8())))          // LONG1
            case 0x8B: // LONG4
                let n = Int32(bitPattern: try cursor.le(UInt32.self))
                guard n >= 0 else { throw corrupt("LONG4 with negative length \(n)") }
                try push(try readLong(&cursor, count: Int(n)))
            case 0x47: try push(.float(Double(bitPattern: try cursor.be(UInt64.self))))     // BINFLOAT
            case 0x49: try push(try parseTextInt(try readLine(&cursor)))                    // INT
            case 0x4C: // LONG (text)
                var line = try readLine(&cursor)
                if line.hasSuffix("L") { line.removeLast() }
                guard let v = Int64(line) else { throw corrupt("LONG '\(line.prefix(40))' is not an integer that fits 64 bits") }
                try push(.int(v))
            case 0x46: // FLOAT (text)
                let line = try readLine(&cursor)
                guard let v = Double(line) else { throw corrupt("FLOAT '\(line.prefix(40))' is not a number") }
                try push(.float(v))

            // Strings and bytes.
            case 0x58: try push(.string(try readUTF8(&cursor, count: Int(try cursor.le(UInt32.self)))))   // BINUNICODE
            case 0x8C: try push(.string(try readUTF8(&cursor, count: Int(try cursor.u8()))))              // SHORT_BINUNICODE
            case 0x8D: try push(.string(try readUTF8(&cursor, count: try length(try cursor.le(UInt64.self), cursor)))) // BINUNICODE8
            case 0x55: try push(.string(decodeLegacyString(try readBytes(&cursor, count: Int(try cursor.u8())))))  // SHORT_BINSTRING
            case 0x54: // BINSTRING
                let n = Int32(bitPattern: try cursor.le(UInt32.self))
                guard n >= 0 else { throw corrupt("BINSTRING with negative length \(n)") }
                try push(.string(decodeLegacyString(try readBytes(&cursor, count: Int(n)))))
            case 0x43: try push(.bytes(try readBytes(&cursor, count: Int(try cursor.u8()))))               // SHORT_BINBYTES
            case 0x42: try push(.bytes(try readBytes(&cursor, count: Int(try cursor.le(UInt32.self)))))    // BINBYTES
            case 0x8E, 0x96: try push(.bytes(try readBytes(&cursor, count: try length(try cursor.le(UInt64.self), cursor)))) // BINBYTES8, BYTEARRAY8
            case 0x53: try push(.string(try PickleText.quotedString(try readLine(&cursor), context: errorPrefix)))  // STRING
            case 0x56: try push(.string(PickleText.rawUnicodeEscape(try readLineBytes(&cursor))))                 // UNICODE

            // Containers.
            case 0x5D: try push(.list(arena.adopt(PickleList())))            // EMPTY_LIST
            case 0x7D: try push(.dict(arena.adopt(PickleDict())))            // EMPTY_DICT
            case 0x29: try push(.tuple(arena.adopt(PickleTuple([]))))        // EMPTY_TUPLE
            case 0x8F: try push(.list(arena.adopt(PickleList())))            // EMPTY_SET (kept as a list)
            case 0x6C: try push(.list(arena.adopt(PickleList(try popMark()))))   // LIST
            case 0x74, 0x91: try push(.tuple(arena.adopt(PickleTuple(try popMark())))) // TUPLE, FROZENSET
            case 0x85, 0x86, 0x87: // TUPLE1..3
                let n = Int(op - 0x84)
                var items: [PickleValue] = []
                for _ in 0..<n { items.append(try pop()) }
                try push(.tuple(arena.adopt(PickleTuple(items.reversed()))))
            case 0x64: // DICT
                let dict = arena.adopt(PickleDict())
                try setItems(try popMark(), into: dict)
                try push(.dict(dict))
            case 0x61: // APPEND
                let value = try pop()
                try appendTarget().items.append(value)
            case 0x65, 0x90: // APPENDS, ADDITEMS
                let items = try popMark()
                try appendTarget().items.append(contentsOf: items)
            case 0x73: // SETITEM
                let value = try pop()
                let key = try pop()
                try setItems([key, value], into: try dictTarget())
            case 0x75: // SETITEMS
                let items = try popMark()
                try setItems(items, into: try dictTarget())

            // Memo.
            case 0x71: try memoize(Int(try cursor.u8()))                     // BINPUT
            case 0x72: try memoize(Int(try cursor.le(UInt32.self)))          // LONG_BINPUT
            case 0x94: try memoize(memo.count)                               // MEMOIZE
            case 0x70: try memoize(try memoIndex(try readLine(&cursor)))     // PUT
            case 0x68: try push(try memoGet(Int(try cursor.u8())))           // BINGET
            case 0x6A: try push(try memoGet(Int(try cursor.le(UInt32.self)))) // LONG_BINGET
            case 0x67: try push(try memoGet(try memoIndex(try readLine(&cursor)))) // GET

            // Names and calls: only allowlisted globals, only inert results.
            case 0x63: // GLOBAL
                let module = try readLine(&cursor)
                let name = try readLine(&cursor)
                try push(.global(try resolve(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw corrupt("STACK_GLOBAL needs two strings, found \(module.typeName) and \(name.typeName)")
                }
                try push(.global(try resolve(module: m, name: n)))
            case 0x52: // REDUCE
                let args = try pop()
                let callable = try pop()
                try push(try callables.call(callable, args: args))
            case 0x81: // NEWOBJ
                let args = try pop()
                let cls = try pop()
                try push(try callables.construct(cls, args: args, kwargs: nil))
            case 0x92: // NEWOBJ_EX
                let kwargs = try pop()
                let args = try pop()
                let cls = try pop()
                try push(try callables.construct(cls, args: args, kwargs: kwargs))
            case 0x62: // BUILD
                let state = try pop()
                try callables.build(try top(), state: state)
            case 0x51: // BINPERSID
                try push(try persistentLoad(try pop()))
            case 0x50: // PERSID
                try push(try persistentLoad(.string(try readLine(&cursor))))
            case 0x69: // INST
                let module = try readLine(&cursor)
                let name = try readLine(&cursor)
                _ = try resolve(module: module, name: name)
                throw corrupt("the INST opcode creates an instance of '\(module).\(name)'; gpustyle only loads plain state dicts")
            case 0x6F: // OBJ
                throw corrupt("the OBJ opcode creates class instances; gpustyle only loads plain state dicts")
            case 0x82, 0x83, 0x84:
                throw corrupt("the pickle uses the extension registry (EXT\(op == 0x82 ? 1 : op == 0x83 ? 2 : 4)), which gpustyle does not allow")
            case 0x97, 0x98:
                throw corrupt("the pickle uses out-of-band buffers, which gpustyle does not allow")
            default:
                throw corrupt("unknown opcode 0x\(String(op, radix: 16))")
            }
        }
    }

    // MARK: - Stack

    private var errorPrefix: String { "\(context): corrupt pickle at offset \(opcodeOffset)" }

    private func corrupt(_ what: String) -> GPUStyleError {
        GPUStyleError(.weights, "\(errorPrefix): \(what)")
    }

    private var callables: PickleCallables { PickleCallables(arena: arena, context: errorPrefix) }

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.maxStack else { throw corrupt("more than \(limits.maxStack) values on the stack") }
        stack.append(value)
    }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw corrupt("stack underflow") }
        return stack.removeLast()
    }

    private func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else { throw corrupt("stack underflow") }
        return value
    }

    /// Pops everything above the last MARK, and the MARK.
    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw corrupt("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func appendTarget() throws -> PickleList {
        let target = try top()
        guard case .list(let list) = target else { throw corrupt("APPEND/APPENDS/ADDITEMS on a \(target.typeName), not a list or set") }
        return list
    }

    private func dictTarget() throws -> PickleDict {
        let target = try top()
        guard case .dict(let dict) = target else { throw corrupt("SETITEM(S) on a \(target.typeName), not a dict") }
        return dict
    }

    private func setItems(_ items: [PickleValue], into dict: PickleDict) throws {
        guard items.count % 2 == 0 else { throw corrupt("an odd number of items (\(items.count)) for a dict") }
        var i = 0
        while i < items.count {
            dict.set(items[i], items[i + 1])
            i += 2
        }
    }

    private mutating func memoize(_ index: Int) throws {
        let value = try top()
        guard memo[index] != nil || memo.count < limits.maxMemo else { throw corrupt("more than \(limits.maxMemo) memo entries") }
        memo[index] = value
    }

    private func memoGet(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw corrupt("memo entry \(index) is read before it is written") }
        return value
    }

    private func memoIndex(_ line: String) throws -> Int {
        guard let index = Int(line), index >= 0 else { throw corrupt("memo index '\(line.prefix(40))' is not a non-negative integer") }
        return index
    }

    private func resolve(module: String, name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal.resolve(module: module, name: name) else {
            throw GPUStyleError(.weights, "\(context): the pickle names the global '\(module).\(name)', which is not allowed; gpustyle only loads plain state dicts")
        }
        return global
    }

    // MARK: - Reading operands

    private func length(_ raw: UInt64, _ cursor: ByteCursor) throws -> Int {
        guard raw <= UInt64(cursor.remaining) else { throw corrupt("a length of \(raw) bytes runs past the end of the file") }
        return Int(raw)
    }

    private func readBytes(_ cursor: inout ByteCursor, count: Int) throws -> [UInt8] {
        guard count <= cursor.remaining else { throw corrupt("a length of \(count) bytes runs past the end of the file") }
        return Array(try cursor.slice(count))
    }

    private func readUTF8(_ cursor: inout ByteCursor, count: Int) throws -> String {
        guard count <= cursor.remaining else { throw corrupt("a string of \(count) bytes runs past the end of the file") }
        return String(decoding: try cursor.slice(count), as: UTF8.self)
    }

    /// Bytes up to the next newline (not included), at most `limits.maxLineBytes`.
    private func readLineBytes(_ cursor: inout ByteCursor) throws -> [UInt8] {
        var line: [UInt8] = []
        while true {
            guard !cursor.isAtEnd else { throw corrupt("a text operand runs past the end of the file") }
            let byte = try cursor.u8()
            if byte == 0x0A { return line }
            guard line.count < limits.maxLineBytes else { throw corrupt("a text operand longer than \(limits.maxLineBytes) bytes") }
            line.append(byte)
        }
    }

    private func readLine(_ cursor: inout ByteCursor) throws -> String {
        var bytes = try readLineBytes(&cursor)
        if bytes.last == 0x0D { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func readLong(_ cursor: inout ByteCursor, count: Int) throws -> PickleValue {
        let bytes = try readBytes(&cursor, count: count)
        return PickleText.integer(littleEndianTwosComplement: bytes)
    }

    private func parseTextInt(_ line: String) throws -> PickleValue {
        if line == "00" { return .bool(false) }
        if line == "01" { return .bool(true) }
        guard let v = Int64(line) else { throw corrupt("INT '\(line.prefix(40))' is not an integer that fits 64 bits") }
        return .int(v)
    }

    private func decodeLegacyString(_ bytes: [UInt8]) -> String {
        PickleText.decodeBytesAsString(bytes)
    }
}
