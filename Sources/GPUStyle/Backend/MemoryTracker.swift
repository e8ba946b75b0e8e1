// MemoryTracker.swift — counts the bytes a backend holds, for the reports' peak device memory.
import Foundation

/// Thread-safe running total and high-water mark of allocated bytes.
final class MemoryTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var stats = MemoryStats()

    var current: MemoryStats { lock.withLock { stats } }

    func allocated(_ bytes: Int) {
        lock.withLock {
            stats.currentBytes += bytes
            stats.peakBytes = max(stats.peakBytes, stats.currentBytes)
        }
    }

    func released(_ bytes: Int) {
        lock.withLock { stats.currentBytes -= bytes }
    }

    func resetPeak() {
        lock.withLock { stats.peakBytes = stats.currentBytes }
    }
}
