// PickleMachineTests.swift — the restricted pickle interpreter: values, protocols 0–5, rejected globals, limits, corruption.
import XCTest
@testable import GPUStyle

final class PickleMachineTests: XCTestCase {
    /// Runs `bytes` and hands the result to `check` while the machine (and its arena) is alive.
    private func run(_ bytes: [UInt8], limits: PickleLimits = PickleLimits(), requireEnd: Bool = true,
                     persistentLoad: PickleMachine.PersistentLoad = { .string("pid:\($0.typeName)") },
                     _ check: (PickleValue) throws -> Void) throws {
        var machine = PickleMachine(context: "test.pkl", limits: limits)
        try bytes.withUnsafeBytes { raw in
            var cursor = ByteCursor(raw, context: "test.pkl")
            let value = try machine.run(&cursor, persistentLoad: persistentLoad)
            if requireEnd { XCTAssertEqual(cursor.offset, bytes.count, "the cursor ends just past STOP") }
            try check(value)
        }
    }

    private func assertRejected(_ bytes: [UInt8], containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try run(bytes) { _ in }, file: file, line: line) { error in
            guard let error = error as? GPUStyleError else { return XCTFail("not a GPUStyleError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, .weights, file: file, line: line)
            XCTAssertTrue(error.message.contains(text), "expected '\(text)' in: \(error.message)", file: file, line: line)
        }
    }

    func testProtocol2Values() throws {
        let bytes = PickleWriter.pickle { w in
            w.emptyDict(); w.put(0); w.mark()
            w.string("ints"); w.tuple { w in w.int(7); w.int(300); w.int(-5); w.int(70000); w.int(-(1 << 40)) }
            w.string("float"); w.float(2.5)
            w.string("flags"); w.emptyList(); w.put(1); w.mark(); w.bool(true); w.bool(false); w.none(); w.appends()
            w.string("again"); w.get(1)
            w.setItems()
        }
        try run(bytes) { value in
            guard case .dict(let d) = value else { return XCTFail("not a dict") }
            XCTAssertEqual(d.keys.compactMap(\.stringValue), ["ints", "float", "flags", "again"])
            XCTAssertEqual(d.value(forKey: "ints")?.sequenceItems?.compactMap(\.intValue), [7, 300, -5, 70000, -(1 << 40)])
            guard case .float(let f) = d.value(forKey: "float") else { return XCTFail("float") }
            XCTAssertEqual(f, 2.5)
            guard case .list(let a) = d.value(forKey: "flags"), case .list(let b) = d.value(forKey: "again") else { return XCTFail("lists") }
            XCTAssertTrue(a === b, "BINGET returns the memoized object itself")
            XCTAssertEqual(a.items.count, 3)
        }
    }

    func testProtocol4And5Opcodes() throws {
        var w = PickleWriter()
        w.proto(5)
        w.op(0x95); w.le(UInt64(40))                           // FRAME
        w.stackGlobal("collections", "OrderedDict"); w.op(0x94) // MEMOIZE
        w.emptyTuple(); w.reduce(); w.op(0x94)
        w.shortString("set"); w.op(0x8F); w.mark(); w.int(1); w.int(2); w.op(0x90) // EMPTY_SET, ADDITEMS
        w.setItem()
        w.shortString("frozen"); w.mark(); w.int(3); w.op(0x91) // FROZENSET
        w.setItem()
        w.shortString("bytes"); w.op(0x8E); w.le(UInt64(3)); w.raw([1, 2, 3]) // BINBYTES8
        w.setItem()
        w.shortString("big"); w.raw([0x8A, 10] + TorchReader.legacyMagic)
        w.setItem()
        w.shortString("neg"); w.raw([0x8A, 2, 0x00, 0xFF])     // LONG1 -256
        w.setItem()
        w.stop()
        try run(w.bytes) { value in
            guard case .dict(let d) = value else { return XCTFail("not a dict") }
            XCTAssertEqual(d.value(forKey: "set")?.sequenceItems?.compactMap(\.intValue), [1, 2])
            XCTAssertEqual(d.value(forKey: "frozen")?.sequenceItems?.compactMap(\.intValue), [3])
            guard case .bytes(let b) = d.value(forKey: "bytes"), case .bigInt(let big) = d.value(forKey: "big") else { return XCTFail("bytes/big") }
            XCTAssertEqual(b, [1, 2, 3])
            XCTAssertEqual(big, TorchReader.legacyMagic)
            XCTAssertEqual(d.value(forKey: "neg")?.intValue, -256)
        }
    }

    func testProtocol0TextOpcodes() throws {
        let text = "((dp0\nS'a\\'b'\np1\nI42\nsVcaf\\u00e9\np2\nF-1.5\nsS\"n\"\nL12345678901L\nsS'same'\ng1\ns(lp3\nI01\naI00\nat."
        try run(Array(text.utf8)) { value in
            guard case .tuple(let t) = value, t.items.count == 2, case .dict(let d) = t.items[0], case .list(let l) = t.items[1] else {
                return XCTFail("expected (dict, list), got \(value.typeName)")
            }
            XCTAssertEqual(d.value(forKey: "a'b")?.intValue, 42)
            guard case .float(let f) = d.value(forKey: "café") else { return XCTFail("unicode key") }
            XCTAssertEqual(f, -1.5)
            XCTAssertEqual(d.value(forKey: "n")?.intValue, 12_345_678_901)
            XCTAssertEqual(d.value(forKey: "same")?.stringValue, "a'b")
            XCTAssertEqual(l.items.compactMap(\.intValue), [1, 0])
        }
    }

    func testLongIntegers() {
        func decode(_ bytes: [UInt8]) -> PickleValue { PickleText.integer(littleEndianTwosComplement: bytes) }
        XCTAssertEqual(decode([]).intValue, 0)
        XCTAssertEqual(decode([0xFF]).intValue, -1)
        XCTAssertEqual(decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]).intValue, Int64.max)
        XCTAssertEqual(decode([0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0xFF]).intValue, Int64.min)
        guard case .bigInt = decode([0, 0, 0, 0, 0, 0, 0, 0x80, 0x00]) else { return XCTFail("2^63 needs more than Int64") }
    }

    func testDisallowedGlobalsAreRejectedAndNothingRuns() throws {
        let folder = try makeTemporaryFolder("pickle")
        defer { try? FileManager.default.removeItem(at: folder) }
        let marker = folder.appendingPathComponent("pwned").path
        assertRejected(PickleWriter.systemCall(touching: marker),
                       containing: "the pickle names the global 'os.system', which is not allowed; gpustyle only loads plain state dicts")
        assertRejected(PickleWriter.systemCall(module: "posix", touching: marker), containing: "'posix.system'")
        assertRejected(PickleWriter.systemCall(module: "subprocess", name: "Popen", touching: marker), containing: "'subprocess.Popen'")
        assertRejected(PickleWriter.pickle(protocol: 4) { w in
            w.stackGlobal("builtins", "eval"); w.tuple { $0.string("__import__('os').system('touch \(marker)')") }; w.reduce()
        }, containing: "'builtins.eval'")
        assertRejected(PickleWriter.pickle { w in
            w.global("torch.storage", "_load_from_bytes"); w.tuple { w in w.op(0x43); w.raw([2, 0x80, 0x02]) }; w.reduce()
        }, containing: "'torch.storage._load_from_bytes'")
        assertRejected(PickleWriter.pickle { w in w.global("builtins", "getattr") }, containing: "'builtins.getattr'")
        assertRejected(PickleWriter.pickle { w in w.global("__builtin__", "eval") }, containing: "'__builtin__.eval'")
        assertRejected(Array("(S'touch \(marker)'\nios\nsystem\n.".utf8), containing: "'os.system'")   // INST
        assertRejected(PickleWriter.pickle { w in w.mark(); w.global("collections", "OrderedDict"); w.op(0x6F) }, containing: "OBJ")
        assertRejected(PickleWriter.pickle { w in w.raw([0x82, 1]) }, containing: "extension registry")
        assertRejected(PickleWriter.pickle(protocol: 5) { w in w.op(0x97) }, containing: "out-of-band")
        assertRejected(PickleWriter.pickle { w in w.string("os.system"); w.tuple { $0.string("x") }; w.reduce() }, containing: "REDUCE calls a str")
        assertRejected(PickleWriter.pickle { w in w.global("torch._utils", "_rebuild_tensor_v2"); w.emptyTuple(); w.op(0x81) }, containing: "cannot be instantiated")
        assertRejected(PickleWriter.pickle { w in w.emptyList(); w.emptyDict(); w.build() }, containing: "BUILD sets the state of a list")
        assertRejected(PickleWriter.pickle { w in w.global("torch", "FloatStorage"); w.emptyTuple(); w.reduce() }, containing: "cannot be called")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "nothing may run")
    }

    func testStructuralErrors() {
        assertRejected([0x80, 0x02, 0x30, 0x2E], containing: "no MARK")                     // POP on empty
        assertRejected([0x80, 0x02, 0x2E], containing: "stack underflow")                   // STOP on empty
        assertRejected([0x80, 0x02, 0x68, 0x05, 0x2E], containing: "memo entry 5")          // BINGET unset
        assertRejected([0x80, 0x02, 0x4E], containing: "without a STOP")                    // truncated
        assertRejected([0x80, 0x06, 0x4E, 0x2E], containing: "protocol 6")
        assertRejected([0x80, 0x02, 0xFF], containing: "unknown opcode 0xff")
        assertRejected([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x41], containing: "runs past the end")
        assertRejected([0x80, 0x04, 0x8D] + littleEndianBytes([UInt64.max]), containing: "runs past the end")
        assertRejected([0x80, 0x04, 0x95] + littleEndianBytes([UInt64(1 << 40)]), containing: "frame")
        assertRejected([0x80, 0x02, 0x4E, 0x28, 0x4E, 0x61, 0x2E], containing: "stack underflow") // APPEND across MARK
        assertRejected([0x80, 0x02, 0x4E, 0x4E, 0x61, 0x2E], containing: "APPEND")           // APPEND to None
        assertRejected([0x80, 0x02, 0x7D, 0x28, 0x4E, 0x75, 0x2E], containing: "odd number")  // SETITEMS with 1 item
    }

    func testLimitsAreEnforced() {
        var limits = PickleLimits()
        limits.maxStack = 100
        let deepStack = PickleWriter.pickle { w in for _ in 0..<101 { w.none() } }
        XCTAssertThrowsError(try run(deepStack, limits: limits) { _ in })
        limits = PickleLimits(); limits.maxMarks = 10
        XCTAssertThrowsError(try run(PickleWriter.pickle { w in for _ in 0..<11 { w.mark() } }, limits: limits) { _ in })
        limits = PickleLimits(); limits.maxMemo = 10
        XCTAssertThrowsError(try run(PickleWriter.pickle { w in w.none(); for i in 0..<11 { w.put(i) } }, limits: limits) { _ in })
        limits = PickleLimits(); limits.maxLineBytes = 8
        XCTAssertThrowsError(try run(Array("I1234567890\n.".utf8), limits: limits) { _ in })
    }

    /// A 10⁶-deep tuple and a 2·10⁵-long chain of nested lists (built through the memo) are interpreted
    /// and released without recursion; a self-containing list does not hang.
    func testDeepNestingAndCyclesDoNotOverflowTheStack() throws {
        var w = PickleWriter()
        w.proto(2); w.none()
        for _ in 0..<1_000_000 { w.tupleN(1) }
        w.stop()
        try run(w.bytes) { value in XCTAssertEqual(value.typeName, "tuple") }

        var chain = PickleWriter()
        chain.proto(2); chain.emptyList(); chain.put(0)
        for i in 1...200_000 { chain.emptyList(); chain.put(i); chain.append(); chain.pop(); chain.get(i) }
        chain.pop(); chain.get(0); chain.stop()
        try run(chain.bytes) { value in XCTAssertEqual(value.typeName, "list") }

        let cycle = PickleWriter.pickle { w in w.emptyList(); w.put(0); w.get(0); w.append() }
        try run(cycle) { value in
            guard case .list(let l) = value, case .list(let inner) = l.items.first else { return XCTFail("cycle") }
            XCTAssertTrue(l === inner)
        }
    }

    func testTruncationAndCorruptionNeverCrash() throws {
        let (tensors, storages) = TorchFixture.simple([("a.weight", [2, 3], [1, 2, 3, 4, 5, 6]), ("a.bias", [2], [7, 8])])
        var w = PickleWriter(); w.proto(2)
        TorchFixture.pushStateDict(&w, tensors, storages: storages, legacy: false)
        w.stop()
        let bytes = w.bytes
        let load: PickleMachine.PersistentLoad = { pid in .storage(try TorchReader.storageReference(pid, legacy: false, context: "t").storage) }
        try run(bytes, persistentLoad: load) { _ in }
        for cut in 0..<bytes.count {
            XCTAssertThrowsError(try run(Array(bytes[0..<cut]), persistentLoad: load) { _ in }, "cut at \(cut)")
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<5000 {
            var mutated = bytes
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                mutated[Int(rng.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            do { try run(mutated, requireEnd: false, persistentLoad: load) { _ in } } catch let error as GPUStyleError { XCTAssertEqual(error.kind, .weights) }
        }
    }
}
