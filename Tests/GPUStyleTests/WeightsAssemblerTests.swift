// WeightsAssemblerTests.swift — tensor-to-network mapping, shape errors, architecture recognition and preprocessing rules.
import XCTest
@testable import GPUStyle

final class WeightsAssemblerTests: XCTestCase {
    func testEveryNamingSchemeGivesTheSameModel() throws {
        let reference = referenceConvs(.vgg16, count: 3, random: true)
        for naming in TestNaming.allCases {
            var file = makeWeightFile(reference, naming: naming)
            if naming != .unnamed {  // named files may list tensors in any order
                var rng = SplitMix64(seed: 11)
                file = WeightFile(path: file.path, format: file.format, tensors: file.tensors.shuffled(using: &rng),
                                  kernelLayout: file.kernelLayout)
            }
            let model = try ModelAssembler.assemble(file, name: "m", allowTruncated: true)
            XCTAssertEqual(model.architecture, .vgg16, "\(naming)")
            assertModel(model, holds: reference, "\(naming)")
        }
    }

    func testHWIOBecomesOIHW() {
        // in = 2, out = 3: HWIO value at (h, w, i, o) is 1000h + 100w + 10i + o.
        var hwio: [Float] = []
        for h in 0..<3 { for w in 0..<3 { for i in 0..<2 { for o in 0..<3 { hwio.append(Float(1000 * h + 100 * w + 10 * i + o)) } } } }
        let oihw = ModelAssembler.hwioToOIHW(hwio, inChannels: 2, outChannels: 3)
        for o in 0..<3 { for i in 0..<2 { for h in 0..<3 { for w in 0..<3 {
            XCTAssertEqual(oihw[((o * 2 + i) * 3 + h) * 3 + w], Float(1000 * h + 100 * w + 10 * i + o))
        } } } }
    }

    func testRecognisesCompleteVGG16AndVGG19() throws {
        for arch in Architecture.allCases {
            let reference = referenceConvs(arch, count: arch.convolutions.count, random: false)
            for naming in [TestNaming.caffe, .unnamed, .keras3] where !(naming == .keras3 && arch == .vgg19) {
                let model = try ModelAssembler.assemble(makeWeightFile(reference, naming: naming), name: "m")
                XCTAssertEqual(model.architecture, arch, "\(naming)")
                assertModel(model, holds: reference, "\(arch) \(naming)")
            }
        }
    }

    func testRecognisesTruncatedPrefixes() throws {
        func arch(of source: Architecture, count: Int) throws -> Architecture {
            try ModelAssembler.assemble(makeWeightFile(referenceConvs(source, count: count, random: false), naming: .unnamed),
                                        name: "m", allowTruncated: true).architecture
        }
        XCTAssertEqual(try arch(of: .vgg19, count: 8), .vgg19, "conv3_4 (256→256) exists only in VGG19")
        XCTAssertEqual(try arch(of: .vgg16, count: 8), .vgg16, "VGG16's 8th conv is conv4_1 (256→512)")
        XCTAssertEqual(try arch(of: .vgg19, count: 5), .vgg16, "an ambiguous prefix counts as VGG16")
        XCTAssertEqual(try arch(of: .vgg16, count: 1), .vgg16)
    }

    func testTruncatedFileIsAnErrorUnlessAllowed() {
        let file = makeWeightFile(referenceConvs(.vgg16, count: 2, random: false), naming: .caffe, path: "half.pth")
        assertWeightsError(try ModelAssembler.assemble(file, name: "m"), "half.pth", "only 2 of VGG16's 13", "conv1_2")
    }

    func testShapeMismatchNamesTensorAndBothShapes() {
        var convs = referenceConvs(.vgg16, count: 3, random: false)
        convs[2] = ("conv2_1", ConvWeights(inChannels: 32, outChannels: 128, weights: [Float](repeating: 0, count: 128 * 32 * 9),
                                           bias: [Float](repeating: 0, count: 128)))
        assertWeightsError(try ModelAssembler.assemble(makeWeightFile(convs, naming: .caffe, path: "w.pth"), name: "m", allowTruncated: true),
                           "w.pth", "'conv2_1.weight'", "[128, 32, 3, 3]", "needs [128, 64, 3, 3]", "conv2_1")
        assertWeightsError(try ModelAssembler.assemble(makeWeightFile(convs, naming: .keras2, path: "w.h5"), name: "m", allowTruncated: true),
                           "'block2_conv1/block2_conv1_W_1:0'", "[3, 3, 32, 128]", "needs [3, 3, 64, 128] (HWIO)")
    }

