// SafetensorsTests.swift — safetensors round trip, float16/bfloat16/float64 conversion, and format sniffing.
import XCTest
@testable import GPUStyle

/// Builds a safetensors image from a raw JSON header and data bytes (no validation: for malformed cases).
func rawSafetensors(_ header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    return (0..<8).map { UInt8((UInt64(json.count) >> (8 * UInt64($0))) & 0xFF) } + json + data
}

func readSafetensors(_ bytes: [UInt8], path: String = "test.safetensors") throws -> WeightFile {
    try bytes.withUnsafeBytes { try SafetensorsReader.read(bytes: $0, path: path) }
}

func temporaryFolder(_ name: String = #function) throws -> String {
    let path = FileManager.default.temporaryDirectory.path + "/gpustyle-tests-\(getpid())-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

final class SafetensorsTests: XCTestCase {
    func testRoundTripKeepsNamesShapesValuesAndMetadata() throws {
        let tensors = [
            NamedTensor(name: "conv1_1.weight", shape: [4, 3, 3, 3], values: randomValues(108, seed: 7)),
            NamedTensor(name: "conv1_1.bias", shape: [4], values: [-1, 0, 1e-30, 3.25e30]),
            NamedTensor(name: "empty", shape: [0, 5], values: []),
            NamedTensor(name: "scalar \"quoted\" ü", shape: [], values: [42]),
        ]
        let metadata = ["architecture": "vgg16", "defaults": "{\"a\":[1,2]}", "note": "line\nbreak"]
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/m.safetensors"
        try SafetensorsWriter.write(tensors, metadata: metadata, to: path)
        XCTAssertEqual(try Array(Data(contentsOf: URL(fileURLWithPath: path))), try SafetensorsWriter.encode(tensors, metadata: metadata),
                       "streamed and in-memory encodings differ")
        let file = try SafetensorsReader.read(path: path)
        XCTAssertEqual(file.format, "safetensors")
        XCTAssertEqual(file.kernelLayout, .oihw)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file.tensors.map(\.name), tensors.map(\.name))
        XCTAssertEqual(file.tensors.map(\.shape), tensors.map(\.shape))
        for (read, written) in zip(file.tensors, tensors) {
            XCTAssertEqual(read.values.map(\.bitPattern), written.values.map(\.bitPattern), read.name)
        }
        // The header is padded so the data starts 8-byte aligned.
        XCTAssertEqual(try SafetensorsReader.readHeader(path: path).dataStart % 8, 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(leftovers, ["m.safetensors"], "the temporary file was not renamed away")
    }

    func testConvertsHalfBFloatAndDoubleAndSkipsIntegers() throws {
        // F16 1.5 = 0x3E00, -2 = 0xC000; BF16 1.0 = 0x3F80, -0.5 = 0xBF00; F64 0.1; I64 7.
        let data: [UInt8] = [0x00, 0x3E, 0x00, 0xC0] + [0x80, 0x3F, 0x00, 0xBF]
            + withUnsafeBytes(of: (0.1 as Double).bitPattern.littleEndian, Array.init)
            + withUnsafeBytes(of: Int64(7).littleEndian, Array.init)
        let header = """
        {"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},\
        "d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"n":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}}
        """
        let file = try readSafetensors(rawSafetensors(header, data: data))
        XCTAssertEqual(file.tensors.map(\.name), ["h", "b", "d"])
        XCTAssertEqual(file.tensors[0].values, [1.5, -2])
        XCTAssertEqual(file.tensors[1].values, [1, -0.5])
        XCTAssertEqual(file.tensors[2].values, [Float(0.1)])
    }

    func testTensorsComeInDataOrder() throws {
        let data = [UInt8](repeating: 0, count: 8)
        let header = #"{"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        XCTAssertEqual(try readSafetensors(rawSafetensors(header, data: data)).tensors.map(\.name), ["z", "a"])
        let swapped = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        XCTAssertEqual(try readSafetensors(rawSafetensors(swapped, data: data)).tensors.map(\.name), ["z", "a"])
    }

    func testSniffsEveryFormatByContent() throws {
        func sniff(_ bytes: [UInt8]) -> WeightFormat? { bytes.withUnsafeBytes { WeightReaders.sniff($0) } }
        XCTAssertEqual(sniff(try SafetensorsWriter.encode([NamedTensor(name: "a", shape: [1], values: [1])])), .safetensors)
        XCTAssertEqual(sniff(TinyHDF5Writer.encode([("a", .dataset(shape: [1], values: [1]))])), .hdf5)
        XCTAssertEqual(sniff([UInt8](repeating: 0, count: 512) + TinyHDF5Writer.encode([])), .hdf5, "HDF5 after a 512-byte user block")
        XCTAssertEqual(sniff([0x50, 0x4B, 0x03, 0x04, 0, 0]), .torchZip)
        XCTAssertEqual(sniff([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8]), .torchLegacy)
        XCTAssertEqual(sniff([0x0A, 0x05, 0x56, 0x47, 0x47, 0x5F, 0x31]), .caffemodel, "NetParameter.name")
        XCTAssertEqual(sniff([0xA2, 0x06, 0x02, 0x0A, 0x00]), .caffemodel, "NetParameter.layer (field 100)")
        XCTAssertEqual(sniff([0x12, 0x02, 0x28, 0x04]), .caffemodel, "NetParameter.layers (V1)")
        XCTAssertNil(sniff([0x12, 0x7F, 0x28, 0x04]), "a length past the end")
        // A safetensors header length whose first byte is 0x80 must not be taken for a pickle.
        let padded = rawSafetensors("{}" + String(repeating: " ", count: 0x280 - 2))
        XCTAssertEqual(sniff(padded), .safetensors)
        XCTAssertNil(sniff(Array("hello world".utf8)))
        XCTAssertNil(sniff([]))
    }

    func testReadersDispatchOnContentNotExtension() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let misnamed = folder + "/weights.h5"
        try SafetensorsWriter.write([NamedTensor(name: "a", shape: [1], values: [1])], to: misnamed)
        XCTAssertEqual(try WeightReaders.read(path: misnamed).format, "safetensors")
        let h5 = folder + "/weights.safetensors"
        try Data(TinyHDF5Writer.encode([("a", .dataset(shape: [1], values: [1]))])).write(to: URL(fileURLWithPath: h5))
        XCTAssertEqual(try WeightReaders.read(path: h5).format, "keras-h5")
        let text = folder + "/notes.txt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try WeightReaders.read(path: text)) { XCTAssertTrue("\($0)".contains("unrecognised weight file"), "\($0)") }
        XCTAssertThrowsError(try WeightReaders.read(path: folder + "/missing")) { XCTAssertTrue("\($0)".contains("cannot open"), "\($0)") }
    }
}
