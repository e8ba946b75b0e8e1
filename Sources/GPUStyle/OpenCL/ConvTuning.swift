// ConvTuning.swift — how the OpenCL backend convolves: the algorithm, conv.cl's tile sizes and the Winograd GEMM's (-D options).
import Foundation

/// How the OpenCL backend computes 3×3 convolutions.
public enum ConvAlgorithm: String, Sendable, Codable, CaseIterable {
    /// conv.cl's direct kernel for every convolution.
    case direct
    /// winograd.cl (F(4×4, 3×3) as 36 batched GEMMs; 4× fewer multiplies) where both sides have at least
    /// `ConvTuning.winogradMinChannels` channels; conv.cl for the rest (the layer on the RGB image).
    case winograd
}

/// How the OpenCL backend convolves. The defaults match the `#define`s in `conv.cl` and `winograd.cl`.
public struct ConvTuning: Sendable, Equatable, Codable {
    /// Fewest input and output channels a convolution needs for the Winograd path (fewer pad the GEMM too much).
    public static let winogradMinChannels = 16

    public var algorithm: ConvAlgorithm = .winograd
    /// Output pixels per work-group of the direct kernel: `tileWidth × tileHeight`.
    public var tileWidth = 16
    public var tileHeight = 8
    /// Output channels per work-group.
    public var tileOutChannels = 32
    /// Input channels staged in local memory at a time.
    public var chunkInChannels = 8
    /// Register block of each work-item: pixels × output channels.
    public var pixelsPerItem = 8
    public var channelsPerItem = 8
    /// The GEMM of the Winograd path.
    public var gemm = GemmTiling()
    /// Target Winograd scratch per chunk of tiles, in bytes (nil: as much as the scratch holds, 1/128 of the device's
    /// memory up to 512 MiB). A chunk whose transformed input and products fit the GPU's last-level cache stays there
    /// between the three kernels instead of going through device memory. A layer whose transformed weights are larger
    /// targets their size instead (every chunk reads them all); chunks are whole GEMM tiles of tiles, at least one, so
    /// a chunk may come out somewhat below the target or, for one GEMM tile, above it.
    public var winogradChunkBytes: Int?

    public init(tileWidth: Int = 16, tileHeight: Int = 8, tileOutChannels: Int = 32, chunkInChannels: Int = 8,
                pixelsPerItem: Int = 8, channelsPerItem: Int = 8, algorithm: ConvAlgorithm = .winograd, gemm: GemmTiling = GemmTiling()) {
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.tileOutChannels = tileOutChannels
        self.chunkInChannels = chunkInChannels
        self.pixelsPerItem = pixelsPerItem
        self.channelsPerItem = channelsPerItem
        self.algorithm = algorithm
        self.gemm = gemm
    }

    /// Most output channels a direct convolution may have to run as `narrowOutput` (the RGB image's gradient: 3).
    public static let narrowOutputChannels = 4

    /// The direct tiling for convolutions with at most `narrowOutputChannels` outputs: 4 output channels per
    /// work-group instead of `tileOutChannels` (32 by default, 29 of them padding for 3), and a wider pixel tile
    /// (32×8, 4 pixels per item) to keep 64 work-items. Same input chunk.
    public var narrowOutput: ConvTuning {
        ConvTuning(tileWidth: 32, tileHeight: 8, tileOutChannels: 4, chunkInChannels: chunkInChannels, pixelsPerItem: 4,
                   channelsPerItem: 4, algorithm: .direct, gemm: gemm)
    }

    /// Whether a direct convolution to `outChannels` uses `narrowOutput`.
    func usesNarrowOutput(outChannels: Int) -> Bool { outChannels <= Self.narrowOutputChannels }

    /// Whether a convolution from `inChannels` to `outChannels` runs through winograd.cl.
    func usesWinograd(inChannels: Int, outChannels: Int) -> Bool {
        algorithm == .winograd && min(inChannels, outChannels) >= Self.winogradMinChannels
    }

    /// "winograd GEMM 64 ch × 128 tiles × 8, 8×8 per item; direct 16×8 px × 32 ch, chunk 8, 8×8 per item".
    public var summary: String {
        let direct = "direct \(tileWidth)×\(tileHeight) px × \(tileOutChannels) ch, chunk \(chunkInChannels), \(pixelsPerItem)×\(channelsPerItem) per item"
        return algorithm == .winograd ? "\(winogradSummary); \(direct)" : direct
    }

    /// "winograd GEMM 64 ch × 128 tiles × 8, 8×8 per item, tile chunks ≤ 32 MiB".
    public var winogradSummary: String {
        "winograd GEMM \(gemm.summary)" + (winogradChunkBytes.map { ", tile chunks ≤ \(Self.mebibytes($0))" } ?? "")
    }

