// GemmTiling.swift — winograd.cl's GEMM tile sizes (-D options), FP32 or on tensor cores, and their validity.
import Foundation

/// winograd.cl's GEMM tile sizes. The defaults match its `#define`s.
public struct GemmTiling: Sendable, Equatable {
    /// Output channels × tiles per work-group, input channels per local-memory step.
    public var outChannels = 64, tiles = 128, depth = 8
    /// Register block of each work-item: output channels × tiles.
    public var channelsPerItem = 8, tilesPerItem = 8
    /// Issue the next step's global loads before this step's arithmetic.
    public var prefetch = false
    /// FP32 FMAs, or tensor cores (then one warp of 32 work-items spans `tiles`: `tiles / tilesPerItem` = 32, and
    /// each row of work-items is one warp).
    public var precision = GemmPrecision.fp32

    public init(outChannels: Int = 64, tiles: Int = 128, depth: Int = 8, channelsPerItem: Int = 8, tilesPerItem: Int = 8,
                prefetch: Bool = false, precision: GemmPrecision = .fp32) {
        self.outChannels = outChannels
        self.tiles = tiles
        self.depth = depth
        self.channelsPerItem = channelsPerItem
        self.tilesPerItem = tilesPerItem
        self.prefetch = prefetch
        self.precision = precision
    }

    /// The tensor-core GEMM: `outChannels` × `tiles` per work-group of `warps` warps (32 work-items each), `depth`
    /// channels per step; by default 64 × 64 × 16 with 4 warps (each 32 channels × 32 tiles).
    public static func tensorCores(_ precision: GemmPrecision, outChannels: Int = 64, tiles: Int = 64, depth: Int = 16,
                                   warps: Int = 4) -> GemmTiling {
        GemmTiling(outChannels: outChannels, tiles: tiles, depth: depth, channelsPerItem: max(1, outChannels / max(warps, 1)),
                   tilesPerItem: max(1, tiles / 32), prefetch: true, precision: precision)
    }

    /// `tensorCores(precision)`, or the `GPUSTYLE_TENSOR_TILING=CHANNELS,TILES,DEPTH,WARPS` environment asks for
    /// (to compare tilings on a GPU without a rebuild). Throws `.usage` for text that is not four numbers or a tiling
    /// the kernel cannot take.
    public static func tensorCores(_ precision: GemmPrecision, environment: [String: String]) throws -> GemmTiling {
        guard let text = environment["GPUSTYLE_TENSOR_TILING"], !text.isEmpty else { return tensorCores(precision) }
        let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        let tiling = numbers.count == 4 && numbers.allSatisfy({ ($0 ?? 0) > 0 })
            ? tensorCores(precision, outChannels: numbers[0]!, tiles: numbers[1]!, depth: numbers[2]!, warps: numbers[3]!) : nil
        guard let tiling, tiling.isValid, tiling.narrow.isValid, tiling.warps == numbers[3]! else {
            throw GPUStyleError(.usage, "GPUSTYLE_TENSOR_TILING='\(text)' is not CHANNELS,TILES,DEPTH,WARPS with TILES a multiple of 32, DEPTH of 8, and CHANNELS a multiple of 16 × the warps down (WARPS / (TILES / 32)), and its 32-tile variant too (CHANNELS a multiple of 16 × WARPS), e.g. 64,64,16,4")
        }
        return tiling
    }

    /// Tensor-core tilings for `gpustyle tune --precision`: the default first, then 32–128 channels × 32–128 tiles,
    /// depth 8–32 and 2–8 warps that the kernel takes and the device fits, 64–256 work-items, at most 64 accumulators
    /// per work-item (warp tiles of at most 64 channels × 32 tiles).
    public static func tensorCandidates(_ precision: GemmPrecision, maxWorkGroupSize: Int, localMemoryBytes: Int,
                                        quick: Bool = false) -> [GemmTiling] {
        var result = [tensorCores(precision)]
        let sides = quick ? [64, 128] : [32, 64, 128]
        for m in sides {
            for n in sides {
                for depth in quick ? [16, 32] : [8, 16, 32] {
                    for warps in [2, 4, 8] {
                        let t = tensorCores(precision, outChannels: m, tiles: n, depth: depth, warps: warps)
                        // Each warp covers 32 tiles and m / (warps / (n / 32)) channels.
                        guard t.isValid, t.narrow.isValid, t.warps == warps, m * (n / 32) / warps <= 64,
                              (64...256).contains(t.threads), t.threads <= maxWorkGroupSize, t.localBytes <= localMemoryBytes,
                              !result.contains(t) else { continue }
                        result.append(t)
                    }
                }
            }
        }
        return result
    }

