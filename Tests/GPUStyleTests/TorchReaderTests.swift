// TorchReaderTests.swift — .pth reading: ZIP and legacy containers, dtypes, strides, checkpoints, key names.
import XCTest
@testable import GPUStyle

final class TorchReaderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder("torch")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func read(_ bytes: [UInt8], _ name: String = "model.pth") throws -> WeightFile {
        try TorchReader.read(path: try TorchFixture.write(bytes, to: folder, name))
    }

    private func statePickle(_ tensors: [FixtureTensor], _ storages: [String: FixtureStorage], legacy: Bool) -> [UInt8] {
        var w = PickleWriter(); w.proto(2)
        TorchFixture.pushStateDict(&w, tensors, storages: storages, legacy: legacy)
        w.stop()
        return w.bytes
    }

    /// Both containers of the same tensors.
    private func bothContainers(_ tensors: [FixtureTensor], _ storages: [String: FixtureStorage]) -> [(String, [UInt8])] {
        [("pth-zip", TorchFixture.zipPth(pickle: statePickle(tensors, storages, legacy: false), storages: storages)),
         ("pth-legacy", TorchFixture.legacyPth(statePickle: statePickle(tensors, storages, legacy: true), storages: storages))]
    }

    /// A truncated torchvision VGG: features.0 (4×3×3×3) and features.2 (5×4×3×3), weights and biases.
    static let torchvisionTensors: [(name: String, shape: [Int], values: [Float])] = [
        ("features.0.weight", [4, 3, 3, 3], randomValues(108, seed: 1)),
        ("features.0.bias", [4], randomValues(4, seed: 2)),
        ("features.2.weight", [5, 4, 3, 3], randomValues(180, seed: 3)),
        ("features.2.bias", [5], randomValues(5, seed: 4)),
    ]

    func testTorchvisionStateDictInBothContainers() throws {
        let (tensors, storages) = TorchFixture.simple(Self.torchvisionTensors)
        for (format, bytes) in bothContainers(tensors, storages) {
            let file = try read(bytes)
            XCTAssertEqual(file.format, format)
            XCTAssertEqual(file.kernelLayout, .oihw)
            XCTAssertEqual(file.tensors.map(\.name), Self.torchvisionTensors.map(\.name), format)
            XCTAssertEqual(file.tensors.map(\.shape), Self.torchvisionTensors.map(\.shape), format)
            XCTAssertEqual(file.tensors.map(\.values), Self.torchvisionTensors.map(\.values), "\(format): bit-exact")
            XCTAssertTrue(file.metadata.isEmpty)
        }
    }

    func testZip64ArchiveAndAnyPrefix() throws {
        let (tensors, storages) = TorchFixture.simple([("conv1_1.weight", [2, 1, 3, 3], randomValues(18, seed: 5))])
        let pickle = statePickle(tensors, storages, legacy: false)
        let file = try read(TorchFixture.zipPth(pickle: pickle, storages: storages, prefix: "vgg19-conv", zip64: true))
        XCTAssertEqual(file.tensors.first?.name, "conv1_1.weight")
        XCTAssertEqual(file.tensors.first?.values, randomValues(18, seed: 5))
    }

    func testDTypesConvertToFloat32AndIntegerTensorsAreSkipped() throws {
        // Values exactly representable in every format (at most 8 significant bits, plus a half subnormal).
        let values: [Float] = [0, 1, -2.5, 0.125, 31.75, -0.375, 5.960_464_5e-8]
        let storages: [String: FixtureStorage] = [
            "d": .float64(values.map(Double.init)), "h": .float16(values), "b": .bfloat16(Array(values.dropLast())),
            "n": .int64([3]),
        ]
        let tensors = [
            FixtureTensor(name: "f64", key: "d", shape: [7]), FixtureTensor(name: "f16", key: "h", shape: [7]),
            FixtureTensor(name: "bn.num_batches_tracked", key: "n", shape: []),
            FixtureTensor(name: "bf16", key: "b", shape: [6]),
        ]
        for (format, bytes) in bothContainers(tensors, storages) {
            let file = try read(bytes)
            XCTAssertEqual(file.tensors.map(\.name), ["f64", "f16", "bf16"], format)
            XCTAssertEqual(file.tensors[0].values, values, format)
            XCTAssertEqual(file.tensors[1].values, values, format)
            XCTAssertEqual(file.tensors[2].values, Array(values.dropLast()), format)
            XCTAssertEqual(file.metadata["skipped"], "bn.num_batches_tracked (int64)")
        }
    }

    func testStridedViewsOffsetsAndSharedStorage() throws {
        // Storage 0..<24; "t" is the 3×4 transpose of a 4×3 block starting at element 5; "row" shares it.
        let base = (0..<24).map { Float($0) }
        let storages = ["s": FixtureStorage.float32(base)]
        let tensors = [
            FixtureTensor(name: "t", key: "s", shape: [3, 4], stride: [1, 3], offset: 5),
            FixtureTensor(name: "row", key: "s", shape: [1, 6], stride: [999, 1], offset: 18),
            FixtureTensor(name: "scalar", key: "s", shape: [], stride: [], offset: 23),
            FixtureTensor(name: "empty", key: "s", shape: [0, 3], stride: [3, 1], offset: 0),
            FixtureTensor(name: "broadcast", key: "s", shape: [2, 3], stride: [0, 1], offset: 1),
        ]
        var transposed: [Float] = []
        for i in 0..<3 { for j in 0..<4 { transposed.append(base[5 + i + 3 * j]) } }
        for (format, bytes) in bothContainers(tensors, storages) {
            let file = try read(bytes)
            XCTAssertEqual(file.tensors[0].values, transposed, format)
            XCTAssertEqual(file.tensors[0].shape, [3, 4])
            XCTAssertEqual(file.tensors[1].values, [18, 19, 20, 21, 22, 23], format)
            XCTAssertEqual(file.tensors[2].values, [23], format)
            XCTAssertEqual(file.tensors[2].shape, [])
            XCTAssertEqual(file.tensors[3].values, [], format)
            XCTAssertEqual(file.tensors[4].values, [1, 2, 3, 1, 2, 3], format)
        }
    }

    func testCheckpointDictsAndPrefixedKeys() throws {
        let (tensors, storages) = TorchFixture.simple([("module.conv1_1.weight", [1, 1, 3, 3], randomValues(9, seed: 6))])
        for wrapper in ["state_dict", "model", "model_state_dict"] {
            var w = PickleWriter(); w.proto(2)
            w.emptyDict(); w.mark()
            w.string("epoch"); w.int(12)
            w.string("optimizer"); w.emptyDict()
            w.string(wrapper)
            TorchFixture.pushStateDict(&w, tensors, storages: storages, legacy: false)
            w.setItems(); w.stop()
            let file = try read(TorchFixture.zipPth(pickle: w.bytes, storages: storages))
            XCTAssertEqual(file.tensors.map(\.name), ["module.conv1_1.weight"], wrapper)
            XCTAssertEqual(file.tensors.first?.values, randomValues(9, seed: 6))
        }
        var w = PickleWriter(); w.proto(2)
        w.emptyDict(); w.string("epoch"); w.int(3); w.setItem(); w.stop()
        XCTAssertThrowsError(try read(TorchFixture.zipPth(pickle: w.bytes, storages: [:]))) { error in
            XCTAssertTrue("\(error)".contains("no tensors found") && "\(error)".contains("'epoch'"), "\(error)")
        }
    }

    func testBigEndianStorages() throws {
        let values: [Float] = [1.5, -2, 3.25]
        let swapped = FixtureStorage(storageClass: "FloatStorage", numel: 3, bytes: littleEndianBytes(values.map { $0.bitPattern.byteSwapped }))
        let tensors = [FixtureTensor(name: "w", key: "0", shape: [3])]
        let zip = TorchFixture.zipPth(pickle: statePickle(tensors, ["0": swapped], legacy: false), storages: ["0": swapped], byteorder: "big")
        XCTAssertEqual(try read(zip).tensors.first?.values, values)
        let legacy = TorchFixture.legacyPth(statePickle: statePickle(tensors, ["0": swapped], legacy: true), storages: ["0": swapped], littleEndian: false)
        XCTAssertEqual(try read(legacy).tensors.first?.values, values)
    }

    /// `_rebuild_parameter` around a tensor of a CUDA storage, and `_rebuild_tensor_v3` over an untyped
    /// byte storage (float32 read through it; uint16 skipped), in a protocol-4 pickle with STACK_GLOBAL.
    func testParametersCudaStoragesAndRebuildV3() throws {
        let values: [Float] = [0.5, -1.25]
        let storages: [String: FixtureStorage] = ["c": .float32(values), "u": .float32(values)]
        var w = PickleWriter(); w.proto(4)
        w.emptyDict(); w.mark()
        w.string("conv1_1.weight")
        w.stackGlobal("torch._utils", "_rebuild_parameter")
        w.tuple { w in
            w.stackGlobal("torch._utils", "_rebuild_tensor_v2")
            w.tuple { w in
                w.tuple { w in w.string("storage"); w.global("torch.cuda", "FloatStorage"); w.string("c"); w.string("cuda:0"); w.int(2) }
                w.binPersID(); w.int(0); w.tuple { $0.int(2) }; w.tuple { $0.int(1) }; w.bool(true)
                w.stackGlobal("collections", "OrderedDict"); w.emptyTuple(); w.reduce()
            }
            w.reduce()
            w.bool(true)
            w.stackGlobal("collections", "OrderedDict"); w.emptyTuple(); w.reduce()
        }
        w.reduce()
        for (name, dtype, shape) in [("viaBytes", "float32", 2), ("counts", "uint16", 4)] {
            w.string(name)
            w.stackGlobal("torch._utils", "_rebuild_tensor_v3")
            w.tuple { w in
                w.tuple { w in w.string("storage"); w.stackGlobal("torch", "UntypedStorage"); w.string("u"); w.string("cpu"); w.int(8) }
                w.binPersID(); w.int(0); w.tuple { $0.int(shape) }; w.tuple { $0.int(1) }; w.bool(false)
                w.stackGlobal("collections", "OrderedDict"); w.emptyTuple(); w.reduce()
                w.stackGlobal("torch", dtype)
            }
            w.reduce()
        }
        w.setItems(); w.stop()
        let file = try read(TorchFixture.zipPth(pickle: w.bytes, storages: storages))
        XCTAssertEqual(file.tensors.map(\.name), ["conv1_1.weight", "viaBytes"])
        XCTAssertEqual(file.tensors.map(\.values), [values, values])
        XCTAssertEqual(file.metadata["skipped"], "counts (uint16)")
    }

    func testLegacyStorageViews() throws {
        // Root storage "r" of 10 floats; view "v" = elements 4..<8 of it; the tensor reads v[1...2].
        let root = FixtureStorage.float32((0..<10).map { Float($0) })
        let view = FixtureStorage(storageClass: "FloatStorage", numel: 4, bytes: [])
        let tensors = [FixtureTensor(name: "w", key: "v", shape: [2], offset: 1)]
        var w = PickleWriter(); w.proto(2)
        TorchFixture.pushStateDict(&w, tensors, storages: ["v": view, "r": root], legacy: true, views: ["v": (root: "r", offset: 4, rootNumel: 10)])
        w.stop()
        let file = try read(TorchFixture.legacyPth(statePickle: w.bytes, storages: ["r": root], keys: ["r"]))
        XCTAssertEqual(file.tensors.first?.values, [5, 6])
    }
}
