// CaffeModelReaderTests.swift — .caffemodel reading: V1 and V2 layers, blob encodings, malformed and truncated files.
import XCTest
@testable import GPUStyle

final class CaffeModelReaderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder("caffe")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func read(_ bytes: [UInt8], _ name: String = "net.caffemodel") throws -> WeightFile {
        try CaffeModelReader.read(path: try TorchFixture.write(bytes, to: folder, name))
    }

    /// Reads from memory (no file), for the many-cut-point loops.
    private func readBytes(_ bytes: [UInt8]) throws -> WeightFile {
        try bytes.withUnsafeBytes { try CaffeModelReader.read(bytes: $0, path: "mem.caffemodel") }
    }

    private func assertMatches(_ file: WeightFile, _ net: CaffeFixture.Network, file sourceFile: StaticString = #filePath, line: UInt = #line) {
        let expected = net.convs.flatMap { c in
            [("\(c.name).weight", c.shape, c.weights), ("\(c.name).bias", [c.shape[0]], c.bias)]
        }
        XCTAssertEqual(file.tensors.map(\.name), expected.map(\.0), file: sourceFile, line: line)
        for (tensor, (name, shape, values)) in zip(file.tensors, expected) {
            XCTAssertEqual(tensor.shape, shape, name, file: sourceFile, line: line)
            XCTAssertEqual(tensor.values, values, "\(name): values must be bit-exact", file: sourceFile, line: line)
        }
        XCTAssertEqual(file.kernelLayout, .oihw, file: sourceFile, line: line)
        XCTAssertEqual(file.metadata["skipped"], "fc6 (InnerProduct)", file: sourceFile, line: line)
    }

    func testV2LayersWithPackedData() throws {
        let net = CaffeFixture.Network.seeded(1)
        let file = try read(net.v2())
        XCTAssertEqual(file.format, "caffemodel-v2")
        assertMatches(file, net)
    }

    func testV1LayersWithLegacyShapesAndUnpackedData() throws {
        let net = CaffeFixture.Network.seeded(2)
        let file = try read(net.v1(style: BlobStyle(packed: false, legacyShape: true)))
        XCTAssertEqual(file.format, "caffemodel-v1")
        assertMatches(file, net)
    }

    func testDoubleDataChunksAndUnknownFieldsGiveTheSameTensors() throws {
        let net = CaffeFixture.Network.seeded(3)
        let styles = [
            BlobStyle(packed: true, double: true),
            BlobStyle(packed: false, double: true),
            BlobStyle(packed: true, chunks: 3),
            BlobStyle(packed: true, legacyShape: true, chunks: 2, unknownFields: true),
            BlobStyle(packed: false, unknownFields: true),
        ]
        for style in styles {
            assertMatches(try readBytes(net.v2(style: style, unknownFields: true)), net)
            assertMatches(try readBytes(net.v1(style: style, unknownFields: true)), net)
        }
    }

    func testV0LayerInsideV1Layer() throws {
        var v0 = ProtoWriter()
        v0.stringField(1, "conv1")
        v0.stringField(2, "conv")
        v0.bytesField(50, CaffeFixture.blob(shape: [1, 1, 1, 2], values: [1, 2]))
        v0.bytesField(50, CaffeFixture.blob(shape: [1], values: [3]))
        var v1 = ProtoWriter()
        v1.bytesField(1, v0.bytes)
        let file = try readBytes(CaffeFixture.net(v1: [v1.bytes]))
        XCTAssertEqual(file.tensors.map(\.name), ["conv1.weight", "conv1.bias"])
        XCTAssertEqual(file.tensors.map(\.values), [[1, 2], [3]])
    }

    func testBadBlobsAreErrorsNamingTheBlob() {
        let cases: [(String, [UInt8])] = [
            ("non-finite", CaffeFixture.blob(shape: [2], values: [1, .nan])),
            ("holds 3 values but the data has 2", CaffeFixture.blob(shape: [3], values: [1, 2])),
            ("negative or huge", { var w = ProtoWriter(); var s = ProtoWriter(); s.varintField(1, -2); w.bytesField(7, s.bytes); return w.bytes }()),
            ("both float and double", CaffeFixture.blob(shape: [1], values: [1]) + CaffeFixture.blob(shape: [], values: [1], style: BlobStyle(double: true))),
            ("not a multiple of 4", { var w = ProtoWriter(); w.bytesField(5, [0, 0, 0]); return w.bytes }()),
        ]
        for (expected, blob) in cases {
            let bytes = CaffeFixture.net(v2: [CaffeFixture.v2Layer("conv1_1", "Convolution", blobs: [blob])])
            XCTAssertThrowsError(try readBytes(bytes), expected) { error in
                let message = (error as? GPUStyleError)?.message ?? "\(error)"
                XCTAssertTrue(message.contains("conv1_1.weight") && message.contains(expected), message)
            }
        }
    }

    func testMalformedProtobufIsAnError() {
        var overlong = ProtoWriter(); overlong.tag(1, 0); overlong.bytes += [UInt8](repeating: 0xFF, count: 11)
        var pastEnd = ProtoWriter(); pastEnd.tag(100, 2); pastEnd.varint(1 << 40)
        var badWire = ProtoWriter(); badWire.tag(3, 7)
        var fieldZero = ProtoWriter(); fieldZero.varint(0 << 3 | 0); fieldZero.varint(1)
        var strayEndGroup = ProtoWriter(); strayEndGroup.tag(5, 4)
        var deepGroups = ProtoWriter()
        for i in 1...100 { deepGroups.tag(i, 3) }
        for i in (1...100).reversed() { deepGroups.tag(i, 4) }
        var wrongLayerWire = ProtoWriter(); wrongLayerWire.varintField(100, 5)
        let mixed = CaffeFixture.net(v1: [CaffeFixture.v1Layer("a", 18, blobs: [])], v2: [CaffeFixture.v2Layer("b", "ReLU", blobs: [])])
        let cases: [(String, [UInt8])] = [
            ("longer than", overlong.bytes), ("claims", pastEnd.bytes), ("wire type", badWire.bytes),
            ("field number 0", fieldZero.bytes), ("wire type 4", strayEndGroup.bytes),
            ("nested deeper", deepGroups.bytes), ("not length-delimited", wrongLayerWire.bytes),
            ("mixes", mixed), ("no layers", []), ("malformed protobuf", Array("name: \"VGG\"\n".utf8)),
        ]
        for (expected, bytes) in cases {
            XCTAssertThrowsError(try readBytes(bytes), expected) { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .weights)
                let message = (error as? GPUStyleError)?.message ?? ""
                XCTAssertTrue(message.contains(expected), "expected '\(expected)' in: \(message)")
            }
        }
    }

    /// Every prefix of a file either fails cleanly or (cut between layers) yields a prefix of the tensors.
    func testEveryTruncationFailsOrYieldsAPrefix() throws {
        let net = CaffeFixture.Network.seeded(4)
        for bytes in [net.v1(), net.v2(style: BlobStyle(packed: false))] {
            let full = try readBytes(bytes)
            var failures = 0
            for cut in 0..<bytes.count {
                do {
                    let partial = try readBytes(Array(bytes[0..<cut]))
                    XCTAssertLessThanOrEqual(partial.tensors.count, full.tensors.count)
                    for (a, b) in zip(partial.tensors, full.tensors) {
                        XCTAssertEqual(a.name, b.name); XCTAssertEqual(a.values, b.values)
                    }
                } catch let error as GPUStyleError {
                    XCTAssertEqual(error.kind, .weights)
                    failures += 1
                }
            }
            XCTAssertGreaterThan(failures, bytes.count * 9 / 10, "nearly every cut lands inside a layer and must fail")
        }
    }

    /// Seeded random corruption never crashes: each mutated file is read or rejected with a weights error.
    func testRandomCorruptionNeverCrashes() throws {
        let bytes = CaffeFixture.Network.seeded(5).v1()
        var rng = SplitMix64(seed: 99)
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                mutated[Int(rng.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            do { _ = try readBytes(mutated) } catch let error as GPUStyleError { XCTAssertEqual(error.kind, .weights) }
        }
    }

    func testDuplicateConvolutionNamesAreAnError() {
        let layer = CaffeFixture.v2Layer("conv1_1", "Convolution", blobs: [CaffeFixture.blob(shape: [1], values: [1])])
        XCTAssertThrowsError(try readBytes(CaffeFixture.net(v2: [layer, layer])))
    }

    func testMissingFileIsAnError() {
        XCTAssertThrowsError(try CaffeModelReader.read(path: folder.appendingPathComponent("absent.caffemodel").path)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .weights)
        }
    }
}
