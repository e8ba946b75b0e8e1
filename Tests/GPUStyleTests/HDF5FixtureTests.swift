// HDF5FixtureTests.swift — the HDF5 reader on tiny files written by h5py/libhdf5 (scripts/make_hdf5_fixtures.py).
import XCTest
@testable import GPUStyle

final class HDF5FixtureTests: XCTestCase {
    /// The fixture's path; a clear failure when it was not made (scripts/test makes it, it is not committed).
    static func fixture(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw GPUStyleError(.io, "\(path) is missing: run scripts/hdf5_fixtures (scripts/test does) to write it with h5py")
        }
        return path
    }

    /// The values `pattern(count, k)` of make_hdf5_fixtures.py: ((37 i + 11 k) mod 1000 − 500) / 512, exact in every float format.
    static func pattern(_ count: Int, _ k: Int) -> [Float] {
        (0..<count).map { Float(($0 * 37 + k * 11) % 1000 - 500) / 512 }
    }

    func testKeras3HedLayout() throws {
        let path = try Self.fixture("keras3_hed_layout.weights.h5")
        let file = try HDF5Reader.read(path: path)
        XCTAssertEqual(file.tensors.map(\.name), ["block1/layers/conv2d/vars/0", "block1/layers/conv2d/vars/1"])
        XCTAssertEqual(file.tensors[0].shape, [3, 3, 3, 64])
        XCTAssertEqual(file.tensors[0].values, Self.pattern(1728, 1))
        XCTAssertEqual(file.tensors[1].values, Self.pattern(64, 2))

        let model = try ModelLoader.load(path, store: ModelStore(directory: "/nonexistent"), allowTruncated: true)
        XCTAssertEqual(model.architecture, .vgg16)
        XCTAssertEqual(model.preprocessing, .caffe, "Keras files are Caffe conversions")
        let conv = try XCTUnwrap(model.convs["conv1_1"])
        let hwio = Self.pattern(1728, 1)
        // OIHW[o][i][h][w] = HWIO[h][w][i][o]
        for (o, i, h, w) in [(0, 0, 0, 0), (63, 2, 2, 2), (5, 1, 0, 2), (17, 2, 1, 0)] {
            XCTAssertEqual(conv.weights[((o * 3 + i) * 3 + h) * 3 + w], hwio[((h * 3 + w) * 3 + i) * 64 + o], "OIHW(\(o),\(i),\(h),\(w))")
        }
        XCTAssertEqual(conv.bias, Self.pattern(64, 2))
    }

    func testKeras2ApplicationsLayout() throws {
        let path = try Self.fixture("keras2_vgg16_notop_layout.h5")
        let file = try WeightReaders.read(path: path)
        XCTAssertEqual(file.tensors.map(\.name), ["block1_conv1/block1_conv1_W_1:0", "block1_conv1/block1_conv1_b_1:0"])
        XCTAssertEqual(file.tensors[0].values, Self.pattern(1728, 7))
        let model = try ModelAssembler.assemble(file, name: "k2", allowTruncated: true)
        XCTAssertEqual(model.convs["conv1_1"]?.bias, Self.pattern(64, 8))
        XCTAssertEqual(model.convs["conv1_1"]?.weights, ModelAssembler.hwioToOIHW(Self.pattern(1728, 7), inChannels: 3, outChannels: 64))
        assertWeightsError(try ModelAssembler.assemble(file, name: "k2"), "only 1 of VGG16's 13")
    }

    func testLatestFormatWholeModel() throws {
        let file = try HDF5Reader.read(path: try Self.fixture("latest_format_whole_model.h5"))
        let names = file.tensors.map(\.name)
        XCTAssertEqual(names, ["model_weights/bigendian", "model_weights/chunked", "model_weights/compact", "model_weights/double",
                               "model_weights/half"] + (0..<12).map { "model_weights/w\($0)" },
                       "dense links in natural order; integers and optimizer_weights skipped")
        let byName = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0) })
        XCTAssertEqual(byName["model_weights/bigendian"]?.values, Self.pattern(4, 42))
        XCTAssertEqual(byName["model_weights/chunked"]?.shape, [11, 7])
        XCTAssertEqual(byName["model_weights/chunked"]?.values, Self.pattern(77, 43))
        XCTAssertEqual(byName["model_weights/compact"]?.values, Self.pattern(5, 44))
        XCTAssertEqual(byName["model_weights/double"]?.values, Self.pattern(5, 41))
        XCTAssertEqual(byName["model_weights/half"]?.shape, [2, 3])
        XCTAssertEqual(byName["model_weights/half"]?.values, Self.pattern(6, 40))
        for i in 0..<12 { XCTAssertEqual(byName["model_weights/w\(i)"]?.values, Self.pattern(3, 20 + i), "w\(i)") }
    }

    /// Truncations and seeded byte damage of the real-library files: errors are fine, crashes and hangs are not.
    func testDamagedFixturesNeverCrash() throws {
        for name in ["keras3_hed_layout.weights.h5", "keras2_vgg16_notop_layout.h5", "latest_format_whole_model.h5"] {
            let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try Self.fixture(name))))
            var rejected = 0
            for length in stride(from: 0, to: original.count, by: 7) {
                let prefix = Array(original[0..<length])
                if (try? prefix.withUnsafeBytes { try HDF5Reader.read(bytes: $0, path: name) }) == nil { rejected += 1 }
            }
            XCTAssertGreaterThan(rejected, original.count / 7 / 2, "\(name): most truncations must be rejected")
            var rng = SplitMix64(seed: 77)
            let rounds = Int(ProcessInfo.processInfo.environment["GPUSTYLE_TEST_FUZZ_ROUNDS"] ?? "") ?? 1500
            for _ in 0..<rounds {
                var bytes = original
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                _ = try? bytes.withUnsafeBytes { try HDF5Reader.read(bytes: $0, path: name) }
            }
        }
    }
}
