// NeuralStyleArguments.swift — neural-style's own command lines (`-content_image x -gpu -1 …`) rewritten to gpustyle's.

/// A neural-style command line as gpustyle options, and notes on what was dropped or changed.
public struct NeuralStyleTranslation: Equatable, Sendable {
    public var arguments: [String]
    public var notes: [String]
    /// The spelling each passed-through option was given in (`--foo-bar` → `-foo_bar`), for error messages.
    public var spellings: [String: String] = [:]
    /// The neural-style words an option of `arguments` was made from when its meaning changed (index → `-gpu 1`).
    public var origins: [Int: OptionWords] = [:]

    public init(arguments: [String], notes: [String], spellings: [String: String] = [:], origins: [Int: OptionWords] = [:]) {
        (self.arguments, self.notes, self.spellings, self.origins) = (arguments, notes, spellings, origins)
    }

    /// `message` with each rewritten option back in the spelling the user typed.
    public func inUserSpelling(_ message: String) -> String {
        spellings.reduce(message) { $0.replacingOccurrences(of: "'\($1.key)'", with: "'\($1.value)'") }
    }
}

/// An option and its value as typed (`-gpu -1`, `--image-size 256`; a flag has no value).
public struct OptionWords: Equatable, Sendable, CustomStringConvertible {
    public let option: String, value: String?
    public init(option: String, value: String?) { (self.option, self.value) = (option, value) }
    public var description: String { value.map { "\(option) \($0)" } ?? option }
}