    /// `GPUSTYLE_WINOGRAD_CHUNK`: a chunk size to try ("32M", "24MiB", …; `max` for the whole scratch), or nil when
    /// unset. Throws `.usage` for anything else or less than 1 MiB.
    static func chunkBytesFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int?? {
        guard let text = environment["GPUSTYLE_WINOGRAD_CHUNK"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if text.lowercased() == "max" { return .some(nil) }
        let bytes = try parseByteCount(text, option: "GPUSTYLE_WINOGRAD_CHUNK")
        guard bytes >= 1 << 20 else {
            throw GPUStyleError(.usage, "GPUSTYLE_WINOGRAD_CHUNK=\(text): use a size of at least 1M (e.g. 32M), or max")
        }
        return .some(bytes)
    }

    /// "24 MiB", or "1000000 bytes" for sizes that are not whole MiB.
    static func mebibytes(_ bytes: Int) -> String { bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes" }

    /// Work-items per work-group of the direct kernel.
    public var threads: Int { (tileWidth * tileHeight / pixelsPerItem) * (tileOutChannels / channelsPerItem) }

    /// Local memory one work-group of the direct kernel uses, in bytes.
    public var localBytes: Int { 4 * chunkInChannels * ((tileWidth + 2) * (tileHeight + 2) + 9 * tileOutChannels) + 16 }

    public var buildOptions: String {
        "-D TILE_W=\(tileWidth) -D TILE_H=\(tileHeight) -D TILE_K=\(tileOutChannels) -D CHUNK_C=\(chunkInChannels) "
            + "-D WPT_P=\(pixelsPerItem) -D WPT_K=\(channelsPerItem)"
    }

    /// Checks the divisibility rules of `conv.cl` (and `winograd.cl` when used) and the device's limits.
    func validate(maxWorkGroupSize: Int, localMemoryBytes: Int) throws {
        let sizes = [tileWidth, tileHeight, tileOutChannels, chunkInChannels, pixelsPerItem, channelsPerItem]
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1024 }),
              (tileWidth * tileHeight) % pixelsPerItem == 0, tileOutChannels % channelsPerItem == 0 else {
            throw GPUStyleError(.internal, "invalid convolution tiling \(buildOptions)")
        }
        for t in [self, narrowOutput] where t.threads > maxWorkGroupSize || t.localBytes > localMemoryBytes {
            throw GPUStyleError(.opencl, "the convolution tiling \(t.buildOptions) needs \(t.threads) work-items and \(t.localBytes) bytes of local memory per work-group; this device allows \(maxWorkGroupSize) and \(localMemoryBytes)")
        }
        guard algorithm == .winograd else { return }
        if let bytes = winogradChunkBytes, bytes <= 0 {
            throw GPUStyleError(.internal, "invalid Winograd chunk size \(bytes) bytes")
        }
        for g in [gemm, gemm.narrow] {
            guard g.isValid else { throw GPUStyleError(.internal, "invalid Winograd GEMM tiling \(g.buildOptions)") }
            if g.threads > maxWorkGroupSize || g.localBytes > localMemoryBytes {
                throw GPUStyleError(.opencl, "the Winograd GEMM tiling \(g.buildOptions) needs \(g.threads) work-items and \(g.localBytes) bytes of local memory per work-group; this device allows \(maxWorkGroupSize) and \(localMemoryBytes)")
            }
        }
    }

    /// Zero-padded channel counts of an arranged weight set.
    func paddedCounts(inChannels: Int, outChannels: Int) -> (inPad: Int, outPad: Int) {
        (roundUp(inChannels, chunkInChannels), roundUp(outChannels, tileOutChannels))
    }

    /// Arranges OIHW weights (`outChannels × inChannels × 3 × 3`) as conv.cl reads them: `[inPad][9][outPad]`.
    /// With `transposedRotated` the result is the input-gradient set: input and output swap roles and each
    /// 3×3 kernel turns by 180°, i.e. arranged[k][tap][c] = W[k][c][8 − tap].
    func arrange(weights: [Float], inChannels: Int, outChannels: Int, transposedRotated: Bool) -> (values: [Float], outPad: Int) {
        let (kernelIn, kernelOut) = transposedRotated ? (outChannels, inChannels) : (inChannels, outChannels)
        let (inPad, outPad) = paddedCounts(inChannels: kernelIn, outChannels: kernelOut)
        var values = [Float](repeating: 0, count: inPad * 9 * outPad)
        for k in 0..<outChannels {
            for c in 0..<inChannels {
                for tap in 0..<9 {
                    let w = weights[(k * inChannels + c) * 9 + tap]
                    if transposedRotated {
                        values[(k * 9 + (8 - tap)) * outPad + c] = w
                    } else {
                        values[(c * 9 + tap) * outPad + k] = w
                    }
                }
            }
        }
        return (values, outPad)
    }

    /// Zero-padded channel counts of a Winograd weight set: inputs to the GEMM depth, outputs to its channel tile.
    func winogradPaddedCounts(inChannels: Int, outChannels: Int) -> (inPad: Int, outPad: Int) {
        (roundUp(inChannels, gemm.depth), roundUp(outChannels, gemm.outChannels))
    }

    /// Transforms OIHW weights for winograd.cl: `[36][inPad][outPad]` with U[ξ][c][k] = (G w[k][c] Gᵀ)[ξ], zero padded.
    /// With `transposedRotated` the input-gradient set, as in `arrange`.
    func arrangeWinograd(weights: [Float], inChannels: Int, outChannels: Int, transposedRotated: Bool) -> [Float] {
        let (kernelIn, kernelOut) = transposedRotated ? (outChannels, inChannels) : (inChannels, outChannels)
        let (inPad, outPad) = winogradPaddedCounts(inChannels: kernelIn, outChannels: kernelOut)
        var values = [Float](repeating: 0, count: 36 * inPad * outPad)
        var kernel = [Float](repeating: 0, count: 9)
        values.withUnsafeMutableBufferPointer { u in
            for k in 0..<outChannels {
                for c in 0..<inChannels {
                    let base = (k * inChannels + c) * 9
                    for tap in 0..<9 { kernel[tap] = weights[base + (transposedRotated ? 8 - tap : tap)] }
                    let (row, column) = transposedRotated ? (k, c) : (c, k)  // (kernel input channel, kernel output channel)
                    kernel.withUnsafeBufferPointer {
                        Winograd.transformKernel($0.baseAddress!) { xi, value in u[(xi * inPad + row) * outPad + column] = value }
                    }
                }
            }
        }
        return values
    }

    private func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
}
