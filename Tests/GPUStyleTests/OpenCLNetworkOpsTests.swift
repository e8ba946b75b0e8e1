// OpenCLNetworkOpsTests.swift — OpenCL convolution, ReLU, pooling and Gram kernels against the CPU backend.
import XCTest
@testable import GPUStyle

final class OpenCLNetworkOpsTests: XCTestCase {
    /// (inChannels, outChannels, height, width): 1 and 3 inputs, counts like 5, 17, 70, sizes off every tile.
    static let convShapes = [(1, 5, 7, 9), (3, 17, 13, 19), (17, 70, 9, 17), (70, 3, 11, 5), (5, 33, 1, 1), (8, 32, 16, 8)]

    /// Forward (with and without ReLU) and input gradient agree within 1e-5 of the largest magnitude
    /// (FP32 sums of up to 630 products in a different order).
    /// Sets with at most 4 outputs (the RGB image's gradient) run the narrow-output direct tiling.
    func testConvolutionMatchesCPU() throws {
        try BackendPair().checkConvolutions(Self.convShapes, seed: 100) { c, k, conv in
            let prepared = try XCTUnwrap(conv as? OpenCLPreparedConv)
            XCTAssertEqual(prepared.forward.narrow, k <= ConvTuning.narrowOutputChannels && !prepared.forward.winograd, "\(c)→\(k) forward")
            XCTAssertEqual(prepared.backward.narrow, c <= ConvTuning.narrowOutputChannels && !prepared.backward.winograd, "\(c)→\(k) gradient")
        }
    }

    /// The direct kernel for every layer, with its default and other tilings (other -D values, 32-item groups, scalar
    /// weight loads when WPT_K is not a multiple of 4), gives the same results: it is not tied to its defaults.
    func testDirectConvolutionWithOtherTilings() throws {
        _ = try OpenCLTestDevice.backend()
        for tuning in [ConvTuning(algorithm: .direct),
                       ConvTuning(tileWidth: 8, tileHeight: 4, tileOutChannels: 16, chunkInChannels: 4, pixelsPerItem: 2, channelsPerItem: 8, algorithm: .direct),
                       ConvTuning(tileWidth: 8, tileHeight: 8, tileOutChannels: 6, chunkInChannels: 3, pixelsPerItem: 4, channelsPerItem: 2, algorithm: .direct)] {
            try checkConvolutions(try BackendPair(gpu: OpenCLBackend(deviceIndex: nil, convTuning: tuning)))
        }
    }

    private func checkConvolutions(_ pair: BackendPair) throws {
        try pair.checkConvolutions(Self.convShapes, seed: 100)
    }

    /// The conv kernel must not write outside the output's C×H×W: a larger buffer keeps its tail.
    func testConvolutionLeavesTheRestOfTheBufferAlone() throws {
        try assertConvolutionLeavesTheBufferTail(try OpenCLTestDevice.backend(), inChannels: 3, outChannels: 5)
    }

    /// ReLU forward and backward are bit-identical to the CPU, including NaN, ±0 and aliasing input/output.
    func testReLUMatchesCPU() throws {
        let pair = try BackendPair()
        var values = randomValues(1001, seed: 11)
        values[3] = .nan; values[4] = -0.0; values[5] = 0; values[6] = -.infinity
        let input = try pair.buffers(values), output = try pair.buffers([Float](repeating: 9, count: 1001))
        try pair.cpu.relu(input: input.cpu, output: output.cpu, count: 1001)
        try pair.gpu.relu(input: input.gpu, output: output.gpu, count: 1001)
        var (expected, actual) = try pair.download(output)
        assertIdentical(actual, expected, "relu")
        let gradient = try pair.buffers(randomValues(1001, seed: 12))
        try pair.cpu.reluBackward(gradient: gradient.cpu, output: input.cpu, count: 1001)
        try pair.gpu.reluBackward(gradient: gradient.gpu, output: input.gpu, count: 1001)
        (expected, actual) = try pair.download(gradient)
        assertIdentical(actual, expected, "reluBackward")
        try pair.cpu.relu(input: input.cpu, output: input.cpu, count: 1000)
        try pair.gpu.relu(input: input.gpu, output: input.gpu, count: 1000)
        (expected, actual) = try pair.download(input)
        assertIdentical(actual, expected, "relu in place over a prefix")
    }