/// Rewrites neural-style's single-dash, snake_case options (`-content_image`, `-num_iterations`, …) as gpustyle's
/// `--kebab-case` ones, and maps those whose meaning differs: `-gpu -1` is `--backend cpu`, `-gpu N` the N-th OpenCL
/// GPU (`gpuIndex` maps it to a `--device` index), `-model_file` is `--model`, `-lbfgs_num_correction` is
/// `--lbfgs-history`, `-original_colors 0|1` a flag, `-seed -1` (random) and `-style_blend_weights nil` the defaults,
/// `-learning_rate` is kept with `-optimizer adam` only (neural-style's L-BFGS ignores it) and `-init_image` with
/// `-init image` only (neural-style starts from noise otherwise);
/// `-backend nn|cudnn|clnn`, `-cudnn_autotune` and `-proto_file` are dropped with a note (gpustyle picks its backend,
/// stores tuned tilings, and recognises the architecture from the weights); `-multigpu_strategy` and a list of GPUs
/// are refused. Anything else passes through unchanged, so gpustyle's own spelling keeps working.
public func translatingNeuralStyleArguments(_ arguments: [String], gpuIndex: (Int) throws -> Int) throws -> NeuralStyleTranslation {
    var out: [String] = [], notes: [String] = [], spellings: [String: String] = [:], origins: [Int: OptionWords] = [:]
    var index = 0
    // Options neural-style reads only when another says so (-learning_rate with Adam, -init_image with -init image):
    // where in `out` they go, gpustyle's option, the value, whether the finished arguments keep them, and why not.
    var conditional: [(at: Int, option: String, text: String, keep: ([String]) -> Bool, reason: String)] = []
    func value(of option: String) throws -> String {
        guard index + 1 < arguments.count else { throw GPUStyleError(.usage, "\(option) needs a value (as in neural-style)") }
        index += 1
        return arguments[index]
    }
    while index < arguments.count {
        let argument = arguments[index]
        defer { index += 1 }
        if argument == "--" { out += arguments[index...]; break }
        guard let name = neuralStyleName(argument) else { out.append(argument); continue }
        switch name {
        case "gpu":
            let text = try value(of: argument)
            if text.contains(",") {
                throw GPUStyleError(.usage, "-gpu \(text): neural-style's multi-GPU split is not needed here; gpustyle renders on one device, planning memory to fit large images (see --max-memory and --scales); give one -gpu index")
            }
            guard let gpu = Int(text) else { throw GPUStyleError(.usage, "-gpu \(text): expected a GPU index, or -1 for the CPU") }
            if gpu != 0 { origins[out.count] = OptionWords(option: argument, value: text) }
            if gpu < 0 { out += ["--backend", "cpu"] } else if gpu > 0 { out += ["--device", String(try gpuIndex(gpu))] } else if (try? gpuIndex(0)) == nil {
                notes.append("-gpu 0: this machine has no OpenCL GPU, so the CPU backend runs (-gpu -1 says so without this note)")
            }
        case "backend":
            let text = try value(of: argument)
            if ["nn", "cudnn", "clnn"].contains(text) {
                notes.append("-backend \(text) is neural-style's Torch backend; gpustyle chooses its own (--backend auto: an OpenCL GPU, else the CPU)")
            } else {
                out += ["--backend", text]
            }
        case "cudnn_autotune":
            notes.append("-cudnn_autotune: gpustyle uses the tiling `gpustyle tune` stored for the device, if any")
        case "proto_file":
            _ = try value(of: argument)
            notes.append("-proto_file is not needed: the architecture is recognised from the weights (--architecture forces it)")
        case "multigpu_strategy":
            throw GPUStyleError(.usage, "-multigpu_strategy: gpustyle renders on one device, planning memory to fit large images (see --max-memory and --scales)")
        case "model_file":
            spellings["--model"] = argument
            out += ["--model", try value(of: argument)]
        case "lbfgs_num_correction":
            let text = try value(of: argument)
            if text != "0" { out += ["--lbfgs-history", text] }  // neural-style: 0 keeps the optimiser's default
            spellings["--lbfgs-history"] = argument
        case "original_colors":
            let text = try value(of: argument)
            guard text == "0" || text == "1" else { throw GPUStyleError(.usage, "-original_colors \(text): expected 0 or 1") }
            if text == "1" { out.append("--original-colors") }
        case "seed":
            let text = try value(of: argument)
            if Int(text).map({ $0 >= 0 }) ?? true { out += ["--seed", text] }  // neural-style: a negative seed is random
        case "learning_rate":
            conditional.append((out.count, "--learning-rate", try value(of: argument), { lastValue(of: "--optimizer", in: $0) == "adam" },
                                "neural-style gives it to Adam only (add -optimizer adam), its L-BFGS always takes full steps"))
            spellings["--learning-rate"] = argument
        case "init_image":
            conditional.append((out.count, "--init-image", try value(of: argument), { lastValue(of: "--init", in: $0) == "image" },
                                "neural-style starts from it only with -init image (add that), and from noise otherwise"))
            spellings["--init-image"] = argument
        case "style_blend_weights":
            let text = try value(of: argument)
            if text != "nil" { out += ["--style-blend-weights", text] }
        default:
            let option = "--" + name.replacingOccurrences(of: "_", with: "-")
            spellings[option] = argument
            // As typed, for an error that finds it twice (`-image_size 256 --image-size 512`).
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            origins[out.count] = OptionWords(option: argument, value: next.flatMap { !$0.hasPrefix("-") || Double($0) != nil ? $0 : nil })
            out.append(option)
        }
    }
    let decided = out
    for option in conditional where !option.keep(decided) {
        notes.append("\(spellings[option.option] ?? option.option) \(option.text) is dropped: \(option.reason)")
    }
    for option in conditional.reversed() where option.keep(decided) {  // the last first: earlier positions still hold
        out.insert(contentsOf: [option.option, option.text], at: option.at)
        origins = Dictionary(uniqueKeysWithValues: origins.map { ($0.key >= option.at ? $0.key + 2 : $0.key, $0.value) })
    }
    return NeuralStyleTranslation(arguments: out, notes: notes, spellings: spellings, origins: origins)
}

/// The value the last `option` (`--option V` or `--option=V`) among gpustyle `arguments` gives, before any `--`.
public func lastValue(of option: String, in arguments: [String]) -> String? {
    var value: String?
    for (i, argument) in arguments.enumerated() {
        if argument == "--" { break }
        if argument == option, i + 1 < arguments.count { value = arguments[i + 1] }
        if argument.hasPrefix(option + "=") { value = String(argument.dropFirst(option.count + 1)) }
    }
    return value
}

/// `content_image` for "-content_image": a single dash, then a lower-case word (not a number such as -1 or -inf,
/// not a one-letter short option such as -h).
private func neuralStyleName(_ argument: String) -> String? {
    guard argument.hasPrefix("-"), !argument.hasPrefix("--"), argument.count > 2, Double(argument) == nil else { return nil }
    let name = argument.dropFirst()
    guard let first = name.first, first.isLowercase, first.isASCII,
          name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }) else { return nil }
    return String(name)
}
