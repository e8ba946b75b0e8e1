// OpenCLWinogradTests.swift — winograd.cl (input transform, batched GEMM, output transform) against the im2col CPU reference.
import XCTest
@testable import GPUStyle

final class OpenCLWinogradTests: XCTestCase {
    /// (inChannels, outChannels, height, width): single pixels, one tile, sizes off the 4×4 tile, counts off every
    /// GEMM tile, more output channels than one GEMM tile and fewer, both directions; 240 tiles take the full GEMM
    /// (128 tiles per group), the others (at most 60) its narrow variant (32).
    static let shapes = [(16, 16, 1, 1), (16, 16, 4, 4), (17, 70, 9, 17), (33, 20, 13, 19), (64, 48, 37, 23), (20, 130, 6, 5),
                         (20, 40, 64, 60)]

    /// Forward (with and without bias + ReLU) and input gradient agree with im2col within 1e-5 of the largest
    /// magnitude (F(4×4, 3×3) in FP32: 1–4e-6 relative).
    func testWinogradMatchesTheIm2colReference() throws {
        _ = try OpenCLTestDevice.backend()
        try check(try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning()), Self.shapes)
    }

    /// Other GEMM tilings (scalar weight loads when the register block is not a multiple of 4, depth 4 and 16, loads
    /// not a multiple of the work-group, prefetching) and chunks of a few GEMM tiles (a tiny scratch budget) give the
    /// same results.
    func testOtherGemmTilingsAndChunks() throws {
        _ = try OpenCLTestDevice.backend()
        for gemm in [GemmTiling(outChannels: 16, tiles: 32, depth: 4, channelsPerItem: 2, tilesPerItem: 4),
                     GemmTiling(outChannels: 32, tiles: 16, depth: 16, channelsPerItem: 4, tilesPerItem: 2, prefetch: true),
                     GemmTiling(outChannels: 64, tiles: 128, depth: 8, channelsPerItem: 8, tilesPerItem: 8, prefetch: true),
                     GemmTiling(outChannels: 32, tiles: 32, depth: 4, channelsPerItem: 4, tilesPerItem: 4, prefetch: true)] {
            let backend = try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(gemm: gemm))
            backend.winogradScratchLimit = 1  // one GEMM tile of tiles per chunk
            try check(backend, [(20, 24, 37, 29), (17, 40, 9, 130), (24, 20, 5, 9)])  // 80, 99 and 6 tiles
        }
    }

    /// The builds a GPU gets (register-block loops unrolled, the GEMM's tiles in runs of 4; CPU devices build other
    /// shapes) compute the same: wide and narrow Winograd GEMMs, direct and narrow-output convolutions, Gram.
    func testGPUKernelShapesMatchTheReference() throws {
        _ = try OpenCLTestDevice.backend()
        for algorithm in ConvAlgorithm.allCases {
            let gpu = try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(algorithm: algorithm), gpuKernelShapes: true)
            let pair = try BackendPair(cpu: CPUBackend(threads: 1, convolution: .im2col), gpu: gpu)
            try pair.checkConvolutions([(20, 40, 37, 29), (24, 20, 5, 9), (3, 64, 9, 17), (64, 3, 9, 17)], seed: 320,
                                       label: "GPU shapes, \(algorithm)")
            try pair.checkGram(shapes: [(70, 531)])
        }
        // Gram tilings in runs of 4 (the default; larger blocks) and ones the GPU layout cannot take (strided).
        for tiling in ["128,8,8,8,8,16,8", "64,16,4,4,4,16,16", "32,16,2,2,4,16,16"] {
            let gpu = try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(), gpuKernelShapes: true, gramTiling: try GramTiling(parsing: tiling))
            try BackendPair(gpu: gpu).checkGram(shapes: [(70, 531), (33, 4099)])
        }
    }

    /// Convolutions with fewer than 16 channels on a side (the RGB layer) take the direct kernel; `.direct` never
    /// takes Winograd.
    func testWhichConvolutionsUseWinograd() throws {
        let t = ConvTuning()
        XCTAssertFalse(t.usesWinograd(inChannels: 3, outChannels: 64))
        XCTAssertFalse(t.usesWinograd(inChannels: 64, outChannels: 3))
        XCTAssertTrue(t.usesWinograd(inChannels: 16, outChannels: 512))
        XCTAssertFalse(ConvTuning(algorithm: .direct).usesWinograd(inChannels: 512, outChannels: 512))
        let gpu = try OpenCLTestDevice.backend()
        let conv = try gpu.clConv(try gpu.prepareConv(weights: randomValues(64 * 3 * 9, seed: 1), bias: randomValues(64, seed: 2),
                                                      inChannels: 3, outChannels: 64))
        XCTAssertFalse(conv.forward.winograd || conv.backward.winograd)
        let deep = try gpu.clConv(try gpu.prepareConv(weights: randomValues(20 * 16 * 9, seed: 3), bias: randomValues(20, seed: 4),
                                                      inChannels: 16, outChannels: 20))
        XCTAssertTrue(deep.forward.winograd && deep.backward.winograd)
        XCTAssertEqual(deep.forward.outPad, 64)  // 20 output channels padded to the GEMM's 64
        XCTAssertEqual(deep.backward.inPad, 24)  // the gradient's 20 input channels padded to the GEMM depth 8
    }

    /// The full GEMM takes a layer unless padding its tiles to the GEMM's tile count more than doubles them.
    func testFewTilesTakeTheNarrowGemm() {
        let g = GemmTiling()
        XCTAssertEqual(g.narrow.tiles, 32)
        XCTAssertEqual(g.narrow.outChannels, g.outChannels)  // same padded weights
        XCTAssertEqual(g.narrow.depth, g.depth)
        XCTAssertTrue(g.suits(tiles: 240))
        XCTAssertTrue(GemmTiling(tiles: 16, tilesPerItem: 4).suits(tiles: 6), "never narrower than the narrow GEMM")
        XCTAssertTrue(g.suits(tiles: 64))    // 32×32 px: 128 padded, twice the work
        XCTAssertTrue(g.suits(tiles: 16384))
        XCTAssertFalse(g.suits(tiles: 63))
        XCTAssertFalse(g.suits(tiles: 1))
    }

    /// The output transform writes only the output's C×H×W: a larger buffer keeps its tail.
    func testWinogradLeavesTheRestOfTheBufferAlone() throws {
        try assertConvolutionLeavesTheBufferTail(try OpenCLTestDevice.backend(), inChannels: 16, outChannels: 20)
    }

    /// The planner sets the Winograd scratch budget aside (less what is already allocated), and convolutions both ways
    /// keep their transformed inputs and products (one buffer) within it, in chunks.
    func testScratchStaysWithinTheWorkspaceThePlannerSetsAside() throws {
        let gpu = try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning())
        XCTAssertEqual(gpu.memoryLimits.workspaceBytes, gpu.winogradScratchBytes)
        XCTAssertEqual(try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(algorithm: .direct)).memoryLimits.workspaceBytes, 0)
        let budget = 4 << 20
        gpu.winogradScratchLimit = budget
        let (c, k, h, w) = (64, 128, 64, 64)  // 256 tiles; 36 × 192 floats each: 151 fit, so chunks of 128
        let conv = try gpu.prepareConv(weights: randomValues(k * c * 9, seed: 5), bias: randomValues(k, seed: 6), inChannels: c, outChannels: k)
        let x = try gpu.makeBuffer(count: c * h * w), y = try gpu.makeBuffer(count: k * h * w)
        gpu.resetPeakMemory()
        let before = gpu.memory.currentBytes
        try gpu.conv3x3(input: x, conv: conv, output: y, height: h, width: w, relu: true)
        try gpu.conv3x3InputGradient(gradOutput: y, conv: conv, gradInput: x, height: h, width: w)
        try gpu.finish()
        XCTAssertEqual(gpu.memory.peakBytes - before, 36 * (64 + 128) * 128 * 4)
        XCTAssertLessThanOrEqual(gpu.memory.peakBytes - before, budget)
        XCTAssertEqual(gpu.memoryLimits.workspaceBytes, budget - 36 * (64 + 128) * 128 * 4)
    }

    /// `winogradChunkBytes` cuts a layer's tiles into chunks of at most that much scratch, never below the size of its
    /// transformed weights (every chunk reads them) nor above the scratch; the results stay the same.
    func testChunkSizeCutsLayersIntoChunksAndKeepsResults() throws {
        _ = try OpenCLTestDevice.backend()
        // 640 tiles of 36 × (16 + 64) floats (11520 bytes); weights 36 × 16 × 64 floats (147456 bytes).
        let (c, k, h, w) = (16, 16, 64, 160)
        for (target, budget, chunks) in [(nil, nil, 1), (3 << 20, 3 << 20, 3), (1, 147456, 5)] as [(Int?, Int?, Int)] {
            var tuning = ConvTuning()
            tuning.winogradChunkBytes = target
            let gpu = try OpenCLBackend(deviceIndex: nil, convTuning: tuning)
            let conv = try gpu.prepareConv(weights: randomValues(k * c * 9, seed: 7), bias: randomValues(k, seed: 8), inChannels: c, outChannels: k)
            XCTAssertEqual(gpu.winogradChunkBudget(try gpu.clConv(conv).forward), budget ?? gpu.winogradScratchBytes)
            let x = try gpu.makeBuffer(count: c * h * w), y = try gpu.makeBuffer(count: k * h * w)
            let before = gpu.kernelLaunches
            try gpu.conv3x3(input: x, conv: conv, output: y, height: h, width: w, relu: true)
            XCTAssertEqual(gpu.kernelLaunches - before, 3 * chunks, "chunk size \(target.map(String.init) ?? "default")")
            gpu.winogradScratchLimit = 1 << 20
            XCTAssertEqual(gpu.winogradChunkBudget(try gpu.clConv(conv).forward), min(1 << 20, budget ?? .max), "never above the scratch")
            if target == 1 { try check(gpu, [(c, k, h, w), (64, 48, 37, 23)]) }
        }
    }

    /// An input gradient gated by the layer's ReLU (its FP32 output, or the packed mask of it) matches gating first and
    /// convolving on the CPU: Winograd layers (on GPUs the gate is fused into the input transform; CPU devices gate
    /// first) and a direct one (gated first), shapes off every tile. A NaN gradient where the gate is closed is
    /// dropped, not multiplied; a NaN output closes it. Fused, the gate costs no launch of its own, also over several
    /// chunks of tiles; GPUSTYLE_RELU_GATES chooses.
    func testReLUGatedInputGradientMatchesGatingFirst() throws {
        _ = try OpenCLTestDevice.backend()
        for (fused, chunked) in [(true, false), (true, true), (false, false)] {
            let gpu = try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(), gpuKernelShapes: fused)
            XCTAssertEqual(gpu.fusesReLUGates, fused)
            if chunked { gpu.winogradScratchLimit = 1 }  // one GEMM tile of tiles per chunk
            try checkGatedInputGradients(try BackendPair(cpu: CPUBackend(threads: 1, convolution: .im2col), gpu: gpu), gpu)
        }
        XCTAssertEqual(try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(), gpuKernelShapes: true, fuseReLUGates: false).fusesReLUGates, false)
        XCTAssertNil(try OpenCLBackend.fusesReLUGatesFromEnvironment([:]))
        XCTAssertEqual(try OpenCLBackend.fusesReLUGatesFromEnvironment(["GPUSTYLE_RELU_GATES": "separate"]), false)
        XCTAssertEqual(try OpenCLBackend.fusesReLUGatesFromEnvironment(["GPUSTYLE_RELU_GATES": "Fused"]), true)
        XCTAssertThrowsError(try OpenCLBackend.fusesReLUGatesFromEnvironment(["GPUSTYLE_RELU_GATES": "yes"]))
    }

    private func checkGatedInputGradients(_ pair: BackendPair, _ gpu: OpenCLBackend) throws {
        // 80, 12 and 240 tiles (two chunks of 128 with one GEMM tile per chunk), and a direct layer.
        for (index, (c, k, h, w)) in [(20, 24, 37, 29), (17, 40, 9, 13), (17, 20, 64, 60), (3, 29, 11, 19)].enumerated() {
            let seed = 340 + UInt64(index) * 10, count = k * h * w
            let weights = randomValues(k * c * 9, seed: seed), bias = randomValues(k, seed: seed + 1)
            let cpuConv = try pair.cpu.prepareConv(weights: weights, bias: bias, inChannels: c, outChannels: k)
            let gpuConv = try pair.gpu.prepareConv(weights: weights, bias: bias, inChannels: c, outChannels: k)
            var outputs = randomValues(count, seed: seed + 2), gradient = randomValues(count, seed: seed + 3)
            outputs[5] = .nan
            for i in [5] + Array(outputs.indices.filter { outputs[$0] < 0 }.prefix(3)) { gradient[i] = .nan }
            let y = try pair.buffers(outputs)
            let mask = (cpu: try pair.cpu.makeBuffer(count: PackedSizes.mask(bits: count)), gpu: try pair.gpu.makeBuffer(count: PackedSizes.mask(bits: count)))
            try pair.cpu.packPositiveMask(values: y.cpu, mask: mask.cpu, count: count)
            try pair.gpu.packPositiveMask(values: y.gpu, mask: mask.gpu, count: count)
            for (kind, cpuGate, gpuGate) in [("output", ReLUGate.output(y.cpu), ReLUGate.output(y.gpu)), ("mask", .mask(mask.cpu), .mask(mask.gpu))] {
                let g = try pair.buffers(gradient), dx = try pair.buffers([Float](repeating: 7, count: c * h * w))
                try pair.cpu.conv3x3InputGradient(gradOutput: g.cpu, conv: cpuConv, gradInput: dx.cpu, height: h, width: w, gate: cpuGate)
                let before = gpu.kernelLaunches
                try pair.gpu.conv3x3InputGradient(gradOutput: g.gpu, conv: gpuConv, gradInput: dx.gpu, height: h, width: w, gate: gpuGate)
                let launches = gpu.kernelLaunches - before  // 3 per chunk (Winograd) or 1 (direct), +1 to gate first
                let winograd = try gpu.clConv(gpuConv).backward.winograd
                if winograd {
                    XCTAssertEqual(launches % 3, gpu.fusesReLUGates ? 0 : 1, "\(kind) gate \(c)→\(k): \(launches) launches")
                } else {
                    XCTAssertEqual(launches, 2, "\(kind) gate \(c)→\(k): gated first, then the direct kernel")
                }
                let (expected, actual) = try pair.download(dx)
                XCTAssertTrue(expected.allSatisfy(\.isFinite) && actual.allSatisfy(\.isFinite), "\(kind) gate \(c)→\(k): NaN passed")
                assertClose(actual, expected, tolerance: 1e-5, "\(kind)-gated input gradient \(c)→\(k) \(h)×\(w)")
            }
        }
    }

    private func check(_ gpu: OpenCLBackend, _ shapes: [(Int, Int, Int, Int)]) throws {
        let pair = try BackendPair(cpu: CPUBackend(threads: 1, convolution: .im2col), gpu: gpu)
        try pair.checkConvolutions(shapes, seed: 300, label: "Winograd conv") { c, k, conv in
            let prepared = try gpu.clConv(conv)
            XCTAssertTrue(prepared.forward.winograd && prepared.backward.winograd, "\(c)→\(k) should use Winograd")
        }
    }
}
