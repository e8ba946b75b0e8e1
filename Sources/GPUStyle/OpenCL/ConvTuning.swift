// ConvTuning.swift — conv.cl's tile sizes (passed as -D options) and the weight layout they imply.

/// Tile sizes of the convolution kernel. The defaults match the `#define`s in `conv.cl`.
struct ConvTuning: Sendable, Equatable {
    /// Output pixels per work-group: `tileWidth × tileHeight`.
    var tileWidth = 16
    var tileHeight = 8
    /// Output channels per work-group.
    var tileOutChannels = 32
    /// Input channels staged in local memory at a time.
    var chunkInChannels = 8
    /// Register block of each work-item: pixels × output channels.
    var pixelsPerItem = 8
    var channelsPerItem = 8

    /// Work-items per work-group.
    var threads: Int { (tileWidth * tileHeight / pixelsPerItem) * (tileOutChannels / channelsPerItem) }

    /// Local memory one work-group uses, in bytes.
    var localBytes: Int { 4 * chunkInChannels * ((tileWidth + 2) * (tileHeight + 2) + 9 * tileOutChannels) }

    var buildOptions: String {
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
