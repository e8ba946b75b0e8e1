// RunReport.swift — the JSON written by --report: what ran where, how long it took, and the loss history.
import Foundation

/// One row of the loss history (weighted sums, as printed).
public struct LossRecord: Codable, Sendable, Equatable {
    public let iteration: Int
    public let content: Double
    public let style: Double
    public let tv: Double
    public let total: Double

    public init(iteration: Int, losses: LossBreakdown) {
        self.iteration = iteration
        content = losses.content
        style = losses.style
        tv = losses.tv
        total = losses.total
    }
}

/// The report of a stylisation (`--report FILE`).
public struct RunReport: Codable, Sendable {
    public var backend: String
    public var device: String
    public var model: String
    public var width: Int
    public var height: Int
    public var iterations: Int
    public var seconds: Double
    public var secondsPerIteration: Double
    public var peakDeviceMemoryBytes: Int
    /// Iteration 1, every print interval, and the last.
    public var history: [LossRecord]
    public var final: LossRecord
    public var seed: UInt64
    public var optimizer: String
    public var output: String
    /// Non-finite steps that were rejected and retried.
    public var recoveries: Int

    enum CodingKeys: String, CodingKey {
        case backend, device, model, width, height, iterations, seconds
        case secondsPerIteration = "seconds_per_iteration"
        case peakDeviceMemoryBytes = "peak_device_memory_bytes"
        case history, final, seed, optimizer, output, recoveries
    }

    /// Pretty-printed JSON, keys sorted.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
