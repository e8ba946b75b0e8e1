// SignalWatcher.swift — turns SIGINT/SIGTERM/SIGHUP into a cancellation the rendering loop polls; a second signal exits.
import Dispatch
import Foundation

/// Watches SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session) while alive. The first signal calls `onSignal`; a second restores the default action.
final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "gpustyle.signals")

    init(onSignal: @escaping @Sendable () -> Void) {
        for number in Self.watched {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            var seen = false
            source.setEventHandler {
                if seen { signal(number, SIG_DFL); raise(number) }
                seen = true
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
