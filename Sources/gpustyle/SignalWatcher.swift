// SignalWatcher.swift — turns SIGINT/SIGTERM into a cancellation the rendering loop polls; a second signal exits.
import Dispatch
import Foundation

/// Watches SIGINT and SIGTERM while alive. The first signal calls `onSignal`; a second restores the default action.
final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "gpustyle.signals")

    init(onSignal: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
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

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