    func testGivenArchitectureIsCheckedAgainstTheShapes() throws {
        let vgg16 = makeWeightFile(referenceConvs(.vgg16, count: 13, random: false), naming: .unnamed, path: "v16.pth")
        assertWeightsError(try ModelAssembler.assemble(vgg16, name: "m", architecture: .vgg19, allowTruncated: true),
                           "v16.pth", "'t14'", "[512, 256, 3, 3]", "VGG19's conv3_4 needs [256, 256, 3, 3]")
        let vgg19 = makeWeightFile(referenceConvs(.vgg19, count: 16, random: false), naming: .caffe)
        XCTAssertEqual(try ModelAssembler.assemble(vgg19, name: "m", architecture: .vgg19).architecture, .vgg19)
    }

    func testMissingConvolutionInANamedFileIsReported() {
        let convs = referenceConvs(.vgg16, count: 4, random: false)
        let gap = makeWeightFile([convs[0], convs[2], convs[3]], naming: .caffe, path: "gap.pth")
        assertWeightsError(try ModelAssembler.assemble(gap, name: "m", allowTruncated: true), "gap.pth",
                           "'conv2_1.weight' is named as conv2_1 but sits where VGG16 has conv1_2")
    }

    func testTooManyOrNoKernels() {
        var many = makeWeightFile(referenceConvs(.vgg19, count: 16, random: false), naming: .unnamed, path: "many")
        many = WeightFile(path: "many", format: many.format,
                          tensors: many.tensors + [NamedTensor(name: "x", shape: [512, 512, 3, 3], values: [Float](repeating: 0, count: 512 * 512 * 9))],
                          kernelLayout: .oihw)
        assertWeightsError(try ModelAssembler.assemble(many, name: "m"), "many", "17 3×3 convolution kernels")
        let none = WeightFile(path: "none", format: "pth-zip", tensors: [NamedTensor(name: "fc", shape: [2, 2], values: [1, 2, 3, 4])], kernelLayout: .oihw)
        assertWeightsError(try ModelAssembler.assemble(none, name: "m"), "none", "no 3×3 convolution kernels")
    }

    func testBiasRules() throws {
        let convs = referenceConvs(.vgg16, count: 1, random: true)
        let c = convs[0].conv
        let kernel = NamedTensor(name: "conv1_1.weight", shape: [64, 3, 3, 3], values: c.weights)
        // A Caffe V1 blob keeps 4 axes for the bias; found by position.
        let v1 = WeightFile(path: "v1", format: "caffemodel-v1", tensors: [kernel, NamedTensor(name: "conv1_1.blob1", shape: [1, 1, 1, 64], values: c.bias)], kernelLayout: .oihw)
        XCTAssertEqual(try ModelAssembler.assemble(v1, name: "m", allowTruncated: true).convs["conv1_1"]?.bias, c.bias)
        let wrong = WeightFile(path: "wrong", format: "pth-zip", tensors: [kernel, NamedTensor(name: "conv1_1.bias", shape: [32], values: [Float](repeating: 0, count: 32))], kernelLayout: .oihw)
        assertWeightsError(try ModelAssembler.assemble(wrong, name: "m", allowTruncated: true), "wrong", "'conv1_1.bias'", "[32]", "needs [64]")
        let missing = WeightFile(path: "missing", format: "pth-zip", tensors: [kernel], kernelLayout: .oihw)
        assertWeightsError(try ModelAssembler.assemble(missing, name: "m", allowTruncated: true), "missing", "no bias of 64 values", "'conv1_1.weight'")
    }

    func testPreprocessingRules() throws {
        let convs = referenceConvs(.vgg16, count: 1, random: true)
        func decide(_ naming: TestNaming, bias: [Float]? = nil, metadata: [String: String] = [:], given: Preprocessing? = nil) throws -> String {
            var c = convs
            if let bias { c[0].conv = ConvWeights(inChannels: 3, outChannels: 64, weights: c[0].conv.weights, bias: bias) }
            return try ModelAssembler.assemble(makeWeightFile(c, naming: naming, metadata: metadata), name: "m",
                                               preprocessing: given, allowTruncated: true).preprocessing.name
        }
        let positive = (0..<64).map { $0 == 5 ? -0.03 : Float($0 % 7) * 0.1 + 0.01 }  // 1 of 64 negative, like Caffe
        let mixed = (0..<64).map { Float($0 % 5) * 0.3 - 0.5 }                              // 26 of 64 negative
        XCTAssertEqual(try decide(.keras2, bias: mixed), "caffe", "Keras files are Caffe conversions")
        XCTAssertEqual(try decide(.caffe, bias: mixed), "caffe", "caffemodel")
        XCTAssertEqual(try decide(.torchvision, bias: mixed), "torchvision")
        XCTAssertEqual(try decide(.torchvision, bias: positive), "caffe", "Caffe-converted .pth")
        XCTAssertEqual(try decide(.torchvision, bias: positive, metadata: ["preprocessing": "torchvision"]), "torchvision", "metadata wins")
        XCTAssertEqual(try decide(.keras2, metadata: ["preprocessing": "caffe"], given: .torchvision), "torchvision", "the flag wins")
        assertWeightsError(try decide(.caffe, metadata: ["preprocessing": "bgr-ish"]), "preprocessing 'bgr-ish'")
        assertWeightsError(try decide(.caffe, metadata: ["architecture": "resnet"]), "architecture 'resnet'")
    }

