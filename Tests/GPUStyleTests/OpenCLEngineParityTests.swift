// OpenCLEngineParityTests.swift — the same small stylisation through the engine on OpenCL and on the CPU.
import XCTest
@testable import GPUStyle

final class OpenCLEngineParityTests: XCTestCase {
    /// Issue 3's check in miniature (see `assertTwentyIterationsAgree`), with L-BFGS and Adam.
    func testTwentyIterationsAgreeWithCPU() throws {
        try Self.assertTwentyIterationsAgree(try OpenCLTestDevice.backend(), optimizers: OptimizerKind.allCases)
    }

    /// The same with the kernels GPUs get (ReLU gates fused into the Winograd input gradients), L-BFGS, keeping the
    /// ReLU outputs (gates from FP32 outputs) and compact (gates from 1-bit masks).
    func testTwentyIterationsAgreeWithCPUInGPUBuilds() throws {
        _ = try OpenCLTestDevice.backend()
        let gpu = try OpenCLBackend(deviceIndex: nil, convTuning: ConvTuning(), gpuKernelShapes: true)
        for layout in [ActivationLayout.keepAll, .compact] {
            try Self.assertTwentyIterationsAgree(gpu, optimizers: [.lbfgs], layout: .fixed(layout), label: "GPU builds, \(layout): ")
        }
    }

    /// The parity check for `gpu` with each of `optimizers`: the first iteration's content, style and TV losses within
    /// 1e-4 relative of the CPU's, and every total loss through iteration 6 too; after 20 iterations Adam's total within
    /// 1%, L-BFGS's at least as low as the other backend's best over its first 15.
    ///
    /// L-BFGS (no line search, as neural-style) amplifies rounding about tenfold per iteration from the ninth on: on
    /// this job the CPU's own two convolutions (Winograd and im2col, both exact to FP32) end 1.2% apart after 20
    /// iterations and 4.6% after 18, so a 1% bound there passes or fails by chance (CI's CPU, with other BLAS kernels,
    /// ended 2.3% from this machine's). Through iteration 6 every backend measured agrees within 1e-6 (within 9e-6
    /// through 8, where the amplification starts); the progress
    /// bound after 20 still fails a backend whose optimiser or gradient is off.
    static func assertTwentyIterationsAgree(_ gpu: OpenCLBackend, optimizers: [OptimizerKind], layout: LayoutChoice = .auto,
                                            label: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        func image(_ width: Int, _ height: Int, seed: UInt64) -> RGBImage {
            RGBImage(width: width, height: height, pixels: randomValues(3 * width * height, seed: seed, in: 0...1))
        }
        let model = Model.random(.vgg16, seed: 9, upTo: "conv3_1")
        let weights = LossWeights(content: 5, style: 100, tv: 1e-3, contentLayers: ["relu2_2"],
                                  styleLayers: ["relu1_1", "relu2_1", "relu3_1"])
        for optimizer in optimizers {
            var settings = RenderSettings(weights: weights, iterations: 20)
            settings.optimizer = optimizer
            settings.seed = 11
            settings.layout = layout
            var histories: [[IterationStatus]] = []
            for backend in [CPUBackend() as Backend, gpu] {
                let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu3_1")
                let result = try StyleTransfer(network: network, settings: settings).render(
                    content: image(29, 21, seed: 1), width: 29, height: 21, styles: [image(26, 31, seed: 2)], blendWeights: [1])
                histories.append(result.history)
            }
            let (cpu, cl) = (histories[0], histories[1])
            for (a, b) in [(cl[0].losses.content, cpu[0].losses.content), (cl[0].losses.style, cpu[0].losses.style),
                           (cl[0].losses.tv, cpu[0].losses.tv)] {
                assertRelative(a, b, 1e-4, "\(label)\(optimizer) first-iteration loss", file: file, line: line)
            }
            for i in 1..<6 {
                assertRelative(cl[i].losses.total, cpu[i].losses.total, 1e-4, "\(label)\(optimizer) loss at iteration \(i + 1)",
                               file: file, line: line)
            }
            if optimizer == .lbfgs {
                let best = { (history: [IterationStatus]) in history.prefix(15).map(\.losses.total).min()! }
                XCTAssertLessThanOrEqual(cl.last!.losses.total, best(cpu), "\(label)L-BFGS after 20 iterations vs the CPU's best over 15",
                                         file: file, line: line)
                XCTAssertLessThanOrEqual(cpu.last!.losses.total, best(cl), "\(label)the CPU after 20 iterations vs L-BFGS's best over 15",
                                         file: file, line: line)
            } else {
                assertRelative(cl.last!.losses.total, cpu.last!.losses.total, 1e-2, "\(label)\(optimizer) loss after 20 iterations",
                               file: file, line: line)
            }
            XCTAssertLessThan(cl.last!.losses.total, cl[0].losses.total, "\(label)\(optimizer) optimises on OpenCL", file: file, line: line)
        }
    }
}
