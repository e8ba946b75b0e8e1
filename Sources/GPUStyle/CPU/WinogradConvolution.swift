// WinogradConvolution.swift — 3×3 "same" convolution by Winograd F(4×4, 3×3): per band of tiles, input transform,
// 36 SGEMMs, output transform (+ bias, ReLU), each phase split over the backend's threads.
import CBLAS

/// A convolution's weights after the Winograd weight transform: 36 matrices U[ξ] of `outChannels × inChannels`.
final class WinogradWeights: @unchecked Sendable {
    let inChannels: Int, outChannels: Int
    let values: UnsafeMutablePointer<Float>

    /// Transforms OIHW weights (`outChannels × inChannels × 3 × 3`).
    init(weights: [Float], inChannels: Int, outChannels: Int, parallel: CPUParallel) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        let plane = inChannels * outChannels
        let values = UnsafeMutablePointer<Float>.allocate(capacity: 36 * plane)
        self.values = values
        weights.withUnsafeBufferPointer { w in
            parallel.forEach(outChannels) { k in
                for c in 0..<inChannels {
                    let at = k * inChannels + c
                    Winograd.transformKernel(w.baseAddress! + at * 9) { xi, value in values[xi * plane + at] = value }
                }
            }
        }
    }

    deinit { values.deallocate() }

    var byteCount: Int { 36 * inChannels * outChannels * MemoryLayout<Float>.stride }
}

enum WinogradConvolution {
    /// Scratch for one band's transformed input and GEMM output, in floats (16 MiB; the band is cut to fit).
    /// 4–8 Mi floats measured fastest at 256×192 on a 2-core Zen 4 (1 Mi: 8% slower, ¼ Mi: 50% slower).
    static let bandBudget = 4 << 20

    /// Floats of scratch `convolve` needs for this shape.
    static func scratchCount(inChannels: Int, outChannels: Int, height: Int, width: Int, budget: Int = bandBudget) -> Int {
        let (tilesX, bandRows) = bandShape(inChannels: inChannels, outChannels: outChannels, height: height, width: width, budget: budget)
        return 36 * (inChannels + outChannels) * tilesX * bandRows + 16
    }

    /// Tiles per row and tile rows per band.
    static func bandShape(inChannels: Int, outChannels: Int, height: Int, width: Int, budget: Int) -> (tilesX: Int, bandRows: Int) {
        let tilesX = (width + 3) / 4, tilesY = (height + 3) / 4
        let perTileRow = 36 * (inChannels + outChannels) * tilesX
        return (tilesX, max(1, min(tilesY, budget / max(1, perTileRow))))
    }