    func testDefaultsComeFromMetadataOrTheModel() throws {
        let convs = referenceConvs(.vgg16, count: 1, random: true)
        func defaults(_ naming: TestNaming, metadata: [String: String] = [:]) throws -> StyleDefaults {
            try ModelAssembler.assemble(makeWeightFile(convs, naming: naming, metadata: metadata), name: "m", allowTruncated: true).defaults
        }
        XCTAssertEqual(try defaults(.caffe), .neuralStyle)
        XCTAssertEqual(try defaults(.keras3), .hedVGG16, "hed's layout (dsn side outputs) gets the hed settings")
        let json = #"{"contentLayers":["relu3_2"],"contentWeight":7,"iterations":50,"styleLayers":["relu1_1"],"styleWeight":3,"tvWeight":0.5}"#
        let custom = try defaults(.caffe, metadata: ["defaults": json])
        XCTAssertEqual(custom, StyleDefaults(contentWeight: 7, styleWeight: 3, tvWeight: 0.5, contentLayers: ["relu3_2"], styleLayers: ["relu1_1"], iterations: 50))
        let scaled = try defaults(.caffe, metadata: ["defaults": json.replacingOccurrences(of: "}", with: #","tvReferenceSide":256}"#)])
        XCTAssertEqual(scaled.tvReferenceSide, 256)
        assertWeightsError(try defaults(.caffe, metadata: ["defaults": json.replacingOccurrences(of: "}", with: #","tvReferenceSide":0}"#)]), "out-of-range")
        assertWeightsError(try defaults(.caffe, metadata: ["defaults": "{"]), "'defaults' metadata")
        assertWeightsError(try defaults(.caffe, metadata: ["defaults": json.replacingOccurrences(of: "\"iterations\":50", with: "\"iterations\":0")]), "out-of-range")
    }
}

final class TruncatedModelTests: XCTestCase {
    /// A file that says where it stops (`truncated_after`) loads; one that says so wrongly, or says nothing, does not.
    func testStatedTruncationIsAcceptedAndCheckedAgainstTheFile() throws {
        let convs = referenceConvs(.vgg16, count: 11, random: true)
        let stated = makeWeightFile(convs, naming: .caffe, metadata: [ModelMetadataKey.architecture: "vgg16", ModelMetadataKey.truncatedAfter: "conv5_1"])
        let model = try ModelAssembler.assemble(stated, name: "short")
        XCTAssertEqual(model.convs.count, 11)
        XCTAssertNotNil(model.convs["conv5_1"])
        XCTAssertNil(model.convs["conv5_2"])

        let wrong = makeWeightFile(convs, naming: .caffe, metadata: [ModelMetadataKey.architecture: "vgg16", ModelMetadataKey.truncatedAfter: "conv4_3"])
        XCTAssertThrowsError(try ModelAssembler.assemble(wrong, name: "short")) { error in
            XCTAssertTrue("\(error)".contains("stops after conv4_3, but its convolutions end at conv5_1"), "\(error)")
        }
        let silent = makeWeightFile(convs, naming: .caffe, metadata: [ModelMetadataKey.architecture: "vgg16"])
        XCTAssertThrowsError(try ModelAssembler.assemble(silent, name: "short"))

        // Saved into the store (import, refresh), a short network keeps saying where it stops.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gpustyle-short-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = ModelStore(directory: folder)
        try store.save(model, source: "test")
        XCTAssertEqual(try ModelLoader.load("short", store: store).convs.count, 11)
    }

    /// VGG19's 16 convolutions read as VGG16 (13) are refused, not indexed past the end.
    func testMoreConvolutionsThanTheArchitectureHoldsIsAnError() throws {
        let file = makeWeightFile(referenceConvs(.vgg19, count: 16, random: true), naming: .unnamed)
        XCTAssertThrowsError(try ModelAssembler.assemble(file, name: "x", architecture: .vgg16)) { error in
            XCTAssertTrue("\(error)".contains("more than VGG16's 13"), "\(error)")
        }
    }
}
