// SignalWatcher.swift — turns SIGINT/SIGTERM/SIGHUP into a cancellation the rendering loop polls; a second signal exits.
import Dispatch
import Foundation
import GPUStyle

/// Watches SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session) while alive. The first signal calls
/// `onSignal`; a second one, of any of them, exits at once with 128 + its number (as the default action would).
final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "gpustyle.signals")

    /// Whether a signal came already; touched only on `queue`.
    private final class Seen: @unchecked Sendable { var any = false }

    init(onSignal: @escaping @Sendable () -> Void) {
        let seen = Seen()
        for number in Self.watched {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if seen.any {
                    // raise() after SIG_DFL would stay pending (the signal is blocked where dispatch watches it).
                    let note = "gpustyle: second signal (\(String(cString: strsignal(number)))): exiting now\n"
                    _ = note.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
                    _exit(128 + number)
                }
                seen.any = true
                onSignal()
            }
            source.resume()
            sources.append(source)
        }
    }

    private static let watched = [SIGINT, SIGTERM, SIGHUP]

    deinit {
        for source in sources { source.cancel() }
        for number in Self.watched { signal(number, SIG_DFL) }
    }
}

extension CancellationFlag {
    /// Opens the device and reads the model; a signal meanwhile (this flag, set by a `SignalWatcher`) stops the run once
    /// each is done, as `.interrupted`, before anything is rendered or written.
    func openDeviceAndModel(_ backendOptions: BackendOptions, _ model: ModelOptions) throws -> (Backend, Model) {
        let backend = try backendOptions.makeBackend()
        try stopIfSet(while: "the device was opened")
        let loaded = try model.load()
        try stopIfSet(while: "the model was read")
        return (backend, loaded)
    }

    private func stopIfSet(while stage: String) throws {
        if isSet { throw GPUStyleError(.interrupted, "interrupted while \(stage), before rendering; nothing was written") }
    }
}
