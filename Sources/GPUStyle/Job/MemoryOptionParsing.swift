// MemoryOptionParsing.swift — `--max-memory 16G` and `--memory-plan banded:512` as values, with errors that name the option.
import Foundation

/// Bytes in "16G", "16GiB", "16GB", "512M", "1.5T" or "123456789": K/M/G/T and KiB… are powers of 1024, KB/MB/GB/TB
/// powers of 1000 (case-insensitive).
public func parseByteCount(_ text: String, option: String = "--max-memory") throws -> Int {
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    let digits = trimmed.prefix { $0.isNumber || $0 == "." }
    let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
    let scales: [String: Double] = ["": 1, "b": 1, "k": 0x1p10, "kib": 0x1p10, "kb": 1e3, "m": 0x1p20, "mib": 0x1p20, "mb": 1e6,
                                    "g": 0x1p30, "gib": 0x1p30, "gb": 1e9, "t": 0x1p40, "tib": 0x1p40, "tb": 1e12]
    guard let value = Double(digits), let scale = scales[unit], value > 0, value * scale < 0x1p62 else {
        throw GPUStyleError(.usage, "\(option): '\(text)' is not a size; use e.g. 16G (GiB), 16GB (10⁹ bytes) or 512M")
    }
    return Int(value * scale)
}

extension LayoutChoice {
    /// "auto", "keep-all", "compact", "banded" (bands of 512 rows) or "banded:ROWS".
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("auto", 1): self = .auto
        case ("keep-all", 1): self = .fixed(.keepAll)
        case ("compact", 1): self = .fixed(.compact)
        case ("banded", 1): self = .fixed(.banded(rows: 512))
        case ("banded", 2):
            guard let rows = Int(parts[1]), rows >= 1 else {
                throw GPUStyleError(.usage, "--memory-plan \(text): the band height must be a positive number of rows, e.g. banded:512")
            }
            self = .fixed(.banded(rows: rows))
        default:
            throw GPUStyleError(.usage, "--memory-plan \(text): use auto, keep-all, compact, banded or banded:ROWS")
        }
    }
}
