// WinogradConvolutionTests.swift — the Winograd F(4×4, 3×3) fast path against the textbook loop and the plain im2col path.
import XCTest
@testable import GPUStyle

final class WinogradConvolutionTests: XCTestCase {
    let winograd = CPUBackend(threads: 3, convolution: .winograd)
    let plain = CPUBackend(threads: 1, convolution: .im2col)
    /// (inChannels, outChannels, height, width): 1/3/5/17 channels, sizes that are and are not multiples of the
    /// 4×4 tile, a 1×1 image, rows wider than the 8-lane and 16-pixel vector steps.
    let shapes = [(1, 4, 5, 7), (3, 5, 6, 4), (5, 7, 1, 1), (17, 6, 9, 5), (3, 17, 13, 37), (17, 3, 8, 16), (5, 1, 23, 2)]

    func run(_ backend: CPUBackend, _ x: [Float], _ wts: [Float], _ bias: [Float], cin: Int, cout: Int, h: Int, w: Int,
             relu: Bool) throws -> [Float] {
        let conv = try backend.prepareConv(weights: wts, bias: bias, inChannels: cin, outChannels: cout)
        let input = try backend.makeBuffer(count: x.count), output = try backend.makeBuffer(count: cout * h * w)
        try backend.upload(x, to: input)
        try backend.conv3x3(input: input, conv: conv, output: output, height: h, width: w, relu: relu)
        return try backend.download(output)
    }

    func gradient(_ backend: CPUBackend, _ r: [Float], _ wts: [Float], cin: Int, cout: Int, h: Int, w: Int) throws -> [Float] {
        let conv = try backend.prepareConv(weights: wts, bias: [Float](repeating: 0, count: cout), inChannels: cin, outChannels: cout)
        let dy = try backend.makeBuffer(count: r.count), dx = try backend.makeBuffer(count: cin * h * w)
        try backend.upload(r, to: dy)
        try backend.conv3x3InputGradient(gradOutput: dy, conv: conv, gradInput: dx, height: h, width: w)
        return try backend.download(dx)
    }

    func testForwardMatchesTextbookAndPlainPath() throws {
        for (n, (cin, cout, h, w)) in shapes.enumerated() {
            let x = randomValues(cin * h * w, seed: UInt64(100 + n)), wts = randomValues(cout * cin * 9, seed: UInt64(200 + n))
            let bias = randomValues(cout, seed: UInt64(300 + n))
            for relu in [false, true] {
                let fast = try run(winograd, x, wts, bias, cin: cin, cout: cout, h: h, w: w, relu: relu)
                let expected = textbookConv3x3(x, inChannels: cin, height: h, width: w, weights: wts, bias: bias, outChannels: cout, relu: relu)
                // F(4×4, 3×3) in FP32: a few 1e-7 of the largest value at these sizes (DESIGN §4: 1–4e-6 worst).
                assertClose(fast, expected, tolerance: 1e-5, "winograd \(cin)→\(cout) \(h)×\(w) relu \(relu)")
                let reference = try run(plain, x, wts, bias, cin: cin, cout: cout, h: h, w: w, relu: relu)
                assertClose(fast, reference, tolerance: 1e-5, "winograd vs im2col \(cin)→\(cout) \(h)×\(w)")
            }
        }
    }

    func testInputGradientMatchesPlainPathAndIsTheAdjoint() throws {
        for (n, (cin, cout, h, w)) in shapes.enumerated() {
            let x = randomValues(cin * h * w, seed: UInt64(400 + n)), r = randomValues(cout * h * w, seed: UInt64(500 + n))
            let wts = randomValues(cout * cin * 9, seed: UInt64(600 + n)), zero = [Float](repeating: 0, count: cout)
            let fast = try gradient(winograd, r, wts, cin: cin, cout: cout, h: h, w: w)
            assertClose(fast, try gradient(plain, r, wts, cin: cin, cout: cout, h: h, w: w), tolerance: 1e-5,
                        "winograd input gradient \(cin)→\(cout) \(h)×\(w)")
            // ⟨conv(x), r⟩ = ⟨x, convᵀ(r)⟩ with the textbook forward (no bias).
            let forward = textbookConv3x3(x, inChannels: cin, height: h, width: w, weights: wts, bias: zero, outChannels: cout, relu: false)
            let lhs = weightedSum(forward, r), rhs = weightedSum(x, fast)
            XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * max(1, abs(lhs)), "adjoint \(cin)→\(cout) \(h)×\(w)")
        }
    }

    func testSeveralBandsMatchOneBand() throws {
        // A 25×30 image has 7 tile rows: bands of 1 row each, of 2, 2, 2 and 1 rows, and a single band.
        let cin = 6, cout = 5, h = 25, w = 30
        let x = randomValues(cin * h * w, seed: 1), wts = randomValues(cout * cin * 9, seed: 2), bias = randomValues(cout, seed: 3)
        let weights = WinogradWeights(weights: wts, inChannels: cin, outChannels: cout, parallel: CPUParallel(threads: 2))
        let expected = textbookConv3x3(x, inChannels: cin, height: h, width: w, weights: wts, bias: bias, outChannels: cout, relu: true)
        let perTileRow = 36 * (cin + cout) * ((w + 3) / 4)
        for budget in [perTileRow, 2 * perTileRow, 1 << 30] {
            let scratchCount = WinogradConvolution.scratchCount(inChannels: cin, outChannels: cout, height: h, width: w, budget: budget)
            var out = [Float](repeating: .nan, count: cout * h * w), scratch = [Float](repeating: .nan, count: scratchCount)
            x.withUnsafeBufferPointer { xp in
                bias.withUnsafeBufferPointer { bp in
                    WinogradConvolution.convolve(input: xp.baseAddress!, height: h, width: w, weights: weights, bias: bp.baseAddress!,
                                                 relu: true, output: &out, scratch: &scratch, parallel: CPUParallel(threads: 2),
                                                 budget: budget)
                }
            }
            assertClose(out, expected, tolerance: 1e-5, "bands of budget \(budget)")
        }
    }

    func testWeightTransformIsGwGt() {
        // U = G w Gᵀ with G written out in full, in Double.
        let g: [[Double]] = [[0.25, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        let w = randomValues(9, seed: 11)
        var u = [Float](repeating: 0, count: 36)
        w.withUnsafeBufferPointer { Winograd.transformKernel($0.baseAddress!) { u[$0] = $1 } }
        for a in 0..<6 {
            for b in 0..<6 {
                var expected = 0.0
                for r in 0..<3 { for s in 0..<3 { expected += g[a][r] * Double(w[3 * r + s]) * g[b][s] } }
                XCTAssertEqual(Double(u[6 * a + b]), expected, accuracy: 1e-6, "U[\(a)][\(b)]")
            }
        }
    }

    func testResultsDoNotDependOnThreadCount() throws {
        let (cin, cout, h, w) = (7, 9, 19, 22)
        let x = randomValues(cin * h * w, seed: 21), wts = randomValues(cout * cin * 9, seed: 22), bias = randomValues(cout, seed: 23)
        let one = try run(CPUBackend(threads: 1), x, wts, bias, cin: cin, cout: cout, h: h, w: w, relu: true)
        let many = try run(CPUBackend(threads: 5), x, wts, bias, cin: cin, cout: cout, h: h, w: w, relu: true)
        XCTAssertEqual(one, many, "each output is computed the same way on any number of threads")
    }
}
