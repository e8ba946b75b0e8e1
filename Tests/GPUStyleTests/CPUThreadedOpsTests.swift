// CPUThreadedOpsTests.swift — the CPU backend's vectorised and threaded ops at sizes that reach their SIMD steps and
// several work pieces, against plain loops, and identical on any thread count.
import XCTest
@testable import GPUStyle

final class CPUThreadedOpsTests: XCTestCase {
    let backend = CPUBackend(threads: 3)

    func buffer(_ b: CPUBackend, _ values: [Float]) throws -> DeviceBuffer {
        let buffer = try b.makeBuffer(count: values.count)
        try b.upload(values, to: buffer)
        return buffer
    }

    /// Values on a coarse grid, so 2×2 windows often tie.
    func gridValues(_ count: Int, seed: UInt64) -> [Float] { randomValues(count, seed: seed).map { ($0 * 3).rounded() } }

    func testPoolingMatchesPlainLoops() throws {
        for (c, h, w) in [(3, 9, 21), (2, 8, 16), (1, 5, 40)] {
            let x = gridValues(c * h * w, seed: UInt64(h * w)), oh = h / 2, ow = w / 2
            let g = randomValues(c * oh * ow, seed: 3)
            for mode in PoolingMode.allCases {
                var pooled = [Float](repeating: 0, count: c * oh * ow), grad = [Float](repeating: 0, count: x.count)
                for ch in 0..<c {
                    for i in 0..<oh {
                        for j in 0..<ow {
                            let taps = [0, 1, w, w + 1].map { (ch * h + 2 * i) * w + 2 * j + $0 }
                            let out = (ch * oh + i) * ow + j
                            if mode == .max {
                                var best = taps[0]
                                for t in taps.dropFirst() where x[t] > x[best] { best = t }  // ties: first in scan order
                                pooled[out] = x[best]
                                grad[best] = g[out]
                            } else {
                                pooled[out] = (x[taps[0]] + x[taps[1]] + x[taps[2]] + x[taps[3]]) * 0.25
                                for t in taps { grad[t] = 0.25 * g[out] }
                            }
                        }
                    }
                }
                let output = try backend.makeBuffer(count: pooled.count), dx = try buffer(backend, [Float](repeating: .nan, count: x.count))
                try backend.pool2x2(input: try buffer(backend, x), output: output, channels: c, height: h, width: w, mode: mode)
                XCTAssertEqual(try backend.download(output), pooled, "\(mode) pool \(c)×\(h)×\(w)")
                try backend.pool2x2Backward(gradOutput: try buffer(backend, g), input: try buffer(backend, x), gradInput: dx,
                                            channels: c, height: h, width: w, mode: mode)
                XCTAssertEqual(try backend.download(dx), grad, "\(mode) pool backward \(c)×\(h)×\(w)")
            }
        }
    }

    func testReLUBackwardMasksNonPositiveAndNaN() throws {
        let n = 8 * 9 + 5
        var y = randomValues(n, seed: 4)
        y[3] = 0; y[10] = .nan; y[n - 1] = -0.0
        let g = randomValues(n, seed: 5)
        let grad = try buffer(backend, g)
        try backend.reluBackward(gradient: grad, output: try buffer(backend, y), count: n)
        XCTAssertEqual(try backend.download(grad), zip(g, y).map { $1 > 0 ? $0 : 0 })
    }

    func testGramAndItsGradientOverSeveralBlocksAndPieces() throws {
        // Few pixels: blocks of channels; many pixels: partial Grams over pieces of the pixels.
        for (c, p) in [(37, 5000), (6, 40000)] { try checkGram(channels: c, pixels: p) }
    }

