// GPUStyleCommand.swift — the `gpustyle` entry point: subcommands, and errors turned into messages and exit codes.
import ArgumentParser
import Foundation
import GPUStyle

@main
struct GPUStyleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpustyle",
        abstract: "Neural style transfer (Gatys et al.) on OpenCL GPUs or the CPU.",
        subcommands: [StylizeCommand.self, DevicesCommand.self, ModelsCommand.self, BenchCommand.self, TuneCommand.self, ReconstructCommand.self],
        defaultSubcommand: StylizeCommand.self)

    static func main() {
        do {
            var command = try parseAsRoot(joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as GPUStyleError {
            FileHandle.standardError.write(Data("gpustyle: error: \(error.message)\n".utf8))
            Foundation.exit(error.kind.exitCode)
        } catch {
            // --help and --version end here too (exit code 0): ArgumentParser prints them.
            let code = exitCode(for: error)
            if code.isSuccess { exit(withError: error) }
            printError("gpustyle: error: \(GPUStyleError.singleLine(oneLineMessage(for: error, in: self)))")
            Foundation.exit(code.rawValue)
        }
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
