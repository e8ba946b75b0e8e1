// GPUStyleCommand.swift — the `gpustyle` entry point: subcommands, and errors turned into messages and exit codes.
import ArgumentParser
import Foundation
import GPUStyle

@main
struct GPUStyleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpustyle",
        abstract: "Neural style transfer (Gatys et al.) on OpenCL GPUs or the CPU.",
        version: gpustyleVersion,
        subcommands: [StylizeCommand.self, DevicesCommand.self, ModelsCommand.self, BenchCommand.self, TuneCommand.self, ReconstructCommand.self],
        defaultSubcommand: StylizeCommand.self)

    static func main() {
        if CommandLine.arguments.count == 1 {  // a bare `gpustyle`: what it can do, not a complaint about --style-image
            printError(helpMessage())
            printError("Start with: gpustyle --content-image PHOTO --style-image PAINTING --output-image OUT.png (README.md has more)")
            Foundation.exit(64)
        }
        var translation = NeuralStyleTranslation(arguments: [], notes: [])
        do {
            try checkSubcommandName(Array(CommandLine.arguments.dropFirst()))
            translation = try translatingNeuralStyleArguments(Array(CommandLine.arguments.dropFirst()), gpuIndex: openCLIndexOfGPU)
            for note in translation.notes { printError("gpustyle: note: \(note)") }
            var command = try parseAsRoot(joiningNegativeNumbers(translation.arguments))
            try command.run()
        } catch let error as GPUStyleError {
            FileHandle.standardError.write(Data("gpustyle: error: \(error.message)\n".utf8))
            Foundation.exit(error.kind.exitCode)
        } catch {
            // --help and --version end here too (exit code 0): ArgumentParser prints them.
            let code = exitCode(for: error)
            if code.isSuccess { exit(withError: error) }
            printError("gpustyle: error: \(GPUStyleError.singleLine(translation.inUserSpelling(oneLineMessage(for: error, in: self))))")
            Foundation.exit(code.rawValue)
        }
    }
}

/// A first argument that is not an option must name a subcommand (else ArgumentParser reads `gpustyle stylze` as a
/// stray argument of the default one), and so must `gpustyle help X`; the error suggests the nearest name.
private func checkSubcommandName(_ arguments: [String]) throws {
    let names = GPUStyleCommand.configuration.subcommands.map { $0._commandName }
    var candidate = arguments.first
    if candidate == "help" { candidate = arguments.dropFirst().first }
    guard let word = candidate, !word.hasPrefix("-"), !names.contains(word) else { return }
    func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let above = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = above
            }
        }
        return row[b.count]
    }
    let nearest = names.min { distance(word, $0) < distance(word, $1) }!
    let hint = distance(word, nearest) <= 2 ? "did you mean '\(nearest)'? " : ""
    throw GPUStyleError(.usage, "'\(word)' is not a gpustyle subcommand; \(hint)they are \(names.joined(separator: ", ")) (stylize is the default: `gpustyle --content-image … --style-image …`)")
}

/// The release this build is (`gpustyle --version`).
let gpustyleVersion = "0.9.0"

/// The `gpustyle devices` index of the `n`-th OpenCL GPU (neural-style's `-gpu n`).
private func openCLIndexOfGPU(_ n: Int) throws -> Int {
    let gpus = ((try? OpenCLDevices.list()) ?? []).filter { $0.type == .gpu }
    guard n < gpus.count else {
        throw GPUStyleError(.usage, "-gpu \(n): this machine has \(gpus.count) OpenCL GPU\(gpus.count == 1 ? "" : "s") (`gpustyle devices` lists them); -gpu counts them from 0, and -1 is the CPU")
    }
    return gpus[n].index
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
