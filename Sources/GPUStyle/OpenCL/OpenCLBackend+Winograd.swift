// OpenCLBackend+Winograd.swift — runs winograd.cl over chunks of tiles: input transform, 36 GEMMs, output transform.
import COpenCL

/// A ReLU gate for winograd.cl's input transform: the buffer and its `gateKind` (1: FP32 outputs, 2: packed mask bits).
struct WinogradGate {
    let mem: CLMem
    let kind: Int32
}

extension OpenCLBackend {
    static let winogradScratchPurpose = "Winograd"

    /// Scratch the Winograd path may hold for one chunk's transformed input and products, in bytes:
    /// 1/128 of the device's memory, between 32 MiB and 512 MiB (chunks are cut to fit).
    var winogradScratchBytes: Int { winogradScratchLimit ?? min(max(device.globalMemoryBytes / 128, 32 << 20), 512 << 20) }

    /// Most scratch bytes one chunk of a convolution with these transformed weights takes: the scratch, or less where
    /// the tiling's `winogradChunkBytes` asks (to keep a chunk in the last-level cache), but never less than the
    /// weights' own size (every chunk reads them all).
    func winogradChunkBudget(_ weights: OpenCLConvWeights) -> Int {
        guard let target = convTuning.winogradChunkBytes else { return winogradScratchBytes }
        return min(winogradScratchBytes, max(target, 4 * 36 * weights.inPad * weights.outPad))
    }

    /// 3×3 convolution of `input` (`inChannels × height × width`) with Winograd-transformed `weights` into `output`.
    /// `shape` labels the launches in kernel profiles; `gate` gates the input by a ReLU as it is transformed.
    func runWinograd(input: CLMem, inChannels: Int, weights: OpenCLConvWeights, bias: CLMem, outChannels: Int,
                     flags: Int32, output: CLMem, height: Int, width: Int, shape: ConvShape, gate: WinogradGate? = nil) throws {
        let tilesX = (width + 3) / 4
        let tiles = try elements(tilesX, (height + 3) / 4, what: "Winograd tiles of \(height)×\(width)")
        guard tiles > 0 else { return }
        // Few tiles (deep layers of small images) would mostly be padding in the full GEMM tile: take the narrow one.
        let wide = convTuning.gemm.suits(tiles: tiles)
        let g = wide ? convTuning.gemm : convTuning.gemm.narrow, family: KernelFamily = wide ? .winograd : .winogradNarrow
        // Tiles per chunk: a multiple of the GEMM's tile count whose transformed input and products (one scratch
        // buffer) fit the chunk budget and the largest buffer.
        let perTile = 36 * (weights.inPad + weights.outPad)
        let byBudget = winogradChunkBudget(weights) / 4 / perTile
        let byBuffer = min(maxAllocationBytes / 4, Self.maxElements) / perTile
        let wanted = max(g.tiles, min(byBudget, byBuffer) / g.tiles * g.tiles)
        let chunk = min(wanted, (tiles + g.tiles - 1) / g.tiles * g.tiles)
        let work = try scratch(Self.winogradScratchPurpose, count: try elements(perTile, chunk, what: "Winograd scratch"))
        let mOffset = 36 * weights.inPad * chunk
        let local = min(64, elementGroupSize)
        var first = 0
        while first < tiles {
            let count = min(chunk, tiles - first)
            let pad = (count + g.tiles - 1) / g.tiles * g.tiles
            try launch("winograd_input", in: .winograd, items: [pad, weights.inPad], local: [local, 1], [
                .buffer(input), .int(Int32(inChannels)), .int(Int32(height)), .int(Int32(width)), .int(Int32(tilesX)),
                .int(Int32(first)), .int(Int32(count)), .int(Int32(pad)), .int(Int32(weights.inPad)), .buffer(work), .int(0),
                .buffer(gate?.mem ?? input), .int(gate?.kind ?? 0),
            ], shape: shape)
            try launch("winograd_gemm", in: family, items: [pad / g.tilesPerItem, weights.outPad / g.channelsPerItem, 36],
                       local: [g.tiles / g.tilesPerItem, g.outChannels / g.channelsPerItem, 1], [
                .buffer(weights.mem), .buffer(work), .int(0), .buffer(work), .int(Int32(mOffset)),
                .int(Int32(weights.inPad)), .int(Int32(weights.outPad)), .int(Int32(pad)),
            ], shape: shape)
            try launch("winograd_output", in: .winograd, items: [count, outChannels], local: [local, 1], [
                .buffer(work), .int(Int32(mOffset)), .int(Int32(outChannels)), .int(Int32(height)), .int(Int32(width)),
                .int(Int32(tilesX)), .int(Int32(first)), .int(Int32(count)), .int(Int32(pad)), .int(Int32(weights.outPad)),
                .buffer(bias), .int(flags), .buffer(output),
            ], shape: shape)
            first += count
        }
    }
}
