// SafetensorsMalformedTests.swift — every malformed safetensors case is a .weights error naming the file and tensor, never a crash.
import XCTest
@testable import GPUStyle

final class SafetensorsMalformedTests: XCTestCase {
    /// Asserts that reading `bytes` fails with a `.weights` error whose message contains every fragment.
    func assertRejected(_ bytes: [UInt8], _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try readSafetensors(bytes, path: "bad.safetensors"), file: file, line: line) { error in
            guard let error = error as? GPUStyleError else { return XCTFail("not a GPUStyleError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, .weights, file: file, line: line)
            for fragment in ["bad.safetensors"] + fragments {
                XCTAssertTrue(error.message.contains(fragment), "'\(fragment)' missing from: \(error.message)", file: file, line: line)
            }
        }
    }

    func tensorEntry(_ name: String, _ dtype: String, shape: String = "[1]", _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    func tensorEntry(_ name: String, shape: String = "[1]", _ begin: Int, _ end: Int) -> String {
        tensorEntry(name, "F32", shape: shape, begin, end)
    }

    let four = [UInt8](repeating: 0, count: 4)

    func testShortFileAndHeaderLength() {
        assertRejected([1, 2, 3], "shorter than the 8-byte header length")
        assertRejected([100, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8), "header length 100 runs past the end")
        assertRejected([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B, 0x7D], "runs past the end")
        assertRejected(rawSafetensors("[]"), "does not start with '{'")
    }

    func testBadJSON() {
        assertRejected(rawSafetensors("{\"a\":"), "invalid JSON header")
        assertRejected(rawSafetensors("{\"a\":{}} trailing"), "unexpected text after")
        assertRejected(rawSafetensors("{\"a\":{\"dtype\":\"F32\",}}"), "invalid JSON header")
        assertRejected(rawSafetensors("{\"a\":\"\u{1}\"}"), "control character")
        assertRejected(rawSafetensors("{\"m\":" + String(repeating: "[", count: 100_000) + "}"), "nesting deeper than")
        assertRejected(rawSafetensors("{\"x\":\"\\ud800\"}"), "invalid JSON header")
    }

    func testDuplicateNames() {
        assertRejected(rawSafetensors("{\(tensorEntry("w", 0, 4)),\(tensorEntry("w", 4, 8))}", data: four + four), "duplicate key 'w'")
    }

    func testUnknownDtypeAndUnsupportedFloat() {
        assertRejected(rawSafetensors("{\(tensorEntry("w", "F33", 0, 4))}", data: four), "'w'", "unknown dtype 'F33'")
        assertRejected(rawSafetensors("{\(tensorEntry("w", "F8_E4M3", shape: "[4]", 0, 4))}", data: four), "'w'", "F8_E4M3")
    }

    func testMalformedEntries() {
        assertRejected(rawSafetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", data: four), "'w'", "missing \"data_offsets\"")
        assertRejected(rawSafetensors("{\(tensorEntry("w", shape: "[-1]", 0, 4))}", data: four), "'w'", "not a non-negative integer")
        assertRejected(rawSafetensors("{\(tensorEntry("w", shape: "[1.5]", 0, 4))}", data: four), "'w'", "not a non-negative integer")
        assertRejected(rawSafetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", data: four), "'w'", "two integers")
        assertRejected(rawSafetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999999]}}", data: four),
                       "'w'", "within range")
        assertRejected(rawSafetensors("{\"w\":[]}"), "'w'", "expected an object")
        assertRejected(rawSafetensors("{\"__metadata__\":{\"k\":1}}"), "__metadata__", "'k'")
        assertRejected(rawSafetensors("{\"__metadata__\":[]}"), "__metadata__")
    }

    func testElementCountOverflow() {
        let shape = "[4294967296,4294967296,4]"
        assertRejected(rawSafetensors("{\(tensorEntry("w", shape: shape, 0, 4))}", data: four), "'w'", "more elements than can be counted")
        let big = "[3037000499,3037000499]"  // product fits in Int, ×4 bytes does not
        assertRejected(rawSafetensors("{\(tensorEntry("w", shape: big, 0, 4))}", data: four), "'w'", "needs more than Int.max")
    }

    func testOffsets() {
        assertRejected(rawSafetensors("{\(tensorEntry("w", 0, 8))}", data: four), "'w'", "outside the 4-byte data section")
        assertRejected(rawSafetensors("{\(tensorEntry("w", 4, 0))}", data: four), "'w'", "run backwards")
        assertRejected(rawSafetensors("{\(tensorEntry("a", shape: "[2]", 0, 8)),\(tensorEntry("b", 4, 8))}", data: four + four), "'b'", "overlaps")
        assertRejected(rawSafetensors("{\(tensorEntry("a", 0, 4)),\(tensorEntry("b", 8, 12))}", data: four + four + four), "'b'", "gap")
        assertRejected(rawSafetensors("{\(tensorEntry("a", 4, 8))}", data: four + four), "'a'", "gap")
        assertRejected(rawSafetensors("{\(tensorEntry("a", 0, 4))}", data: four + four), "trailing bytes")
        assertRejected(rawSafetensors("{\(tensorEntry("a", shape: "[2]", 0, 4))}", data: four), "'a'", "needs 8")
        assertRejected(rawSafetensors("{\(tensorEntry("a", "F16", shape: "[3]", 0, 4))}", data: four), "'a'", "F16")
    }

    func testNonFiniteValues() {
        func f32(_ v: Float) -> [UInt8] { withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        assertRejected(rawSafetensors("{\(tensorEntry("w", shape: "[2]", 0, 8))}", data: f32(1) + f32(.nan)), "'w'", "non-finite", "element 1")
        assertRejected(rawSafetensors("{\(tensorEntry("w", 0, 4))}", data: f32(-.infinity)), "'w'", "non-finite")
        assertRejected(rawSafetensors("{\(tensorEntry("h", "F16", 0, 2))}", data: [0x00, 0x7C]), "'h'", "non-finite")
        assertRejected(rawSafetensors("{\(tensorEntry("b", "BF16", 0, 2))}", data: [0xC0, 0x7F]), "'b'", "non-finite")
        let huge = withUnsafeBytes(of: (1e300 as Double).bitPattern.littleEndian, Array.init)
        assertRejected(rawSafetensors("{\(tensorEntry("d", "F64", 0, 8))}", data: huge), "'d'", "outside the Float32 range")
    }

    /// Seeded truncations and byte flips of a valid file: errors are fine, crashes are not.
    func testRandomDamageNeverCrashes() throws {
        let original = try SafetensorsWriter.encode([
            NamedTensor(name: "conv1_1.weight", shape: [2, 3, 3, 3], values: randomValues(54, seed: 3)),
            NamedTensor(name: "conv1_1.bias", shape: [2], values: [1, 2]),
        ], metadata: ["architecture": "vgg16"])
        for length in 0..<original.count {
            XCTAssertThrowsError(try readSafetensors(Array(original[0..<length])), "prefix of \(length) bytes accepted")
        }
        var rng = SplitMix64(seed: 9)
        for _ in 0..<3000 {
            var bytes = original
            bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            _ = try? readSafetensors(bytes)
        }
    }
}
