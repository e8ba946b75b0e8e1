// CPUConvolutionTests.swift — the CPU convolution against a textbook loop and its input gradient against finite differences.
import XCTest
@testable import GPUStyle

/// The definition of a zero-padded 3×3 cross-correlation, written as plainly as possible (Double accumulation).
func textbookConv3x3(_ x: [Float], inChannels: Int, height: Int, width: Int, weights: [Float], bias: [Float],
                     outChannels: Int, relu: Bool) -> [Float] {
    var y = [Float](repeating: 0, count: outChannels * height * width)
    for k in 0..<outChannels {
        for i in 0..<height {
            for j in 0..<width {
                var sum = Double(bias[k])
                for c in 0..<inChannels {
                    for dy in 0..<3 {
                        for dx in 0..<3 {
                            let si = i + dy - 1, sj = j + dx - 1
                            guard si >= 0, si < height, sj >= 0, sj < width else { continue }
                            sum += Double(weights[((k * inChannels + c) * 3 + dy) * 3 + dx]) * Double(x[(c * height + si) * width + sj])
                        }
                    }
                }
                y[(k * height + i) * width + j] = relu ? Float(max(sum, 0)) : Float(sum)
            }
        }
    }
    return y
}

final class CPUConvolutionTests: XCTestCase {
    let backend = CPUBackend()
    /// (inChannels, outChannels, height, width): 1 and 3 channels, odd sizes, a 1×1 image, non-powers of two.
    let shapes = [(1, 4, 5, 7), (3, 5, 6, 4), (5, 7, 1, 1), (7, 3, 2, 9), (17, 6, 9, 5)]

    func testForwardMatchesTextbookLoop() throws {
        for (n, (cin, cout, h, w)) in shapes.enumerated() {
            let x = randomValues(cin * h * w, seed: UInt64(10 + n))
            let wts = randomValues(cout * cin * 9, seed: UInt64(20 + n))
            let bias = randomValues(cout, seed: UInt64(30 + n))
            let conv = try backend.prepareConv(weights: wts, bias: bias, inChannels: cin, outChannels: cout)
            let input = try backend.makeBuffer(count: x.count)
            try backend.upload(x, to: input)
            let output = try backend.makeBuffer(count: cout * h * w)
            for relu in [false, true] {
                try backend.conv3x3(input: input, conv: conv, output: output, height: h, width: w, relu: relu)
                let expected = textbookConv3x3(x, inChannels: cin, height: h, width: w, weights: wts, bias: bias, outChannels: cout, relu: relu)
                // FP32 GEMM vs Double accumulation over ≤ 153 terms of magnitude ≤ 1.
                assertClose(try backend.download(output), expected, tolerance: 1e-5, "conv \(cin)→\(cout) \(h)×\(w) relu \(relu)")
            }
        }
    }

    func testBandedConvolutionMatchesSingleBand() throws {
        // A tall image forces several im2col bands (budget / (C·9·W) rows per band).
        let cin = 40, cout = 3, h = 70, w = 300
        let x = randomValues(cin * h * w, seed: 1), wts = randomValues(cout * cin * 9, seed: 2), bias = randomValues(cout, seed: 3)
        XCTAssertLessThan(CPUConvolution.bandBudget / (cin * 9 * w), h, "test must span several bands")
        let backend = CPUBackend(convolution: .im2col)
        let conv = try backend.prepareConv(weights: wts, bias: bias, inChannels: cin, outChannels: cout)
        let input = try backend.makeBuffer(count: x.count), output = try backend.makeBuffer(count: cout * h * w)
        try backend.upload(x, to: input)
        try backend.conv3x3(input: input, conv: conv, output: output, height: h, width: w, relu: false)
        let expected = textbookConv3x3(x, inChannels: cin, height: h, width: w, weights: wts, bias: bias, outChannels: cout, relu: false)
        assertClose(try backend.download(output), expected, tolerance: 1e-5, "banded conv")
    }

    func testInputGradientMatchesFiniteDifferences() throws {
        for (n, (cin, cout, h, w)) in shapes.enumerated() {
            let x = randomValues(cin * h * w, seed: UInt64(40 + n))
            let wts = randomValues(cout * cin * 9, seed: UInt64(50 + n))
            let bias = randomValues(cout, seed: UInt64(60 + n))
            let r = randomValues(cout * h * w, seed: UInt64(70 + n))
            let conv = try backend.prepareConv(weights: wts, bias: bias, inChannels: cin, outChannels: cout)
            let input = try backend.makeBuffer(count: x.count), output = try backend.makeBuffer(count: r.count)
            let gradOut = try backend.makeBuffer(count: r.count), gradIn = try backend.makeBuffer(count: x.count)
            try backend.upload(r, to: gradOut)
            try backend.conv3x3InputGradient(gradOutput: gradOut, conv: conv, gradInput: gradIn, height: h, width: w)
            let analytic = try backend.download(gradIn)
            let indices = sampleIndices(x.count)
            let numeric = try finiteDifferences(at: x, indices: indices, step: 0.25) { probe in
                try backend.upload(probe, to: input)
                try backend.conv3x3(input: input, conv: conv, output: output, height: h, width: w, relu: false)
                return weightedSum(try backend.download(output), r)
            }
            assertGradient(analytic, numeric, indices: indices, tolerance: 1e-4, "conv input gradient \(cin)→\(cout) \(h)×\(w)")
        }
    }

    func testWrongWeightsAreRejected() {
        XCTAssertThrowsError(try backend.prepareConv(weights: [1, 2, 3], bias: [0], inChannels: 1, outChannels: 1))
    }
}
