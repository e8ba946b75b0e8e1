// ConvTuningStore.swift — the convolution tiling `gpustyle tune` measured best, kept per device, driver and kernel source.
import Foundation
import Kernels

/// What `gpustyle tune` found for one device: the tiling and how fast it and the built-in default were.
public struct StoredConvTuning: Codable, Sendable, Equatable {
    public var device: String
    public var platform: String
    public var driver: String
    public var tuning: ConvTuning
    /// The workload timed (VGG19's convolutions to conv5_1, forward and input-gradient) and its side in pixels.
    public var imageSize: Int
    /// Milliseconds for that workload with `tuning` and with the built-in default tiling.
    public var milliseconds: Double
    /// nil when the default tiling was not timed (not among the candidates, or it failed).
    public var defaultMilliseconds: Double?
    public var candidatesTried: Int
    /// ISO 8601 time of the measurement.
    public var measuredAt: String
}

/// Stored tilings under `$XDG_CACHE_HOME/gpustyle/tuning` (default `~/.cache/gpustyle/tuning`), one JSON file per
/// device, driver and `conv.cl` + `winograd.cl` source, so a driver update or a changed kernel starts from the default again.
/// `GPUSTYLE_NO_TUNING=1` ignores stored tilings (the default tiling is used). Unreadable files count as absent.
public struct ConvTuningStore: Sendable {
    /// Where files live; `nil` when stored tilings are off.
    public let directory: URL?

    public init(directory: URL?) { self.directory = directory }

    private static let off = GPUStyleError(.usage, "stored tilings are off (GPUSTYLE_NO_TUNING=1, or no HOME or XDG_CACHE_HOME): unset GPUSTYLE_NO_TUNING or set XDG_CACHE_HOME to save the tuning")

    /// The folder, created if missing.
    private func createdDirectory() throws -> URL {
        guard let directory else { throw Self.off }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw GPUStyleError(.io, "\(directory.path): cannot create the tuning folder (\(error.localizedDescription)); check its permissions or set XDG_CACHE_HOME")
        }
        return directory
    }

    /// Throws now what `save` would at the end of a tuning: stored tilings off, or a folder that takes no file.
    public func checkWritable() throws {
        let directory = try createdDirectory()
        do {
            try StylizeOptions.checkWritable(directory.appendingPathComponent("conv-probe.json").path, option: "the tuning folder")
        } catch let error as GPUStyleError {
            throw GPUStyleError(.io, "\(error.message); set XDG_CACHE_HOME to a writable folder, or pass --dry-run")
        }
    }

    /// The store the environment asks for.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ConvTuningStore {
        if environment["GPUSTYLE_NO_TUNING"] == "1" { return ConvTuningStore(directory: nil) }
        guard let base = KernelBinaryCache.cacheBase(environment) else { return ConvTuningStore(directory: nil) }
        return ConvTuningStore(directory: base.appendingPathComponent("gpustyle/tuning", isDirectory: true))
    }

    /// The file for `device` and the GEMM's `precision`: a hash of its name, platform, driver and the convolution
    /// kernels' sources. FP32 tunings hold the whole tiling; tensor-core ones (`tune --precision`) their GEMM.
    public func fileURL(for device: OpenCLDeviceInfo, precision: GemmPrecision = .fp32) -> URL? {
        let sources = (KernelSources.program("conv") ?? "") + "\u{0}" + (KernelSources.program("winograd") ?? "")
        let key = SHA256("gpustyle-conv-tuning-v2\u{0}\(device.platformName)\u{0}\(device.name)\u{0}\(device.driverVersion)\u{0}\(sources)").hex
        let kind = precision == .fp32 ? "" : "\(precision.rawValue)-"
        return directory?.appendingPathComponent("conv-\(kind)\(key.prefix(32)).json")
    }

    /// The stored tiling for `device` and `precision`, or nil when there is none, it is unreadable, or it names
    /// another device or precision.
    public func load(for device: OpenCLDeviceInfo, precision: GemmPrecision = .fp32) -> StoredConvTuning? {
        guard let url = fileURL(for: device, precision: precision), let data = try? Data(contentsOf: url),
              let stored = try? JSONDecoder().decode(StoredConvTuning.self, from: data),
              stored.device == device.name, stored.driver == device.driverVersion, stored.platform == device.platformName,
              stored.tuning.gemm.precision == precision
        else { return nil }
        return stored
    }

    /// Writes `stored` for `device` (under its GEMM's precision) atomically; returns the file's path.
    @discardableResult
    public func save(_ stored: StoredConvTuning, for device: OpenCLDeviceInfo) throws -> String {
        _ = try createdDirectory()
        guard let url = fileURL(for: device, precision: stored.tuning.gemm.precision) else { throw Self.off }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(stored), to: url.path)
        return url.path
    }
}