    func checkGram(channels c: Int, pixels p: Int) throws {
        let f = randomValues(c * p, seed: 6), dg = randomValues(c * c, seed: 7), start = randomValues(c * p, seed: 8)
        let features = try buffer(backend, f), gram = try backend.makeBuffer(count: c * c)
        try backend.gram(features: features, gram: gram, channels: c, pixels: p)
        var expected = [Float](repeating: 0, count: c * c)
        for i in 0..<c {
            for j in 0..<c {
                var s = 0.0
                for k in 0..<p { s += Double(f[i * p + k]) * Double(f[j * p + k]) }
                expected[i * c + j] = Float(s / Double(c * p))
            }
        }
        let got = try backend.download(gram)
        assertClose(got, expected, tolerance: 1e-5, "gram \(c)×\(p)")
        for i in 0..<c { for j in 0..<c { XCTAssertEqual(got[i * c + j], got[j * c + i]) } }

        let df = try buffer(backend, start)
        try backend.gramBackward(gradGram: try buffer(backend, dg), features: features, gradFeatures: df, channels: c, pixels: p)
        var grad = start
        for i in 0..<c {
            for k in 0..<p {
                var s = 0.0
                for j in 0..<c { s += Double(dg[i * c + j] + dg[j * c + i]) * Double(f[j * p + k]) }
                grad[i * p + k] += Float(s / Double(c * p))
            }
        }
        assertClose(try backend.download(df), grad, tolerance: 1e-5, "gram backward \(c)×\(p)")
    }

    func testReductionsAndBankOpsAreThreadCountIndependent() throws {
        let n = 3 * (1 << 15) + 11, rows = 5
        let a = randomValues(n, seed: 9), b = randomValues(n, seed: 10)
        var results: [[Double]] = []
        for threads in [1, 2, 7] {
            let cpu = CPUBackend(threads: threads)
            let x = try buffer(cpu, a), y = try buffer(cpu, b), grad = try cpu.makeBuffer(count: n), losses = try cpu.makeBuffer(count: 1)
            try cpu.contentLoss(features: x, target: y, count: n, lossWeight: 2, gradient: grad, gradientWeight: 3, losses: losses, slot: 0)
            let bank = try cpu.makeVectorBank(rows: rows, length: n)
            for r in 0..<rows { try cpu.upload(randomValues(n, seed: UInt64(20 + r)), to: bank.row(r)) }
            let dots = try cpu.bankDots(bank, rows: [1, 3])
            try cpu.bankCombine(bank, coefficients: [0.5, -1, 0, 2, 1], into: bank.row(4))
            results.append([try cpu.dot(x, y), try cpu.sumAbs(x), Double(try cpu.download(losses)[0])] + dots[0] + dots[1]
                           + (try cpu.download(grad)).map(Double.init) + (try cpu.download(bank.row(4))).map(Double.init))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
        // Grams and their gradients too, over blocks of channels (few pixels) and pieces of pixels (many).
        for (c, p) in [(37, 500), (64, 5000), (6, 40000)] {
            let f = randomValues(c * p, seed: 11), dg = randomValues(c * c, seed: 12)
            let grams = try [1, 2, 3, 7].map { threads -> [Float] in
                let cpu = CPUBackend(threads: threads)
                let features = try buffer(cpu, f), gram = try cpu.makeBuffer(count: c * c), df = try cpu.makeBuffer(count: c * p)
                try cpu.gram(features: features, gram: gram, channels: c, pixels: p)
                try cpu.gramBackward(gradGram: try buffer(cpu, dg), features: features, gradFeatures: df, channels: c, pixels: p)
                return try cpu.download(gram) + cpu.download(df)
            }
            for other in grams.dropFirst() { XCTAssertTrue(grams[0] == other, "gram \(c)×\(p): the same bits on any thread count") }
        }
        // And against plain Double sums.
        XCTAssertEqual(results[0][0], zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }, accuracy: 1e-9)
        XCTAssertEqual(results[0][1], a.reduce(0.0) { $0 + Double(abs($1)) }, accuracy: 1e-6)
        let mse = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(n)
        XCTAssertEqual(results[0][2], 2 * mse, accuracy: 1e-6 * mse)
    }
}
