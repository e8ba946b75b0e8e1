// CommandLineErrors.swift — command-line glue for errors: negative numbers as option values, parse errors on one line.
import ArgumentParser
import Foundation
import GPUStyle

/// The arguments with every `--option -5` written as `--option=-5`, so that a negative number reaches the
/// option (and its range check names the option) instead of being taken for an unknown short option.
func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
    var result: [String] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if argument == "--" { return result + arguments[index...] }
        if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
           looksLikeNegativeNumber(arguments[index + 1]) {
            result.append("\(argument)=\(arguments[index + 1])")
            index += 2
            continue
        }
        result.append(argument)
        index += 1
    }
    return result
}

/// Options of `stylize` (the default subcommand) that may be given more than once (their values add up).
let repeatableStylizeOptions: Set<String> = ["--style-image", "--content-image"]

/// Refuses an option given twice (`--image-size 256 … --image-size 512`): the parser would keep the last without a
/// word, and the one a user meant is unknowable. Names it as the user typed it (`spelled`), with both values; an
/// option made from neural-style words of another meaning (`origins`: `-gpu 1` → `--device 3`) by those words.
func checkRepeatedOptions(_ arguments: [String], spelled: (String) -> String = { $0 }, origins: [Int: OptionWords] = [:]) throws {
    let subcommand = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 }
    let repeatable = subcommand == nil || subcommand == "stylize" ? repeatableStylizeOptions : []
    var seen: [String: (index: Int, value: String?)] = [:]
    for (index, argument) in arguments.enumerated() {
        if argument == "--" { return }
        guard argument.hasPrefix("--"), argument.count > 2 else { continue }
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts[0]
        let value = parts.count == 2 ? parts[1] : index + 1 < arguments.count && !arguments[index + 1].hasPrefix("--") ? arguments[index + 1] : nil
        guard !repeatable.contains(name), !["--help", "--version"].contains(name) else { continue }
        if let earlier = seen[name] {
            // Each occurrence as typed: the neural-style words it was made from, if any (`-gpu -1` for `--backend cpu`).
            let first = origins[earlier.index] ?? OptionWords(option: name, value: earlier.value)
            let second = origins[index] ?? OptionWords(option: name, value: value)
            guard first.option == second.option else {
                throw GPUStyleError(.usage, "'\(first)' and '\(second)' both set \(name); give one of them")
            }
            let values = first.value.map { a in second.value.map { " (\(a), then \($0))" } ?? "" } ?? ""
            throw GPUStyleError(.usage, spelled("'\(first.option)' is given twice\(values); give it once"))
        }
        seen[name] = (index, value)
    }
}

/// "-5", "-0.5", "-.5", "-1e3", "-inf", "-nan", "-1,2" (a list): a minus sign and a digit or point, or a
/// minus sign and something `Double` reads. Short options (`-h`) are left alone.
private func looksLikeNegativeNumber(_ text: String) -> Bool {
    guard text.hasPrefix("-"), text.count > 1 else { return false }
    let second = text[text.index(after: text.startIndex)]
    return second.isNumber || second == "." || Double(text) != nil
}

/// An ArgumentParser error as one line ("The value 'abc' is invalid for '--content-weight <content-weight>'"),
/// without the usage text that follows it.
func oneLineMessage<Command: ParsableCommand>(for error: Error, in command: Command.Type) -> String {
    let lines = command.message(for: error).split(whereSeparator: \.isNewline)
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    var first = lines.first ?? "\(error)"
    if first.hasPrefix("Error: ") { first.removeFirst("Error: ".count) }
    return first
}
