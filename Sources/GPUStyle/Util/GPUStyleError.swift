// GPUStyleError.swift — the one error type: what went wrong, where, and what to do; mapped to exit codes.

/// An error that says what went wrong (naming the file, tensor, layer, option or OpenCL call) and,
/// where there is one, what to do about it.
public struct GPUStyleError: Error, CustomStringConvertible, Sendable {
    /// What area failed; decides the process exit code.
    public enum Kind: String, Sendable {
        case usage       // bad option or option combination
        case image       // unreadable/unwritable image
        case weights     // unreadable, malformed or mismatched model file
        case opencl      // OpenCL platform, build or runtime failure
        case numerics    // non-finite loss or gradient that recovery could not fix
        case io          // other file-system failure
        case interrupted // SIGINT/SIGTERM/SIGHUP
        case `internal`  // a bug

        /// Process exit code for this kind (1…127, never a signal number).
        public var exitCode: Int32 {
            switch self {
            case .usage: return 64
            case .image: return 65
            case .weights: return 66
            case .opencl: return 69
            case .numerics: return 70
            case .io: return 74
            case .interrupted: return 75
            case .internal: return 71
            }
        }
    }

    public let kind: Kind
    /// What went wrong. For the input kinds (`.usage`, `.image`, `.weights`) always a single line:
    /// control characters that came from the input (a tensor name holding a newline, an escape
    /// sequence in a chunk type) are shown escaped (`\n`, `\u{1B}`).
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = [.usage, .image, .weights].contains(kind) ? GPUStyleError.singleLine(message) : message
    }

    /// `text` with every control character and line or paragraph separator escaped.
    public static func singleLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where needsEscape(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    public var description: String { message }
}
