// KernelBinaryCache.swift — on-disk cache of built OpenCL program binaries, keyed by source, options, device and driver.
import Foundation

/// Program binaries under `$XDG_CACHE_HOME/gpustyle/kernels` (default `~/.cache/gpustyle/kernels`), one file per
/// key; disabled by `GPUSTYLE_NO_KERNEL_CACHE=1`. Every failure to read or write is ignored (it is only a cache);
/// an entry whose header or checksum does not match is treated as missing and rebuilt.
///
/// File layout: magic `GPUSTYLE-CLBIN-1` (16 bytes), the key (64 hex digits), the binary's length
/// (8 bytes, little-endian), the binary's SHA-256 (32 bytes), then the binary.
struct KernelBinaryCache: Sendable {
    /// Where entries live; `nil` when caching is off.
    let directory: URL?

    private static let magic = Array("GPUSTYLE-CLBIN-1".utf8)
    private static let headerSize = 16 + 64 + 8 + 32

    /// The cache the environment asks for.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> KernelBinaryCache {
        if environment["GPUSTYLE_NO_KERNEL_CACHE"] == "1" { return KernelBinaryCache(directory: nil) }
        guard let base = cacheBase(environment) else { return KernelBinaryCache(directory: nil) }
        return KernelBinaryCache(directory: base.appendingPathComponent("gpustyle/kernels", isDirectory: true))
    }

    /// `$XDG_CACHE_HOME` when absolute, else `$HOME/.cache`, else nil.
    static func cacheBase(_ environment: [String: String]) -> URL? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true)
        } else if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache", isDirectory: true)
        }
        return nil
    }

    /// The key of a program: SHA-256 over everything that changes the binary.
    static func key(source: String, options: String, deviceName: String, driverVersion: String, platformName: String) -> String {
        SHA256("gpustyle-kernel-cache-v1\u{0}\(platformName)\u{0}\(deviceName)\u{0}\(driverVersion)\u{0}\(options)\u{0}\(source)").hex
    }

    /// The binary stored under `key`, or nil when absent, unreadable or damaged.
    func load(key: String) -> [UInt8]? {
        guard let url = fileURL(key), let data = try? Data(contentsOf: url) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count >= Self.headerSize, Array(bytes[0..<16]) == Self.magic,
              Array(bytes[16..<80]) == Array(key.utf8) else { return nil }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[80 + i]) << UInt64(8 * i) }
        guard length > 0, length == UInt64(bytes.count - Self.headerSize) else { return nil }
        let binary = Array(bytes[Self.headerSize...])
        guard SHA256(binary).digest == Array(bytes[88..<120]) else { return nil }
        return binary
    }

    /// Stores `binary` under `key`: written to a temporary file in the same folder, then renamed into place.
    func store(key: String, binary: [UInt8]) {
        guard let directory, let url = fileURL(key), !binary.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch { return }
        var bytes = Self.magic + Array(key.utf8)
        let length = UInt64(binary.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(8 * i))) }
        bytes += SHA256(binary).digest
        bytes += binary
        let temporary = directory.appendingPathComponent(".\(key).\(ProcessInfo.processInfo.processIdentifier).\(UInt64.random(in: 0...UInt64.max)).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(bytes)) else { return }
        if rename(temporary.path, url.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }

    private func fileURL(_ key: String) -> URL? {
        guard let directory, key.utf8.count == 64, key.allSatisfy({ $0.isHexDigit }) else { return nil }
        return directory.appendingPathComponent("\(key).clbin")
    }
}
