// OpenCLTensorCoreTests.swift — winograd.cl's tensor-core GEMM (3×TF32 and TF32), through its fragment emulation.
import Foundation
import XCTest
@testable import GPUStyle

final class OpenCLTensorCoreTests: XCTestCase {
    /// A backend whose Winograd GEMM is the tensor-core kernel built with `MMA_EMULATE` (any OpenCL device).
    private func emulated(_ precision: GemmPrecision, gemm: GemmTiling? = nil) throws -> OpenCLBackend {
        _ = try OpenCLTestDevice.backend()
        return try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(gemm: gemm ?? GemmTiling()), precision: precision,
                                 emulateTensorCores: true)
    }

    /// One forward convolution (no ReLU) of `input` (`c × h × w`) to `k` channels on `backend`.
    private static func convolve(on backend: Backend, weights: [Float], bias: [Float], input: [Float],
                                 shape: (c: Int, k: Int, h: Int, w: Int)) throws -> [Float] {
        let (c, k, h, w) = shape
        let conv = try backend.prepareConv(weights: weights, bias: bias, inChannels: c, outChannels: k)
        let x = try backend.makeBuffer(count: c * h * w), y = try backend.makeBuffer(count: k * h * w)
        try backend.upload(input, to: x)
        try backend.conv3x3(input: x, conv: conv, output: y, height: h, width: w, relu: false)
        return try backend.download(y)
    }

    /// 3×TF32 matches im2col as closely as the FP32 GEMM (1e-5 of the largest magnitude), forward and input gradient,
    /// through the wide GEMM (64 tiles: 240 and 60 tiles here) and the narrow one (32: 15 and 6 tiles), several
    /// channel tiles and steps, and chunks of one GEMM tile.
    func testTF32x3MatchesTheIm2colReference() throws {
        let gpu = try emulated(.tf32x3)
        XCTAssertEqual(gpu.convTuning.gemm, .tensorCores(.tf32x3))
        XCTAssertTrue(gpu.convTilingDescription.contains("tensor cores tf32x3"), gpu.convTilingDescription)
        let pair = try BackendPair(cpu: CPUBackend(threads: 1, convolution: .im2col), gpu: gpu)
        let shapes = [(20, 40, 64, 60), (17, 70, 9, 17), (64, 48, 37, 23), (33, 20, 5, 9)]
        try pair.checkConvolutions(shapes, seed: 900, label: "tf32x3 Winograd") { c, k, conv in
            let prepared = try gpu.clConv(conv)
            XCTAssertTrue(prepared.forward.winograd && prepared.backward.winograd, "\(c)→\(k) should use Winograd")
        }
        gpu.winogradScratchLimit = 1
        try pair.checkConvolutions([(24, 20, 37, 29)], seed: 910, label: "tf32x3 Winograd, chunked")
    }

    /// Other tensor-core tilings (GPUSTYLE_TENSOR_TILING): four warps across 128 tiles, each with four m16 fragments;
    /// eight warps (256 work-items); one 8-channel step per stage.
    func testOtherTensorCoreTilings() throws {
        for (m, n, d, warps) in [(64, 128, 16, 4), (128, 64, 16, 8), (64, 64, 8, 4)] {
            let tiling = GemmTiling.tensorCores(.tf32x3, outChannels: m, tiles: n, depth: d, warps: warps)
            XCTAssertTrue(tiling.isValid, tiling.summary)
            let gpu = try emulated(.tf32x3, gemm: tiling)
            XCTAssertEqual(gpu.convTuning.gemm, tiling)
            let pair = try BackendPair(cpu: CPUBackend(threads: 1, convolution: .im2col), gpu: gpu)
            try pair.checkConvolutions([(20, 40, 64, 60), (33, 70, 9, 17)], seed: 930, label: "tf32x3 \(tiling.summary)")
        }
    }

    /// A whole stylisation with 3×TF32 passes the FP32 parity check against the CPU (`assertTwentyIterationsAgree`).
    func testTF32x3StylisationAgreesWithCPU() throws {
        try OpenCLEngineParityTests.assertTwentyIterationsAgree(try emulated(.tf32x3), optimizers: [.lbfgs], label: "tf32x3 ")
    }

    /// TF32 alone is within TF32's precision through Winograd's transforms (8e-3 of the largest magnitude measured here;
    /// bound 2e-2) and clearly less exact than 3×TF32: the emulation rounds operands as the hardware does, and the split
    /// recovers what the rounding loses.
    func testTF32IsRoundedAndTheSplitRecoversFP32() throws {
        let (c, k, h, w) = (48, 64, 24, 20)
        let weights = randomValues(k * c * 9, seed: 920), bias = randomValues(k, seed: 921), input = randomValues(c * h * w, seed: 922)
        func convolve(_ backend: Backend) throws -> [Float] {
            try Self.convolve(on: backend, weights: weights, bias: bias, input: input, shape: (c, k, h, w))
        }
        let expected = try convolve(CPUBackend(threads: 1, convolution: .im2col))
        func worstError(_ actual: [Float]) -> Float {
            let scale = expected.map { abs($0) }.max() ?? 1
            return zip(actual, expected).map { abs($0 - $1) }.max()! / scale
        }
        let split = worstError(try convolve(try emulated(.tf32x3)))
        let single = worstError(try convolve(try emulated(.tf32)))
        let fp32 = worstError(try convolve(try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning())))
        XCTAssertLessThan(split, 1e-5)
        XCTAssertLessThan(split, 4 * max(fp32, 1e-7), "3×TF32 \(split) vs FP32 \(fp32)")
        XCTAssertLessThan(single, 2e-2)
        XCTAssertGreaterThan(single, 20 * split, "TF32 \(single) vs 3×TF32 \(split): the emulation should round operands")
    }

    /// A NaN input stays NaN through the tensor-core GEMM in both precisions, including NVIDIA's canonical NaN
    /// 0x7fffffff, which adding half a TF32 ulp would carry into −0 (and so into finite outputs) without the guard.
    func testNaNInputsStayNaN() throws {
        let (c, k, h, w) = (20, 24, 8, 8)
        var input = randomValues(c * h * w, seed: 940)
        input[3 * h * w + 2 * w + 5] = Float(bitPattern: 0x7fff_ffff)  // channel 3, pixel (2, 5)
        for precision in [GemmPrecision.tf32x3, .tf32] {
            let output = try Self.convolve(on: try emulated(precision), weights: randomValues(k * c * 9, seed: 941),
                                           bias: [Float](repeating: 0, count: k), input: input, shape: (c, k, h, w))
            for channel in 0..<k {
                XCTAssertTrue(output[channel * h * w + 2 * w + 5].isNaN, "\(precision): channel \(channel) at the NaN pixel")
                XCTAssertFalse(output[channel * h * w + 7 * w + 0].isNaN, "\(precision): channel \(channel) far from it")
            }
        }
    }

    /// The tensor-core tiling: one warp of 32 work-items across, four warps, local tiles padded by 8 words per row,
    /// the kernel switch in the build options; the narrow variant keeps the warp width.
    func testTensorCoreTiling() throws {
        let g = GemmTiling.tensorCores(.tf32x3)
        XCTAssertTrue(g.isValid && g.narrow.isValid)
        XCTAssertEqual(g.tiles / g.tilesPerItem, 32)
        XCTAssertEqual(g.narrow.tiles / g.narrow.tilesPerItem, 32)
        XCTAssertEqual(g.threads, 128)
        XCTAssertEqual(g.narrow.threads, 128)
        XCTAssertEqual(g.localBytes, 4 * 16 * (72 + 72) + 16)
        XCTAssertTrue(g.buildOptions.hasSuffix("-D GEMM_MMA=3"), g.buildOptions)
        XCTAssertTrue(GemmTiling.tensorCores(.tf32).buildOptions.hasSuffix("-D GEMM_MMA=1"))
        XCTAssertFalse(GemmTiling().buildOptions.contains("GEMM_MMA"))
        XCTAssertFalse(GemmTiling(outChannels: 64, tiles: 64, depth: 16, channelsPerItem: 16, tilesPerItem: 4, precision: .tf32).isValid,
                       "16 work-items across are not a warp")
        XCTAssertFalse(GemmTiling(outChannels: 64, tiles: 64, depth: 12, channelsPerItem: 16, tilesPerItem: 2, precision: .tf32).isValid,
                       "depth must be whole 8-channel steps")
        XCTAssertThrowsError(try ConvTuning(gemm: GemmTiling(outChannels: 64, tiles: 64, depth: 8, channelsPerItem: 8, tilesPerItem: 4,
                                                             precision: .tf32x3)).validate(maxWorkGroupSize: 1024, localMemoryBytes: 1 << 16))
        // GPUSTYLE_TENSOR_TILING=CHANNELS,TILES,DEPTH,WARPS (64,128,16,8: valid, but not its 32-tile variant).
        XCTAssertEqual(try GemmTiling.tensorCores(.tf32, environment: [:]), .tensorCores(.tf32))
        let wide = try GemmTiling.tensorCores(.tf32x3, environment: ["GPUSTYLE_TENSOR_TILING": "64,128,16,4"])
        XCTAssertEqual([wide.outChannels, wide.tiles, wide.depth, wide.threads, wide.tilesPerItem], [64, 128, 16, 128, 4])
        for bad in ["64,64,16", "64,48,16,4", "64,64,12,4", "32,64,16,8", "a,64,16,4", "64,64,16,0", "64,128,16,8"] {
            XCTAssertThrowsError(try GemmTiling.tensorCores(.tf32, environment: ["GPUSTYLE_TENSOR_TILING": bad]), bad) {
                XCTAssertEqual(($0 as? GPUStyleError)?.kind, .usage)
            }
        }
        // Stored tilings round-trip, and those written before `precision` existed read as FP32.
        let data = try JSONEncoder().encode(g)
        XCTAssertEqual(try JSONDecoder().decode(GemmTiling.self, from: data), g)
        let old = #"{"outChannels":64,"tiles":128,"depth":8,"channelsPerItem":8,"tilesPerItem":8,"prefetch":false}"#
        XCTAssertEqual(try JSONDecoder().decode(GemmTiling.self, from: Data(old.utf8)), GemmTiling())
    }

    /// Without tensor cores (PoCL, older NVIDIA GPUs) `--precision tf32x3|tf32` is a usage error that says what is
    /// needed; so is asking for it with `--opencl-convolution direct`.
    func testPrecisionNeedsTensorCores() throws {
        func device(_ capability: Int?) -> OpenCLDeviceInfo {
            OpenCLDeviceInfo(index: 0, platformName: "NVIDIA CUDA", platformVersion: "OpenCL 3.0", name: "GPU", vendor: "NVIDIA",
                             type: .gpu, available: true, globalMemoryBytes: 1 << 30, maxAllocationBytes: 1 << 28,
                             localMemoryBytes: 1 << 15, driverVersion: "1", deviceVersion: "OpenCL 3.0 CUDA",
                             openCLCVersion: "OpenCL C 1.2", computeUnits: 4, maxWorkGroupSize: 1024, baseAddressAlignmentBytes: 128,
                             computeCapability: capability)
        }
        XCTAssertNoThrow(try GemmPrecision.tf32x3.checkSupport(on: device(90), emulated: false))
        XCTAssertNoThrow(try GemmPrecision.tf32.checkSupport(on: device(80), emulated: false))
        XCTAssertNoThrow(try GemmPrecision.fp32.checkSupport(on: device(nil), emulated: false))
        XCTAssertNoThrow(try GemmPrecision.tf32.checkSupport(on: device(nil), emulated: true))
        XCTAssertThrowsError(try GemmPrecision.tf32x3.checkSupport(on: device(75), emulated: false)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("compute capability 7.5") && "\(error)".contains("--precision fp32"), "\(error)")
        }
        XCTAssertThrowsError(try GemmPrecision.tf32.checkSupport(on: device(nil), emulated: false)) { error in
            XCTAssertTrue("\(error)".contains("no NVIDIA compute capability"), "\(error)")
        }
        let pocl = try OpenCLTestDevice.backend()
        if pocl.device.computeCapability == nil {
            XCTAssertThrowsError(try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(), precision: .tf32x3, emulateTensorCores: false)) {
                XCTAssertEqual(($0 as? GPUStyleError)?.kind, .usage)
            }
        }
        XCTAssertThrowsError(try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(), algorithm: .direct, precision: .tf32,
                                               emulateTensorCores: true)) { error in
            XCTAssertTrue("\(error)".contains("drop --opencl-convolution direct"), "\(error)")
        }
        // A tiling that chose the direct kernel (as `gpustyle tune` may) gives way to Winograd on tensor cores.
        let tensor = try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(algorithm: .direct), precision: .tf32, emulateTensorCores: true)
        XCTAssertEqual(tensor.convTuning.algorithm, .winograd)
    }
}