    /// The same GEMM for 32 tiles at a time (4 per item; tensor cores: one warp across), for layers with few tiles:
    /// it shares the channel tile and depth, so it runs on the same padded weights.
    public var narrow: GemmTiling {
        GemmTiling(outChannels: outChannels, tiles: 32, depth: depth, channelsPerItem: channelsPerItem,
                   tilesPerItem: precision == .fp32 ? 4 : 1, prefetch: prefetch, precision: precision)
    }

    /// Whether this GEMM suits `count` tiles: it is no wider than the narrow one, or padded to its tile count they at
    /// most double (else the narrow one runs).
    func suits(tiles count: Int) -> Bool { tiles <= narrow.tiles || (count + tiles - 1) / tiles * tiles <= 2 * count }

    /// Work-items per work-group.
    public var threads: Int { (outChannels / channelsPerItem) * (tiles / tilesPerItem) }
    /// Warps of 32 work-items per work-group (the tensor-core GEMM's unit).
    public var warps: Int { threads / 32 }
    /// Local memory one work-group of the GEMM uses, in bytes (the tensor-core path pads each row by 8 words).
    public var localBytes: Int {
        let pad = precision == .fp32 ? 0 : 8
        return 4 * depth * (outChannels + tiles + 2 * pad) + 16
    }

    public var buildOptions: String {
        "-D GEMM_M=\(outChannels) -D GEMM_N=\(tiles) -D GEMM_D=\(depth) -D GEMM_RM=\(channelsPerItem) -D GEMM_RN=\(tilesPerItem) -D GEMM_PREFETCH=\(prefetch ? 1 : 0)"
            + (precision == .fp32 ? "" : " -D GEMM_MMA=\(precision.tensorProducts)")
    }

    /// "64 ch × 128 tiles × 8, 8×8 per item" (+ ", prefetch"); tensor cores: "64 ch × 64 tiles × 16, 4 warps, prefetch,
    /// tensor cores tf32x3".
    public var summary: String {
        let items = precision == .fp32 ? "\(channelsPerItem)×\(tilesPerItem) per item" : "\(warps) warps"
        return "\(outChannels) ch × \(tiles) tiles × \(depth), \(items)" + (prefetch ? ", prefetch" : "")
            + (precision == .fp32 ? "" : ", tensor cores \(precision.rawValue)")
    }

    /// Whether the sizes fit the kernel: every dimension a multiple of its register block and of 4; for tensor cores,
    /// 32 work-items across, 16-channel warp tiles and a depth of whole 8-channel steps.
    var isValid: Bool {
        guard [outChannels, tiles, depth, channelsPerItem, tilesPerItem].allSatisfy({ $0 > 0 && $0 <= 1024 }),
              outChannels % channelsPerItem == 0, tiles % tilesPerItem == 0, outChannels % 4 == 0, tiles % 4 == 0 else { return false }
        guard precision != .fp32 else { return true }
        let warps = outChannels / channelsPerItem, warpsAcross = tiles / 32
        return tiles / tilesPerItem == 32 && tiles % 32 == 0 && depth % 8 == 0 && warps % warpsAcross == 0
            && outChannels % (16 * (warps / warpsAcross)) == 0
    }
}

extension GemmTiling: Codable {
    private enum CodingKeys: String, CodingKey { case outChannels, tiles, depth, channelsPerItem, tilesPerItem, prefetch, precision }

    /// Decodes a stored tiling; files from before `precision` existed are FP32.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(outChannels: try c.decode(Int.self, forKey: .outChannels), tiles: try c.decode(Int.self, forKey: .tiles),
                  depth: try c.decode(Int.self, forKey: .depth), channelsPerItem: try c.decode(Int.self, forKey: .channelsPerItem),
                  tilesPerItem: try c.decode(Int.self, forKey: .tilesPerItem), prefetch: try c.decode(Bool.self, forKey: .prefetch),
                  precision: try c.decodeIfPresent(GemmPrecision.self, forKey: .precision) ?? .fp32)
    }
}