    /// output[k] = bias[k] + Σ_c W[k][c] ⋆ input[c] (zero padding 1), ReLU'd when `relu`. `scratch` holds
    /// `scratchCount(…)` floats for the same `budget`.
    static func convolve(input: UnsafePointer<Float>, height: Int, width: Int, weights: WinogradWeights,
                         bias: UnsafePointer<Float>, relu: Bool, output: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, parallel: CPUParallel, budget: Int = bandBudget) {
        let channels = weights.inChannels, kernels = weights.outChannels
        let (tilesX, bandRows) = bandShape(inChannels: channels, outChannels: kernels, height: height, width: width, budget: budget)
        let tilesY = (height + 3) / 4
        var firstRow = 0
        while firstRow < tilesY {
            let rows = min(bandRows, tilesY - firstRow), tiles = rows * tilesX
            let transformed = scratch, products = scratch + 36 * channels * tiles
            parallel.forEach(channels) { c in
                transformInput(input + c * height * width, height: height, width: width, tileRows: firstRow..<(firstRow + rows),
                               tilesX: tilesX, into: transformed + c * tiles, planeStride: channels * tiles)
            }
            parallel.forEach(36) { xi in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(kernels), Int32(tiles), Int32(channels), 1,
                            weights.values + xi * kernels * channels, Int32(channels),
                            transformed + xi * channels * tiles, Int32(tiles), 0, products + xi * kernels * tiles, Int32(tiles))
            }
            parallel.forEach(kernels) { k in
                transformOutput(products + k * tiles, planeStride: kernels * tiles, tileRows: firstRow..<(firstRow + rows),
                                tilesX: tilesX, into: output + k * height * width, height: height, width: width,
                                bias: bias[k], relu: relu)
            }
            firstRow += rows
        }
    }

    /// Row length of the per-task work arrays: tilesX + 1 phase entries, rounded up for 8-wide loads.
    static func paddedLength(_ tilesX: Int) -> Int { (tilesX + 1 + 7) / 8 * 8 + 8 }

    /// Bᵀ d B of every tile in `tileRows` of one channel plane, written to plane ξ at `into + ξ·planeStride`,
    /// tile (i, j) at offset (i − first)·tilesX + j.
    static func transformInput(_ plane: UnsafePointer<Float>, height: Int, width: Int, tileRows: Range<Int>, tilesX: Int,
                               into destination: UnsafeMutablePointer<Float>, planeStride: Int) {
        let n = paddedLength(tilesX)
        // row: one zero-padded input row (column −1 at index 0); phases: 6 rows × 4 phases; columns: 6 × 4 after Bᵀ.
        let work = UnsafeMutablePointer<Float>.allocate(capacity: 4 * n + 48 * n)
        defer { work.deallocate() }
        work.initialize(repeating: 0, count: 4 * n + 48 * n)
        let row = work, phases = work + 4 * n, columns = phases + 24 * n
        for i in tileRows {
            for r in 0..<6 {
                let y = 4 * i - 1 + r
                let target = phases + 4 * r * n
                if y < 0 || y >= height {
                    target.update(repeating: 0, count: 4 * n)
                } else {
                    (row + 1).update(from: plane + y * width, count: width)
                    Winograd.deinterleave(row, into: target, stride: n, count: n)
                }
            }
            // Vertical pass: columns[ρ][q] = Bᵀ over the six rows, for each phase q.
            for q in 0..<4 {
                func p(_ r: Int) -> UnsafePointer<Float> { UnsafePointer(phases + (4 * r + q) * n) }
                func c(_ r: Int) -> UnsafeMutablePointer<Float> { columns + (4 * r + q) * n }
                Winograd.inputRows((p(0), p(1), p(2), p(3), p(4), p(5)), (c(0), c(1), c(2), c(3), c(4), c(5)), count: tilesX + 1)
            }
            // Horizontal pass: tile j reads phases 0…3 at j and phases 0, 1 at j + 1.
            let offset = (i - tileRows.lowerBound) * tilesX
            for r in 0..<6 {
                let base = UnsafePointer(columns + 4 * r * n)
                func v(_ s: Int) -> UnsafeMutablePointer<Float> { destination + (6 * r + s) * planeStride + offset }
                Winograd.inputRows((base, base + n, base + 2 * n, base + 3 * n, base + 1, base + n + 1),
                                   (v(0), v(1), v(2), v(3), v(4), v(5)), count: tilesX)
            }
        }
    }

    /// Aᵀ m A (+ bias, ReLU) of every tile in `tileRows` of one output channel, from plane ξ at
    /// `products + ξ·planeStride`, written into the `height × width` output plane (tiles clipped at the edges).
    static func transformOutput(_ products: UnsafePointer<Float>, planeStride: Int, tileRows: Range<Int>, tilesX: Int,
                                into plane: UnsafeMutablePointer<Float>, height: Int, width: Int, bias: Float, relu: Bool) {
        let n = paddedLength(tilesX)
        // rows: 6 × 4 after the horizontal Aᵀ; result: 4 × 4 phases after the vertical one.
        let work = UnsafeMutablePointer<Float>.allocate(capacity: 40 * n)
        defer { work.deallocate() }
        work.initialize(repeating: 0, count: 40 * n)
        let rows = work, result = work + 24 * n
        for i in tileRows {
            let offset = (i - tileRows.lowerBound) * tilesX
            for r in 0..<6 {
                func m(_ s: Int) -> UnsafePointer<Float> { products + (6 * r + s) * planeStride + offset }
                func o(_ b: Int) -> UnsafeMutablePointer<Float> { rows + (4 * r + b) * n }
                Winograd.outputRows((m(0), m(1), m(2), m(3), m(4), m(5)), (o(0), o(1), o(2), o(3)), count: tilesX)
            }
            for b in 0..<4 {
                func p(_ r: Int) -> UnsafePointer<Float> { UnsafePointer(rows + (4 * r + b) * n) }
                func o(_ a: Int) -> UnsafeMutablePointer<Float> { result + (4 * a + b) * n }
                Winograd.outputRows((p(0), p(1), p(2), p(3), p(4), p(5)), (o(0), o(1), o(2), o(3)), count: tilesX)
            }
            for a in 0..<4 where 4 * i + a < height {
                Winograd.interleave(result + 4 * a * n, stride: n, into: plane + (4 * i + a) * width, width: width,
                                    bias: bias, relu: relu)
            }
        }
    }
}
