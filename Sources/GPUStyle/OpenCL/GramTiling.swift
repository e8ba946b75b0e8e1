// GramTiling.swift — gram.cl's tile sizes, passed as -D options so Swift and the kernels agree.
import Foundation

/// The Gram product's tiling: forward (`gram_partial`: TILE×TILE entries per work-group, DEPTH pixels per
/// local-memory step, PER_ITEM×PER_ITEM entries per work-item) and gradient (`gram_backward`: SIDE×SIDE work-items,
/// ROWS×COLUMNS outputs each, BACKWARD_DEPTH channels per step). `GPUSTYLE_GRAM_TILING=TILE,DEPTH,PER_ITEM,ROWS,COLUMNS,
/// SIDE,BACKWARD_DEPTH` replaces the default, for experiments (benchmarks/device_run.sh profiles a few on a GPU).
public struct GramTiling: Equatable, Sendable {
    /// Default 64,16,8,4,8,16,16: 8×8 Gram entries and 4×8 gradient outputs per work-item, so each local-memory
    /// load feeds 4 and 2.7 FMAs (2×2 and 2×4 before: 1 and 1.3; on PoCL at 256² the gradient took 47% less time).
    public var tile = 64, depth = 16, perItem = 8
    public var backwardRows = 4, backwardColumns = 8, backwardSide = 16, backwardDepth = 16
    /// Most floats the split-K partials may take (64 MiB).
    static let maxPartials = 16 << 20

    public init() {}

    /// "TILE,DEPTH,PER_ITEM,ROWS,COLUMNS,SIDE,BACKWARD_DEPTH", e.g. "64,16,8,4,8,16,16" (the default).
    public init(parsing text: String) throws {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 7, values.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 256 }) else {
            throw GPUStyleError(.usage, "GPUSTYLE_GRAM_TILING '\(text)': expected 7 whole numbers 1…256: TILE,DEPTH,PER_ITEM,ROWS,COLUMNS,SIDE,BACKWARD_DEPTH (default 64,16,8,4,8,16,16)")
        }
        let v = values.map { $0! }
        (tile, depth, perItem, backwardRows, backwardColumns, backwardSide, backwardDepth) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        guard tile % perItem == 0 else {
            throw GPUStyleError(.usage, "GPUSTYLE_GRAM_TILING '\(text)': TILE (\(tile)) must be a multiple of PER_ITEM (\(perItem))")
        }
    }

    /// The default, or `GPUSTYLE_GRAM_TILING` when set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GramTiling {
        guard let text = environment["GPUSTYLE_GRAM_TILING"], !text.isEmpty else { return GramTiling() }
        return try GramTiling(parsing: text)
    }

    /// Work-items per side of a forward work-group.
    var side: Int { tile / perItem }

    var buildOptions: String {
        "-D GRAM_TILE=\(tile) -D GRAM_K=\(depth) -D GRAM_WPT=\(perItem) -D GRADF_ROWS=\(backwardRows) "
            + "-D GRADF_COLS=\(backwardColumns) -D GRADF_SIDE=\(backwardSide) -D GRADF_K=\(backwardDepth)"
    }

    public var summary: String {
        "gram \(tile)² × \(depth), \(perItem)×\(perItem) per item; gradient \(backwardSide * backwardRows)×\(backwardSide * backwardColumns) × \(backwardDepth), \(backwardRows)×\(backwardColumns) per item"
    }

    /// Throws `.opencl` when a work-group would exceed the device's size or local memory.
    func validate(maxWorkGroupSize: Int, localMemoryBytes: Int) throws {
        // gram.cl's local arrays, in whole float4s: rows padded by 4 (the GPU layout's alignment; CPU devices use 1).
        func float4Bytes(_ floats: Int) -> Int { (floats + 3) / 4 * 16 }
        let forwardLocal = 2 * float4Bytes(depth * (tile + 4))
        let backwardLocal = float4Bytes(backwardDepth * (backwardSide * backwardRows + 4)) + float4Bytes(backwardDepth * backwardSide * backwardColumns)
        guard side * side <= maxWorkGroupSize, backwardSide * backwardSide <= maxWorkGroupSize,
              max(forwardLocal, backwardLocal) <= localMemoryBytes else {
            throw GPUStyleError(.opencl, "Gram tiling (\(summary)) needs work-groups of \(max(side * side, backwardSide * backwardSide)) items and \(max(forwardLocal, backwardLocal)) bytes of local memory; this device allows \(maxWorkGroupSize) and \(localMemoryBytes): change GPUSTYLE_GRAM_TILING")
        }
    }
}
