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
        case interrupted // SIGINT/SIGTERM
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
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
