// CPUConvolution.swift — 3×3 "same" convolution as im2col + SGEMM over bands of rows (the plain reference).
import CBLAS

enum CPUConvolution {
    /// Scratch budget for one band's im2col matrix, in floats (16 MiB).
    static let bandBudget = 4 << 20

    /// output[k][p] = bias[k] + Σ_{c,tap} weights[k][c·9 + tap] · input[c][p shifted by tap], zero padded.
    /// `weights` is `outChannels × (inChannels·9)` row-major, taps in row-major 3×3 order.
    static func convolve(input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
                         weights: [Float], bias: [Float], outChannels: Int, output: UnsafeMutablePointer<Float>,
                         parallel: CPUParallel = CPUParallel(threads: 1)) {
        let k = inChannels * 9
        let budgetRows = max(1, min(height, bandBudget / max(1, k * width)))
        let bands = max((height + budgetRows - 1) / budgetRows, min(height, parallel.threads))
        let bandRows = (height + bands - 1) / bands
        let plane = height * width
        parallel.forEach((height + bandRows - 1) / bandRows) { band in
            let row0 = band * bandRows, rows = min(bandRows, height - row0), pixels = rows * width
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * pixels)
            defer { columns.deallocate() }
            for k0 in 0..<outChannels {
                (output + k0 * plane + row0 * width).update(repeating: bias[k0], count: pixels)
            }
            im2col(input: input, channels: inChannels, height: height, width: width,
                   firstRow: row0, rows: rows, columns: columns)
            weights.withUnsafeBufferPointer { w in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(pixels), Int32(k),
                            1, w.baseAddress, Int32(k), columns, Int32(pixels), 1, output + row0 * width, Int32(plane))
            }
        }
    }

    /// Fills `columns` ((channels·9) × (rows·width)) with the 3×3 neighbourhoods of rows firstRow..<firstRow+rows.
    static func im2col(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                       firstRow: Int, rows: Int, columns: UnsafeMutablePointer<Float>) {
        let pixels = rows * width
        for c in 0..<channels {
            for tap in 0..<9 {
                let dy = tap / 3 - 1, dx = tap % 3 - 1
                let dst = columns + (c * 9 + tap) * pixels
                for r in 0..<rows {
                    let sy = firstRow + r + dy
                    let d = dst + r * width
                    guard sy >= 0 && sy < height else {
                        d.update(repeating: 0, count: width)
                        continue
                    }
                    let src = input + (c * height + sy) * width
                    // d[j] = src[j + dx] where in range.
                    let lo = max(0, -dx), hi = min(width, width - dx)
                    if lo > 0 { d.update(repeating: 0, count: lo) }
                    if hi > lo { (d + lo).update(from: src + lo + dx, count: hi - lo) }
                    if hi < width { (d + hi).update(repeating: 0, count: width - hi) }
                }
            }
        }
    }
}
