// ConvTuning.swift — conv.cl's tile sizes (passed as -D options) and the weight layout they imply.

/// Tile sizes of the convolution kernel. The defaults match the `#define`s in `conv.cl`.
public struct ConvTuning: Sendable, Equatable, Codable {
    /// Output pixels per work-group: `tileWidth × tileHeight`.
    public var tileWidth = 16
    public var tileHeight = 8
    /// Output channels per work-group.
    public var tileOutChannels = 32
    /// Input channels staged in local memory at a time.
    public var chunkInChannels = 8
    /// Register block of each work-item: pixels × output channels.
    public var pixelsPerItem = 8
    public var channelsPerItem = 8

    public init(tileWidth: Int = 16, tileHeight: Int = 8, tileOutChannels: Int = 32, chunkInChannels: Int = 8,
                pixelsPerItem: Int = 8, channelsPerItem: Int = 8) {
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.tileOutChannels = tileOutChannels
        self.chunkInChannels = chunkInChannels
        self.pixelsPerItem = pixelsPerItem
        self.channelsPerItem = channelsPerItem
    }

    /// "16×8 px × 32 ch, chunk 8, 8×8 per item".
    public var summary: String {
        "\(tileWidth)×\(tileHeight) px × \(tileOutChannels) ch, chunk \(chunkInChannels), \(pixelsPerItem)×\(channelsPerItem) per item"
    }

    /// Work-items per work-group.
    public var threads: Int { (tileWidth * tileHeight / pixelsPerItem) * (tileOutChannels / channelsPerItem) }

    /// Local memory one work-group uses, in bytes.
    public var localBytes: Int { 4 * chunkInChannels * ((tileWidth + 2) * (tileHeight + 2) + 9 * tileOutChannels) + 16 }

    public var buildOptions: String {
        "-D TILE_W=\(tileWidth) -D TILE_H=\(tileHeight) -D TILE_K=\(tileOutChannels) -D CHUNK_C=\(chunkInChannels) "
            + "-D WPT_P=\(pixelsPerItem) -D WPT_K=\(channelsPerItem)"
    }

    /// Checks the divisibility rules of `conv.cl` and the device's limits.
    func validate(maxWorkGroupSize: Int, localMemoryBytes: Int) throws {
        let sizes = [tileWidth, tileHeight, tileOutChannels, chunkInChannels, pixelsPerItem, channelsPerItem]
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1024 }),
              (tileWidth * tileHeight) % pixelsPerItem == 0, tileOutChannels % channelsPerItem == 0 else {
            throw GPUStyleError(.internal, "invalid convolution tiling \(buildOptions)")
        }
        guard threads <= maxWorkGroupSize, localBytes <= localMemoryBytes else {
            throw GPUStyleError(.opencl, "the convolution tiling \(buildOptions) needs \(threads) work-items and \(localBytes) bytes of local memory per work-group; this device allows \(maxWorkGroupSize) and \(localMemoryBytes)")
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

    private func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
}
