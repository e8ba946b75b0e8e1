// BenchCommand.swift — `gpustyle bench`: milliseconds per iteration and per phase, peak memory, backend comparison.
import ArgumentParser
import Foundation
import GPUStyle

extension CPUConvolutionAlgorithm: ExpressibleByArgument {}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time full style-transfer iterations on a random W×H image (random VGG19 weights unless --model).")

    @Option(help: "Image size in pixels: N for N×N, or WxH (e.g. 256x192).") var size = "512"
    @Option(help: "Image width in pixels (overrides --size).") var width: Int?
    @Option(help: "Image height in pixels (overrides --size).") var height: Int?
    @Option(help: "Timed iterations (after one warm-up).") var iterations = 10
    @Option(help: "Network for random weights when no --model is given.") var architecture: Architecture = .vgg19
    @Option(help: "A weight file or installed model to time instead of random weights.") var model: String?
    @Option(help: "L-BFGS history length.") var lbfgsHistory = 100
    @Flag(help: "Run the CPU and the OpenCL backend on the same job and compare times and losses.") var compare = false
    @Flag(help: "Skip the separate per-phase timing pass.") var noPhases = false
    @Flag(help: "Time the first iteration too (no untimed warm-up; for sizes where one iteration is all you can afford).")
    var noWarmup = false
    @Flag(help: "Only print the memory plan and its predicted peak; compute nothing.") var planOnly = false
    @Flag(help: "OpenCL: also time each kernel on the device (profiling events) over --iterations more iterations.")
    var profileKernels = false
    @OptionGroup var memoryOptions: MemoryOptions
    @Option(name: .customLong("cpu-convolution"), help: "CPU backend convolutions: winograd (default) or im2col (the plain reference).")
    var cpuConvolutionChoice: CPUConvolutionAlgorithm?
    private var cpuConvolution: CPUConvolutionAlgorithm { cpuConvolutionChoice ?? .winograd }
    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "Write the results as JSON here.") var report: String?

    /// Width and height from --size, --width and --height.
    func dimensions() throws -> (width: Int, height: Int) {
        let parts = size.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), let w = parts.first!, let h = parts.last! else {
            throw GPUStyleError(.usage, "--size '\(size)' is neither N nor WxH (e.g. 512 or 256x192)")
        }
        let (width, height) = (width ?? w, height ?? h)
        guard (32...32768).contains(width), (32...32768).contains(height) else {
            throw GPUStyleError(.usage, "bench sizes must be 32…32768 on each side (got \(width)×\(height))")
        }
        return (width, height)
    }

    func run() throws {
        let (width, height) = try dimensions()
        guard iterations >= 1 else { throw GPUStyleError(.usage, "--iterations must be at least 1 (got \(iterations))") }
        if compare && backendOptions.backend == .cpu {
            throw GPUStyleError(.usage, "--compare runs both the CPU and the OpenCL backend; drop --backend cpu")
        }
        try LBFGS.checkHistory(lbfgsHistory)
        if cpuConvolutionChoice != nil && backendOptions.backend == .opencl && !compare {
            throw GPUStyleError(.usage, "--cpu-convolution chooses how the CPU backend convolves; it cannot be used with --backend opencl (without --compare)")
        }
        if planOnly && report != nil {
            throw GPUStyleError(.usage, "--report records timings, and --plan-only times nothing; drop one of them")
        }
        if let report { try StylizeOptions.checkWritable(report, option: "--report") }
        let model = try model.map { try ModelLoader.load($0, architecture: nil, preprocessing: nil) }
            ?? Model.random(architecture, seed: 1)
        var options = BenchmarkOptions()
        options.lbfgsHistory = lbfgsHistory
        options.maxMemoryBytes = try memoryOptions.maxMemoryBytes()
        options.layout = try memoryOptions.layout()
        options.phases = !noPhases
        options.warmup = !noWarmup
        options.profileKernels = profileKernels
        if profileKernels && (backendOptions.backend == .cpu || compare) {
            throw GPUStyleError(.usage, "--profile-kernels times OpenCL kernels: use it with --backend opencl or auto, without --compare")
        }
        if planOnly {
            let backend = try backendOptions.makeBackend(cpuConvolution: cpuConvolution)
            let plan = try planBenchmark(backend: backend, model: model, width: width, height: height, options: options)
            print("\(backend.kind) on \(backend.deviceName), \(model.name), \(width)×\(height): memory plan \(plan.summary) (predicted, nothing computed)")
            return
        }
        var results: [BenchmarkResult] = []
        if compare {
            var opencl = backendOptions
            (opencl.backend, opencl.threads) = (.opencl, nil)  // --threads is the CPU backend's
            let cpuBackend = CPUBackend(threads: backendOptions.threads, convolution: cpuConvolution)
            for backend in [cpuBackend as Backend, try opencl.makeBackend()] {
                results.append(try runBenchmark(backend: backend, model: model, width: width, height: height, iterations: iterations,
                                                options: options))
                printResult(results.last!)
            }
            let (cpu, gpu) = (results[0], results[1])
            let differences = zip(cpu.losses, gpu.losses).map { abs($0 - $1) / max(abs($0), 1e-30) }
            print(String(format: "speedup opencl/cpu: %.2f×", cpu.secondsPerIteration / gpu.secondsPerIteration))
            print(String(format: "relative loss difference: starting image %.2e, largest over the run %.2e",
                         differences.first ?? 0, differences.max() ?? 0))
            print("  (the first compares one evaluation; later ones include L-BFGS steps, which amplify FP32 rounding,")
            print("   strongly so with random weights, where near-tied max-pool choices flip between backends)")
        } else {
            let backend = try backendOptions.makeBackend(cpuConvolution: cpuConvolution, profiling: profileKernels)
            if profileKernels && !(backend is OpenCLBackend) {
                printError("gpustyle: warning: --profile-kernels is ignored: there is no OpenCL GPU, so the CPU backend runs")
            }
            results.append(try runBenchmark(backend: backend, model: model,
                                            width: width, height: height, iterations: iterations, options: options))
            printResult(results[0])
        }
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try writeAtomically(try compare ? encoder.encode(results) : encoder.encode(results[0]), to: report)
        }
    }

    private func printResult(_ r: BenchmarkResult) {
        print("\(r.backend) on \(r.device), \(r.model), \(r.width)×\(r.height), \(r.iterations) iteration\(r.iterations == 1 ? "" : "s")")
        print(String(format: "  %.2f ms per iteration (process CPU time %.2f ms), peak device memory %@ (measured; L-BFGS history %@ of it, the rest %@)",
                     r.secondsPerIteration * 1000, r.cpuSecondsPerIteration * 1000, formatBytes(r.peakDeviceMemoryBytes),
                     formatBytes(r.optimizerBytes), formatBytes(r.peakDeviceMemoryBytes - r.optimizerBytes)))
        print("  memory plan: \(r.memoryPlan)")
        if let tiling = r.convTiling { print("  conv tiling: \(tiling)") }
        if let launches = r.kernelLaunchesPerIteration, let waits = r.hostWaitsPerIteration {
            print(String(format: "  per iteration: %.0f kernel launches, %.0f host waits", launches, waits))
        }
        if let profile = r.kernelProfile, let n = r.kernelProfileIterations, n > 0 {
            let total = profile.reduce(0) { $0 + $1.seconds }
            print(String(format: "  kernels (device time per iteration, %d profiled iterations): %.2f ms in all", n, total * 1000 / Double(n)))
            func row(_ label: String, _ k: KernelTime) -> String {
                "    " + label.padding(toLength: 54, withPad: " ", startingAt: 0) + String(format: "%9.3f ms %5.1f%%  %6.1f launches",
                    k.seconds * 1000 / Double(n), 100 * k.seconds / max(total, 1e-30), Double(k.launches) / Double(n))
            }
            for k in profile { print(row(k.kernel, k)) }
            if let span = r.kernelProfileSpanSeconds, span > 0 {
                print(String(format: "  device busy %.1f%% of the %.2f ms per iteration from the first kernel's start to the last one's end",
                             100 * total / span, span * 1000 / Double(n)))
            }
            if let shapes = r.kernelProfileShapes, !shapes.isEmpty {
                print("  convolution kernels by layer shape (longest 12 of \(shapes.count)):")
                for k in shapes.prefix(12) { print(row("\(k.kernel) \(k.shape ?? "")", k)) }
            }
        }
        if !r.phaseSeconds.isEmpty {
            let parts = PhaseClock.Phase.allCases.map { String(format: "%@ %.2f", $0.rawValue, (r.phaseSeconds[$0.rawValue] ?? 0) * 1000) }
            print("  phases (ms, separate timed pass): " + parts.joined(separator: ", "))
        }
    }
}
