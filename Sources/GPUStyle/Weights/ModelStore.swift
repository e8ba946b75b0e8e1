// ModelStore.swift — the per-user model folder: list installed models, import any weight file as <name>.safetensors.
import Foundation

/// A model installed in the store.
public struct InstalledModel: Sendable, Equatable {
    /// The name to pass to `--model` (the file name without `.safetensors`).
    public let name: String
    /// From the file's metadata; nil when the file is unreadable.
    public let architecture: Architecture?
    /// `caffe` or `torchvision`, from the metadata; nil when absent.
    public let preprocessing: String?
    /// File size in bytes.
    public let sizeBytes: Int
    public let path: String
    /// The `source` metadata, if any.
    public let source: String?
    /// Why the file could not be read, when it could not (it is still listed).
    public let problem: String?
}

/// The folder of installed models: `$GPUSTYLE_MODEL_DIR`, else `$XDG_CACHE_HOME/gpustyle/models`,
/// else `~/.cache/gpustyle/models`. Each model is one `<name>.safetensors` file whose metadata
/// states its architecture, preprocessing, recommended settings and source.
public struct ModelStore: Sendable {
    /// The name `ModelLoader` uses when no model is given.
    public static let defaultModelName = "vgg16-hed"

    /// Absolute path of the folder (it may not exist yet).
    public let directory: String

    /// The store at `directory`, or at the folder the environment selects.
    public init(directory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let directory {
            self.directory = directory
        } else if let dir = environment["GPUSTYLE_MODEL_DIR"], !dir.isEmpty {
            self.directory = dir
        } else if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            self.directory = cache + "/gpustyle/models"
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            self.directory = home + "/.cache/gpustyle/models"
        }
    }

    /// Throws unless `name` is a usable model name: 1–100 of `A–Z a–z 0–9 . _ -`, not starting with `.` or `-`.
    public static func validate(name: String) throws {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
        guard allowed, (1...100).contains(name.utf8.count), let first = name.first, first != ".", first != "-" else {
            throw GPUStyleError(.usage, "'\(name)' is not a valid model name: use 1–100 letters, digits, '.', '_' or '-', not starting with '.' or '-'")
        }
    }

    /// The file a model called `name` lives in.
    public func path(forModel name: String) -> String { directory + "/" + name + ".safetensors" }

    /// Whether a model called `name` is installed.
    public func contains(_ name: String) -> Bool {
        (try? ModelStore.validate(name: name)) != nil && FileManager.default.fileExists(atPath: path(forModel: name))
    }

    /// Whether the model folder exists (a file in its place is an error that says so).
    private func folderExists() throws -> Bool {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) else { return false }
        guard isFolder.boolValue else {
            throw GPUStyleError(.io, "\(directory): the model folder is a file; remove it or set GPUSTYLE_MODEL_DIR to a folder")
        }
        return true
    }

    /// Installed models sorted by name; an empty list when the folder does not exist. Unreadable files
    /// are listed with `problem` set rather than failing the listing.
    public func list() throws -> [InstalledModel] {
        guard try folderExists() else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw GPUStyleError(.io, "\(directory): cannot list the model folder (\(error.localizedDescription))")
        }
        return names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.sorted().map { file in
            let path = directory + "/" + file
            let name = String(file.dropLast(".safetensors".count))
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
            do {
                let header = try SafetensorsReader.readHeader(path: path)
                let meta = header.metadata
                return InstalledModel(name: name, architecture: meta[ModelMetadataKey.architecture].flatMap(Architecture.init(rawValue:)),
                                      preprocessing: meta[ModelMetadataKey.preprocessing], sizeBytes: size, path: path,
                                      source: meta[ModelMetadataKey.source], problem: nil)
            } catch {
                return InstalledModel(name: name, architecture: nil, preprocessing: nil, sizeBytes: size, path: path,
                                      source: nil, problem: "\(error)")
            }
        }
    }

    /// Reads the weight file at `path` (any supported format), checks it as a complete VGG16/VGG19 and
    /// installs it as `<name>.safetensors` with its architecture, preprocessing, recommended settings
    /// and `source` in the metadata.
    /// - Parameters:
    ///   - architecture, preprocessing: override what is recognised from the file.
    ///   - replace: overwrite an installed model of the same name (otherwise that is an error).
    @discardableResult
    public func importFile(path: String, name: String, architecture: Architecture? = nil, preprocessing: Preprocessing? = nil,
                           source: String? = nil, replace: Bool = false) throws -> InstalledModel {
        try ModelStore.validate(name: name)
        _ = try folderExists()  // a file in the folder's place is reported before a large weight file is read
        if !replace && FileManager.default.fileExists(atPath: self.path(forModel: name)) {
            throw GPUStyleError(.usage, "a model called '\(name)' is already installed at \(self.path(forModel: name)); choose another name, or pass --replace to overwrite it")
        }
        let file = try WeightReaders.read(path: path)
        let model = try ModelAssembler.assemble(file, name: name, architecture: architecture, preprocessing: preprocessing)
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return try save(model, source: source ?? "imported from \(absolute) (\(file.format))")
    }

    /// Writes `model` as `<model.name>.safetensors` (tensors `conv1_1.weight` OIHW, `conv1_1.bias`, …), atomically.
    @discardableResult
    public func save(_ model: Model, source: String) throws -> InstalledModel {
        try ModelStore.validate(name: model.name)
        _ = try folderExists()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GPUStyleError(.io, "\(directory): cannot create the model folder (\(error.localizedDescription)); set GPUSTYLE_MODEL_DIR to a writable folder")
        }
        var tensors: [NamedTensor] = []
        for conv in model.architecture.convolutions {
            guard let weights = model.convs[conv.name] else { break }
            tensors.append(NamedTensor(name: conv.name + ".weight", shape: [weights.outChannels, weights.inChannels, 3, 3], values: weights.weights))
            tensors.append(NamedTensor(name: conv.name + ".bias", shape: [weights.outChannels], values: weights.bias))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let defaults = String(decoding: try encoder.encode(model.defaults), as: UTF8.self)
        var metadata = [
            ModelMetadataKey.architecture: model.architecture.rawValue,
            ModelMetadataKey.preprocessing: model.preprocessing.name,
            ModelMetadataKey.defaults: defaults,
            ModelMetadataKey.source: source,
            "format": "pt",  // the Hugging Face convention for PyTorch-layout (OIHW) tensors
        ]
        if tensors.count / 2 < model.architecture.convolutions.count, let last = tensors.last {
            // A network that stops early says where, so it loads again.
            metadata[ModelMetadataKey.truncatedAfter] = String(last.name.dropLast(".bias".count))
        }
        let destination = path(forModel: model.name)
        try SafetensorsWriter.write(tensors, metadata: metadata, to: destination)
        let size = ((try? FileManager.default.attributesOfItem(atPath: destination))?[.size] as? Int) ?? 0
        return InstalledModel(name: model.name, architecture: model.architecture, preprocessing: model.preprocessing.name,
                              sizeBytes: size, path: destination, source: source, problem: nil)
    }
}
