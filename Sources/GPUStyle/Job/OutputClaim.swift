// OutputClaim.swift — a claim on one output of a batch, so several processes given the same folder share its images.
import Foundation

/// A hidden `.NAME.claim` file beside an output, created with `O_EXCL` and holding the claimant's host name and pid:
/// with `--skip-existing`, a batch renders an image only if it takes the claim, so processes started on the same
/// folder (one per GPU, say) each take the next free image. Released (removed) when the image is done or failed; a
/// claim whose process is gone (same host, no such pid) is taken over.
final class OutputClaim {
    let path: String
    private var held = true

    private init(path: String) { self.path = path }

    /// The claim file of `output`: in its folder, hidden, at most 200 bytes of its name.
    static func path(for output: String) -> String { output.hiddenSibling(suffix: ".claim") }

    /// Takes the claim on `output`; nil when a live process holds it. A claim that cannot be made for another reason
    /// (a read-only folder) is no claim: the job renders unclaimed, as without other processes.
    static func take(for output: String) -> OutputClaim? {
        let path = path(for: output)
        for _ in 0..<2 {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let owner = "\(hostName) \(getpid())\n"
                _ = owner.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
                close(fd)
                return OutputClaim(path: path)
            }
            guard errno == EEXIST else { return OutputClaim(path: "") }
            guard isStale(path) else { return nil }
            unlink(path)  // its process is gone: take it over (once)
        }
        return nil
    }

    /// Whether the claim at `path` was made on this host by a process that no longer runs (or cannot be read).
    static func isStale(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count == 2, let pid = Int32(words[1]) else { return false }  // being written: not stale
        return String(words[0]) == hostName && kill(pid, 0) != 0 && errno == ESRCH
    }

    private static var hostName: String { ProcessInfo.processInfo.hostName }

    func release() {
        if held && !path.isEmpty { unlink(path) }
        held = false
    }

    deinit { release() }
}
