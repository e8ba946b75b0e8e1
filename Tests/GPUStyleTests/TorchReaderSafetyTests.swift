// TorchReaderSafetyTests.swift — hostile and broken .pth files: forbidden globals, bad extents, NaN, truncation, corruption.
import XCTest
@testable import GPUStyle

final class TorchReaderSafetyTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder("torch-safety")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func read(_ bytes: [UInt8], _ name: String = "model.pth") throws -> WeightFile {
        try TorchReader.read(path: try TorchFixture.write(bytes, to: folder, name))
    }

    private func assertFails(_ bytes: [UInt8], containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try read(bytes), file: file, line: line) { error in
            guard let error = error as? GPUStyleError else { return XCTFail("not a GPUStyleError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, .weights, file: file, line: line)
            XCTAssertTrue(error.message.contains(text), "expected '\(text)' in: \(error.message)", file: file, line: line)
        }
    }

    private func statePickle(_ tensors: [FixtureTensor], _ storages: [String: FixtureStorage], legacy: Bool) -> [UInt8] {
        var w = PickleWriter(); w.proto(2)
        TorchFixture.pushStateDict(&w, tensors, storages: storages, legacy: legacy)
        w.stop()
        return w.bytes
    }

    private func zip(_ tensors: [FixtureTensor], _ storages: [String: FixtureStorage]) -> [UInt8] {
        TorchFixture.zipPth(pickle: statePickle(tensors, storages, legacy: false), storages: storages)
    }

    func testPthWhosePickleCallsAnArbitraryGlobalIsRejectedAndNothingRuns() throws {
        let marker = folder.appendingPathComponent("pwned").path
        let evil = PickleWriter.systemCall(touching: marker)
        assertFails(TorchFixture.zipPth(pickle: evil, storages: [:]), containing: "the pickle names the global 'os.system', which is not allowed")
        let legacy = TorchFixture.legacyPth(statePickle: evil, storages: [:])
        assertFails(legacy, containing: "'os.system'")
        // The same call hidden inside an otherwise valid state dict, as a tensor's value.
        var w = PickleWriter(); w.proto(2)
        w.emptyDict(); w.string("features.0.weight"); w.global("builtins", "exec"); w.tuple { $0.string("import os") }; w.reduce(); w.setItem(); w.stop()
        assertFails(TorchFixture.zipPth(pickle: w.bytes, storages: [:]), containing: "'builtins.exec'")
        let fromBytes = PickleWriter.pickle { w in
            w.global("torch.storage", "_load_from_bytes"); w.tuple { w in w.op(0x43); w.raw([1, 0x2E]) }; w.reduce()
        }
        assertFails(TorchFixture.zipPth(pickle: fromBytes, storages: [:]), containing: "'torch.storage._load_from_bytes'")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testExtentsOutsideTheStorageAreErrors() {
        let storages = ["0": FixtureStorage.float32([1, 2, 3, 4, 5, 6])]
        assertFails(zip([FixtureTensor(name: "w", key: "0", shape: [2, 3], offset: 1)], storages), containing: "reaches element 6 of a storage holding 6")
        assertFails(zip([FixtureTensor(name: "w", key: "0", shape: [2, 2], stride: [Int(Int32.max), 1])], storages), containing: "tensor 'w'")
        assertFails(zip([FixtureTensor(name: "w", key: "0", shape: [1 << 31, 1 << 31, 1 << 31])], storages), containing: "tensor 'w'")
        // The pickle claims more elements than the record holds.
        let short = FixtureStorage(storageClass: "FloatStorage", numel: 8, bytes: littleEndianBytes([Float(1).bitPattern]))
        assertFails(zip([FixtureTensor(name: "w", key: "0", shape: [1])], ["0": short]), containing: "does not fit the 4 bytes stored")
        // A storage record missing from the archive.
        let pickle = statePickle([FixtureTensor(name: "w", key: "7", shape: [1])], ["7": .float32([1])], legacy: false)
        assertFails(TorchFixture.zipPth(pickle: pickle, storages: [:]), containing: "no record 'archive/data/7'")
    }

    func testNonFiniteValuesAreErrors() {
        for (storage, path) in [(FixtureStorage.float32([1, .nan]), "contiguous"), (.float16([1, .infinity]), "half"),
                                (.float64([1, 1e300]), "beyond range")] {
            let tensors = [FixtureTensor(name: "features.0.bias", key: "0", shape: [2])]
            assertFails(zip(tensors, ["0": storage]), containing: "features.0.bias")
            XCTAssertThrowsError(try read(zip(tensors, ["0": storage])), path)
        }
    }

    func testContainerErrors() {
        let (tensors, storages) = TorchFixture.simple([("w", [2], [1, 2])])
        let pickle = statePickle(tensors, storages, legacy: false)
        assertFails(TorchFixture.zipPth(pickle: pickle, storages: storages, deflatedKey: "0"), containing: "deflate-compressed")
        var badCRC = ZipWriter()
        badCRC.add("archive/data.pkl", pickle, crc: 0x1234_5678)
        assertFails(badCRC.finish(), containing: "CRC-32 mismatch")
        assertFails(TorchFixture.zipPth(pickle: pickle, storages: storages, byteorder: "middle"), containing: "byteorder")
        var twoPickles = ZipWriter()
        twoPickles.add("a/data.pkl", pickle); twoPickles.add("b/data.pkl", pickle)
        assertFails(twoPickles.finish(), containing: "2 'data.pkl' records")
        var script = ZipWriter()
        script.add("m/data.pkl", pickle); script.add("m/constants.pkl", pickle)
        assertFails(script.finish(), containing: "TorchScript")
        assertFails([], containing: "not a PyTorch file")
        assertFails(Array("PK\u{3}\u{4} and nothing else".utf8), containing: "end-of-central-directory")
        var tar = [UInt8](repeating: 0, count: 600); tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        assertFails(tar, containing: "tar-format")
        // Legacy: wrong magic, wrong version, element count that disagrees with the pickle.
        assertFails(PickleWriter.pickle { $0.int(5) }, containing: "magic number")
        var wrongVersion = PickleWriter.pickle { $0.raw([0x8A, 10] + TorchReader.legacyMagic) }
        wrongVersion += PickleWriter.pickle { $0.int(1000) }
        assertFails(wrongVersion, containing: "protocol version 1000")
        var legacy = TorchFixture.legacyPth(statePickle: statePickle(tensors, storages, legacy: true), storages: storages)
        let countAt = legacy.count - 8 - 8
        legacy[countAt] = 3
        assertFails(legacy, containing: "holds 3 elements")
    }

    /// Every proper prefix of a ZIP or legacy .pth is an error (the ZIP loses its directory; the legacy
    /// stream loses data), and seeded random corruption never crashes.
    func testTruncationAndCorruption() throws {
        let (tensors, storages) = TorchFixture.simple(TorchReaderTests.torchvisionTensors)
        let files = [zip(tensors, storages),
                     TorchFixture.legacyPth(statePickle: statePickle(tensors, storages, legacy: true), storages: storages)]
        for bytes in files {
            XCTAssertEqual(try read(bytes).tensors.count, 4)
            var cut = 0
            while cut < bytes.count {
                XCTAssertThrowsError(try read(Array(bytes[0..<cut])), "cut at \(cut) of \(bytes.count)")
                cut += cut < 1200 ? 1 : 7
            }
            var rng = SplitMix64(seed: 11)
            for _ in 0..<600 {
                var mutated = bytes
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    // Bias mutations towards the pickle and the ZIP structures, where they matter.
                    let span = rng.next() % 2 == 0 ? min(mutated.count, 1500) : mutated.count
                    let at = rng.next() % 3 == 0 ? mutated.count - 1 - Int(rng.next() % UInt64(min(span, 400))) : Int(rng.next() % UInt64(span))
                    mutated[at] = UInt8(truncatingIfNeeded: rng.next())
                }
                do { _ = try read(mutated) } catch let error as GPUStyleError { XCTAssertEqual(error.kind, .weights) }
            }
        }
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var crc: UInt32 = 0xFFFF_FFFF   // bytewise reference
        for b in long { crc ^= UInt32(b); for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 } }
        XCTAssertEqual(long.withUnsafeBytes { CRC32.checksum($0) }, ~crc)
    }
}
