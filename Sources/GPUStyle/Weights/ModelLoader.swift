// ModelLoader.swift — turns `--model` (a file path, an installed name, or nothing) into a checked Model.
import Foundation

/// Resolves and loads the model the user asked for.
public enum ModelLoader {
    /// Loads a model.
    /// - Parameters:
    ///   - reference: a path to a weight file of any supported format (recognised by content), or the
    ///     name of an installed model; nil means the default model `vgg16-hed`. An existing file wins
    ///     over an installed model of the same name.
    ///   - architecture, preprocessing: override what the file says or what is recognised.
    ///   - store: where installed models live (the user's store by default).
    ///   - allowTruncated: accept files holding only the first convolutions (tests).
    /// - Throws: `GPUStyleError(.weights)`; a model that is not installed names the command that installs it.
    public static func load(_ reference: String?, architecture: Architecture? = nil, preprocessing: Preprocessing? = nil,
                            store: ModelStore = ModelStore(), allowTruncated: Bool = false) throws -> Model {
        let (path, name) = try resolve(reference, store: store)
        let file = try WeightReaders.read(path: path)
        return try ModelAssembler.assemble(file, name: name, architecture: architecture, preprocessing: preprocessing,
                                           allowTruncated: allowTruncated)
    }

    /// The file and model name `reference` stands for.
    public static func resolve(_ reference: String?, store: ModelStore = ModelStore()) throws -> (path: String, name: String) {
        let wanted = reference ?? ModelStore.defaultModelName
        var isDirectory: ObjCBool = false
        if reference != nil, FileManager.default.fileExists(atPath: wanted, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else {
                throw GPUStyleError(.weights, "\(wanted) is a folder; --model takes a weight file or the name of an installed model")
            }
            let base = URL(fileURLWithPath: wanted).deletingPathExtension().lastPathComponent
            return (wanted, base.isEmpty ? wanted : base)
        }
        if store.contains(wanted) { return (store.path(forModel: wanted), wanted) }
        if wanted == ModelStore.defaultModelName {
            throw GPUStyleError(.weights, "the default model '\(wanted)' is not installed (looked in \(store.directory)); run `gpustyle models install`")
        }
        if wanted.contains("/") || (try? ModelStore.validate(name: wanted)) == nil {
            throw GPUStyleError(.weights, "\(wanted): no such weight file")
        }
        let installed = ((try? store.list()) ?? []).map(\.name)
        throw GPUStyleError(.weights, "'\(wanted)' is neither a weight file nor an installed model (installed in \(store.directory): \(installed.isEmpty ? "none" : installed.joined(separator: ", "))); pass a file path, or run `gpustyle models import FILE --name \(wanted)`")
    }
}