    /// Pooling forward and backward are bit-identical to the CPU for odd sizes, ties and NaN.
    func testPoolingMatchesCPU() throws {
        let pair = try BackendPair()
        for (c, h, w) in [(3, 7, 9), (17, 8, 6), (1, 1, 5), (5, 13, 2)] {
            // Values from a small set make ties common; the first-in-scan-order rule decides them.
            var values = randomValues(c * h * w, seed: UInt64(c * 100 + h)).map { ($0 * 3).rounded() }
            if values.count > 10 { values[10] = .nan }
            let input = try pair.buffers(values)
            for mode in PoolingMode.allCases {
                let output = try pair.buffers([Float](repeating: 7, count: c * (h / 2) * (w / 2)))
                try pair.cpu.pool2x2(input: input.cpu, output: output.cpu, channels: c, height: h, width: w, mode: mode)
                try pair.gpu.pool2x2(input: input.gpu, output: output.gpu, channels: c, height: h, width: w, mode: mode)
                var (expected, actual) = try pair.download(output)
                assertIdentical(actual, expected, "pool \(mode) \(c)×\(h)×\(w)")
                let gradOutput = try pair.buffers(randomValues(c * (h / 2) * (w / 2), seed: 5))
                let gradInput = try pair.buffers([Float](repeating: 3, count: c * h * w))
                try pair.cpu.pool2x2Backward(gradOutput: gradOutput.cpu, input: input.cpu, gradInput: gradInput.cpu,
                                             channels: c, height: h, width: w, mode: mode)
                try pair.gpu.pool2x2Backward(gradOutput: gradOutput.gpu, input: input.gpu, gradInput: gradInput.gpu,
                                             channels: c, height: h, width: w, mode: mode)
                (expected, actual) = try pair.download(gradInput)
                assertIdentical(actual, expected, "pool backward \(mode) \(c)×\(h)×\(w)")
            }
        }
    }

    /// Gram and its backward agree within 1e-5 of the largest magnitude, for channel counts off the 32-tile
    /// and pixel counts that split unevenly; the Gram is exactly symmetric.
    /// Gram and its gradient match the CPU with the default tiling and with others (GPUSTYLE_GRAM_TILING), on shapes
    /// that fill no tile exactly.
    func testGramMatchesCPU() throws {
        let device = try OpenCLTestDevice.backend().device.index
        for tiling in ["64,16,8,4,8,16,16", "32,16,2,2,4,16,16", "64,16,4,4,4,16,16", "64,8,8,4,8,8,8", "16,4,1,1,2,8,32"] {
            let gpu = try OpenCLBackend(deviceIndex: device, convTuning: ConvTuning(), gramTiling: try GramTiling(parsing: tiling))
            try BackendPair(gpu: gpu).checkGram(shapes: gpu.gramTiling == GramTiling() ? [(1, 7), (3, 300), (5, 1000), (17, 77), (70, 531), (33, 4099)]
                                                                                    : [(3, 300), (70, 531), (33, 4099)])
        }
        XCTAssertEqual(try GramTiling(parsing: "64,16,8,4,8,16,16"), GramTiling(), "the default")
        for bad in ["32,16,2", "32,16,3,2,4,16,16", "0,16,2,2,4,16,16", "x,16,2,2,4,16,16", "512,16,2,2,4,16,16"] {
            XCTAssertThrowsError(try GramTiling(parsing: bad), bad)
        }
        XCTAssertThrowsError(try GramTiling(parsing: "256,16,1,2,4,16,16").validate(maxWorkGroupSize: 1024, localMemoryBytes: 49152),
                             "256×256 work-items")
    }

    /// Weight arrangement: the forward set is [c][tap][k], the input-gradient set is [k][8 − tap][c], both zero padded.
    func testWeightArrangement() {
        let tuning = ConvTuning()
        let weights = (0..<(2 * 3 * 9)).map(Float.init)   // outChannels 2, inChannels 3
        let forward = tuning.arrange(weights: weights, inChannels: 3, outChannels: 2, transposedRotated: false)
        XCTAssertEqual(forward.outPad, 32)
        XCTAssertEqual(forward.values.count, 8 * 9 * 32)
        XCTAssertEqual(forward.values[(2 * 9 + 4) * 32 + 1], weights[(1 * 3 + 2) * 9 + 4])
        let backward = tuning.arrange(weights: weights, inChannels: 3, outChannels: 2, transposedRotated: true)
        XCTAssertEqual(backward.values.count, 8 * 9 * 32)
        XCTAssertEqual(backward.values[(1 * 9 + 0) * 32 + 2], weights[(1 * 3 + 2) * 9 + 8])
        XCTAssertEqual(backward.values[(1 * 9 + 0) * 32 + 3], 0)
    }
}
