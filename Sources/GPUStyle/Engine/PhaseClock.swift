// PhaseClock.swift — optional per-phase timing (forward, backward, Gram/loss, optimiser) for benchmarks.
import Foundation

/// Accumulates wall time per phase. Each boundary waits for the device (`finish`), so timing perturbs
/// throughput slightly: benchmarks measure totals without a clock and phases in a separate pass.
public final class PhaseClock {
    public enum Phase: String, CaseIterable, Sendable {
        case forward, backward, gramLoss = "gram_loss", optimizer
    }

    let backend: Backend
    public private(set) var seconds: [Phase: Double] = [:]

    public init(backend: Backend) { self.backend = backend }

    /// Runs `body`, waits for the device, and charges the elapsed time to `phase`.
    public func measure<T>(_ phase: Phase, _ body: () throws -> T) throws -> T {
        try backend.finish()
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        try backend.finish()
        seconds[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return result
    }

    /// Charges `seconds` to `phase` directly (for a phase measured around nested ones).
    public func add(_ phase: Phase, seconds value: Double) { seconds[phase, default: 0] += value }

    public func reset() { seconds = [:] }
}
