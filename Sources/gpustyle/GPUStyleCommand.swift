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
        signal(SIGPIPE, SIG_IGN)  // a reader that went away: writes fail (and are dropped), the run goes on
        if CommandLine.arguments.count == 1 {  // a bare `gpustyle`: what it can do, not a complaint about --style-image
            printError(helpMessage())
            printError("Start with: gpustyle --content-image PHOTO --style-image PAINTING --output-image OUT.png (README.md has more)")
            Foundation.exit(64)
        }
        var translation = NeuralStyleTranslation(arguments: [], notes: [])
        var running = false  // from here on a command's own progress reports its errors
        // Where the command's progress would be JSON, a command line that does not parse gets its `error` event too.
        let errorEvent = ProgressReporter(style: progressIsJSON(Array(CommandLine.arguments.dropFirst())) ? .json : .none, printEvery: 0)
        do {
            try checkSubcommandName(Array(CommandLine.arguments.dropFirst()))
            translation = try translatingNeuralStyleArguments(Array(CommandLine.arguments.dropFirst()), gpuIndex: openCLIndexOfGPU)
            for note in translation.notes {
                printError("gpustyle: note: \(note)")
                errorEvent.emitJSON(["event": "note", "message": note])
            }
            try checkRepeatedOptions(translation.arguments, spelled: translation.inUserSpelling, origins: translation.origins)
            var command = try parseAsRoot(joiningNegativeNumbers(translation.arguments))
            running = true
            try command.run()
        } catch let error as GPUStyleError {
            if !running { errorEvent.emitError(error) }
            writeStandard("gpustyle: error: \(error.message)\n")
            Foundation.exit(error.kind.exitCode)
        } catch {
            // --help and --version end here too (exit code 0): ArgumentParser prints them.
            let code = exitCode(for: error)
            if code.isSuccess { exit(withError: error) }
            let message = GPUStyleError.singleLine(translation.inUserSpelling(oneLineMessage(for: error, in: self)))
            if !running { errorEvent.emitError(GPUStyleError(.usage, message)) }
            printError("gpustyle: error: \(message)")
            Foundation.exit(code.rawValue)
        }
    }
}

/// Whether the command `arguments` (without the program name) ask for would report progress as JSON: the last
/// `--progress` says `json`, or says `auto` or nothing for a command with progress (stylize, the default, or
/// reconstruct) while stderr is no terminal (`ProgressStyle.resolved`).
private func progressIsJSON(_ arguments: [String]) -> Bool {
    let style = lastValue(of: "--progress", in: arguments).map { ProgressStyle(rawValue: $0) ?? .none } ?? .auto
    guard style == .auto else { return style == .json }
    let subcommand = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 }
    return [nil, "stylize", "reconstruct"].contains(subcommand) && style.resolved == .json
}

/// Words before the first option must name subcommands (else ArgumentParser reads `gpustyle stylze` as a stray
/// argument of the default one, and says only "Unexpected argument"), and so must `gpustyle help X`; the error
/// names the nearest subcommand and lists them.
private func checkSubcommandName(_ arguments: [String]) throws {
    var command: ParsableCommand.Type = GPUStyleCommand.self, path = "gpustyle"
    var rest = arguments[...]
    if rest.first == "help" { rest = rest.dropFirst() }
    while let word = rest.first, !word.hasPrefix("-") {
        let subcommands = command.configuration.subcommands
        guard !subcommands.isEmpty else { return }
        guard let next = subcommands.first(where: { $0._commandName == word }) else {
            let names = subcommands.map { $0._commandName }
            let nearest = names.min { editDistance(word, $0) < editDistance(word, $1) }!
            let hint = editDistance(word, nearest) <= 2 ? "did you mean '\(nearest)'? " : ""
            let defaultNote = command == GPUStyleCommand.self ? " (stylize is the default: `gpustyle --content-image … --style-image …`)" : ""
            throw GPUStyleError(.usage, "'\(word)' is not a \(path) subcommand; \(hint)they are \(names.joined(separator: ", "))\(defaultNote)")
        }
        (command, path, rest) = (next, path + " " + word, rest.dropFirst())
    }
}

/// The Levenshtein distance between `a` and `b` (for "did you mean").
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var diagonal = row[0]
        row[0] = i
        for j in 1...b.count {
            let above = row[j]
            row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
            diagonal = above
        }
    }
    return row[b.count]
}


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
    writeStandard(line + "\n")
}

/// Writes `text` to standard error (`toOutput`: standard output). A closed pipe (`gpustyle … | head -1`) loses the
/// text, not the run: SIGPIPE is ignored and the write's error dropped.
func writeStandard(_ text: String, toOutput: Bool = false) {
    try? (toOutput ? FileHandle.standardOutput : FileHandle.standardError).write(contentsOf: Data(text.utf8))
}
