// CPUParallel.swift — runs the CPU backend's loops on a fixed number of threads (GCD workers pulling task indices).
import Dispatch
import Synchronization

/// Splits loops over `threads` threads. Tasks are handed out one index at a time from a shared counter, so
/// uneven tasks balance; with one thread (or one task) everything runs in the caller, in order.
struct CPUParallel: Sendable {
    /// Threads used at most (≥ 1).
    let threads: Int

    init(threads: Int) { self.threads = max(1, threads) }

    /// Calls `body(i)` once for every i in 0..<count, on up to `threads` threads; returns when all are done.
    func forEach(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        // The tasks touch disjoint memory by contract; the box only carries the closure to the workers.
        withoutActuallyEscaping(body) { body in
            let task = UncheckedTask(body: body)
            let next = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if i >= count { break }
                    task.body(i)
                }
            }
        }
    }

    /// Cuts 0..<total into contiguous ranges of at least `grain` elements (at most 64 of them; the cut depends
    /// only on `total` and `grain`, so reductions give the same result on any thread count) and calls `body`
    /// on each, in parallel.
    func forRanges(_ total: Int, grain: Int = 1 << 15, _ body: (Int, Range<Int>) -> Void) {
        guard total > 0 else { return }
        let pieces = Self.pieces(total, grain: grain)
        let step = (total + pieces - 1) / pieces
        forEach(pieces) { p in
            let lo = p * step, hi = min(total, lo + step)
            if lo < hi { body(p, lo..<hi) }
        }
    }

    /// Σ over the `forRanges` pieces of `part(range)`, added in piece order.
    func sum(_ total: Int, grain: Int = 1 << 15, _ part: (Range<Int>) -> Double) -> Double {
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: Self.pieces(total, grain: grain))
        defer { partial.deallocate() }
        partial.initialize(repeating: 0)
        forRanges(total, grain: grain) { p, range in partial[p] = part(range) }
        return partial.reduce(0, +)
    }

    static func pieces(_ total: Int, grain: Int) -> Int { max(1, min(64, total / max(1, grain))) }
}

/// A task body handed to worker threads; callers guarantee that concurrent calls touch disjoint memory.
private struct UncheckedTask: @unchecked Sendable {
    let body: (Int) -> Void
}
