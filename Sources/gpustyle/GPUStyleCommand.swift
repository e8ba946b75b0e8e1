// GPUStyleCommand.swift — the `gpustyle` entry point: subcommands, and errors turned into messages and exit codes.
import ArgumentParser
import Foundation
import GPUStyle

@main
struct GPUStyleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpustyle",
        abstract: "Neural style transfer (Gatys et al.) on OpenCL GPUs or the CPU.",
        subcommands: [StylizeCommand.self, DevicesCommand.self, ModelsCommand.self, BenchCommand.self, ReconstructCommand.self],
        defaultSubcommand: StylizeCommand.self)

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as GPUStyleError {
            FileHandle.standardError.write(Data("gpustyle: error: \(error.message)\n".utf8))
            Foundation.exit(error.kind.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
