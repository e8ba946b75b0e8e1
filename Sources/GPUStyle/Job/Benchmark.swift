// Benchmark.swift — times whole Gatys iterations (and their phases) on random images, for `gpustyle bench`.
import Foundation

/// What a benchmark measured.
public struct BenchmarkResult: Codable, Sendable {
    public var backend: String
    public var device: String
    public var model: String
    /// The longer side in pixels (the side of a square run).
    public var size: Int
    public var width: Int
    public var height: Int
    public var iterations: Int
    /// Mean wall time of one full iteration (forward, backward, losses, optimiser step), no phase timing.
    public var secondsPerIteration: Double
    /// CPU time of this process (all threads) per timed iteration: the work itself, whatever else runs on the machine.
    public var cpuSecondsPerIteration: Double
    /// Mean seconds per iteration of each phase, measured in a separate timed pass (`forward`, `backward`,
    /// `gram_loss`, `optimizer`).
    public var phaseSeconds: [String: Double]
    /// Measured: the most bytes allocated through the backend at once (weights, targets, activations, optimiser).
    public var peakDeviceMemoryBytes: Int
    /// Of which the L-BFGS history bank (2(m+1)+3 image-sized rows).
    public var optimizerBytes: Int
    /// The memory plan followed (layout, history, planned peak and budget).
    public var memoryPlan: String
    public var lbfgsHistory: Int
    /// Total loss at the warm-up iteration (the starting image; absent with `warmup` off) and at each timed iteration
    /// (for comparing backends).
    public var losses: [Double]
    /// The OpenCL convolution tiling and where it came from (default, or the file `gpustyle tune` stored); nil on the CPU.
    public var convTiling: String?
    /// OpenCL only: kernels enqueued and blocking device-to-host reads per timed iteration.
    public var kernelLaunchesPerIteration: Double?
    public var hostWaitsPerIteration: Double?
    /// With `profileKernels` (OpenCL): device time and launches per kernel over `kernelProfileIterations` more iterations,
    /// the same per kernel and convolution shape, and the span from the first kernel's start to the last one's end.
    public var kernelProfile: [KernelTime]?
    public var kernelProfileShapes: [KernelTime]?
    public var kernelProfileSpanSeconds: Double?
    public var kernelProfileIterations: Int?
    /// How reads waited for the device (`GPUSTYLE_HOST_WAIT`; OpenCL only).
    public var hostWait: String?
    /// The gpustyle release that measured it.
    public var version = gpustyleVersion

    enum CodingKeys: String, CodingKey {
        case backend, device, model, size, width, height, iterations, losses
        case secondsPerIteration = "seconds_per_iteration"
        case cpuSecondsPerIteration = "cpu_seconds_per_iteration"
        case phaseSeconds = "phase_seconds_per_iteration"
        case peakDeviceMemoryBytes = "peak_device_memory_bytes"
        case optimizerBytes = "optimizer_bytes"
        case memoryPlan = "memory_plan"
        case lbfgsHistory = "lbfgs_history"
        case convTiling = "conv_tiling"
        case kernelLaunchesPerIteration = "kernel_launches_per_iteration"
        case hostWaitsPerIteration = "host_waits_per_iteration"
        case kernelProfile = "kernel_profile"
        case kernelProfileShapes = "kernel_profile_shapes"
        case kernelProfileSpanSeconds = "kernel_profile_span_seconds"
        case kernelProfileIterations = "kernel_profile_iterations"
        case hostWait = "host_wait", version = "gpustyle_version"
    }
}

/// How `runBenchmark` runs besides its size: history, memory plan, and what it times.
public struct BenchmarkOptions: Sendable {
    public var lbfgsHistory = 100
    /// `--max-memory`: nil plans for 90% of the device's memory.
    public var maxMemoryBytes: Int?
    public var layout: LayoutChoice = .auto
    /// Time phases in a separate pass.
    public var phases = true
    /// Run one untimed iteration first (off: the first iteration is timed too; for huge sizes where one is enough).
    public var warmup = true
    /// Time each kernel on the device over a further `iterations` iterations (an OpenCL backend opened with profiling).
    public var profileKernels = false
    public init() {}
}

/// Runs `iterations` L-BFGS iterations of neural-style's default loss (content relu4_2, style relu1_1…relu5_1)
/// on seeded random `width × height` content and style images, after one warm-up iteration, following the memory plan.
public func runBenchmark(backend: Backend, model: Model, width: Int, height: Int, iterations: Int,
                         options: BenchmarkOptions = BenchmarkOptions()) throws -> BenchmarkResult {
    guard width >= 32, height >= 32, iterations >= 1 else {
        throw GPUStyleError(.usage, "bench needs a size of at least 32×32 (got \(width)×\(height)) and --iterations ≥ 1")
    }
    var rng = SplitMix64(seed: 42)
    func noiseImage() -> RGBImage {
        RGBImage(width: width, height: height, pixels: (0..<(3 * width * height)).map { _ in Float(rng.nextUniform()) })
    }
    let prep = model.preprocessing
    backend.resetPeakMemory()
    let (network, settings, plan) = try benchmarkSetup(backend: backend, model: model, width: width, height: height, options: options)
    let history = plan.lbfgsHistory ?? options.lbfgsHistory
    let input = { NetworkInput(height: height, width: width, values: prep.apply(noiseImage())) }
    let state = try RenderState(network: network, settings: settings, layout: plan.layout, history: history, width: width,
                                height: height, content: input(), styles: [input()], blendWeights: [1])
    let (objective, x, optimizer) = (state.objective, state.x, state.optimizer)
    try backend.upload(prep.apply(noiseImage()), to: x)

    func iterate() throws -> Double {
        let loss = try objective.evaluate(x, gradient: optimizer.gradient).total
        try optimizer.step(x: x)
        return loss
    }
    var losses = options.warmup ? [try iterate()] : []
    try backend.finish()
    let opencl = backend as? OpenCLBackend
    let (launches, waits) = (opencl?.kernelLaunches ?? 0, opencl?.hostWaits ?? 0)
    let start = DispatchTime.now().uptimeNanoseconds, startCPU = processCPUSeconds()
    for _ in 0..<iterations { losses.append(try iterate()) }
    let perIteration = opencl.map { (Double($0.kernelLaunches - launches) / Double(iterations), Double($0.hostWaits - waits) / Double(iterations)) }
    try backend.finish()
    let total = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    let totalCPU = processCPUSeconds() - startCPU

    var phaseSeconds: [String: Double] = [:]
    if options.phases {
        let clock = PhaseClock(backend: backend)
        objective.clock = clock
        for _ in 0..<iterations {
            _ = try objective.evaluate(x, gradient: optimizer.gradient)
            try clock.measure(.optimizer) { try optimizer.step(x: x) }
        }
        objective.clock = nil
        for phase in PhaseClock.Phase.allCases { phaseSeconds[phase.rawValue] = (clock.seconds[phase] ?? 0) / Double(iterations) }
    }
    var kernelProfile: KernelProfile?
    if options.profileKernels, let opencl {
        try opencl.startKernelProfile()
        for _ in 0..<iterations { _ = try iterate() }
        kernelProfile = try opencl.stopKernelProfile()
    }
    return BenchmarkResult(backend: backend.kind, device: backend.deviceName, model: model.name, size: max(width, height),
                           width: width, height: height,
                           iterations: iterations, secondsPerIteration: total / Double(iterations),
                           cpuSecondsPerIteration: totalCPU / Double(iterations), phaseSeconds: phaseSeconds,
                           peakDeviceMemoryBytes: backend.memory.peakBytes, optimizerBytes: 4 * (2 * (history + 1) + 3) * 3 * width * height,
                           memoryPlan: plan.summary, lbfgsHistory: history, losses: losses,
                           convTiling: opencl?.convTilingDescription,
                           kernelLaunchesPerIteration: perIteration?.0, hostWaitsPerIteration: perIteration?.1,
                           kernelProfile: kernelProfile?.kernels, kernelProfileShapes: kernelProfile?.shapes,
                           kernelProfileSpanSeconds: kernelProfile?.spanSeconds, kernelProfileIterations: kernelProfile.map { _ in iterations },
                           hostWait: opencl?.hostWait.rawValue)
}

/// The memory plan `runBenchmark` would follow, without computing anything (`gpustyle bench --plan-only`).
public func planBenchmark(backend: Backend, model: Model, width: Int, height: Int,
                          options: BenchmarkOptions = BenchmarkOptions()) throws -> MemoryPlan {
    try benchmarkSetup(backend: backend, model: model, width: width, height: height, options: options).plan
}

/// The benchmark's network, settings (neural-style's default loss) and memory plan.
private func benchmarkSetup(backend: Backend, model: Model, width: Int, height: Int, options: BenchmarkOptions) throws
    -> (network: PreparedNetwork, settings: RenderSettings, plan: MemoryPlan) {
    let weights = LossWeights(content: 5, style: 100, tv: 1e-3, contentLayers: ["relu4_2"],
                              styleLayers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
    let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu5_1")
    var settings = RenderSettings(weights: weights, iterations: 1)
    settings.lbfgsHistory = options.lbfgsHistory
    settings.maxMemoryBytes = options.maxMemoryBytes
    settings.layout = options.layout
    (settings.sizeOption, settings.offersAdam) = ("--size", false)
    let plan = try StyleTransfer(network: network, settings: settings)
        .memoryPlan(width: width, height: height, hasContent: true, styleSizes: [(width, height)])
    return (network, settings, plan)
}

/// User + system CPU seconds of this process so far, all threads.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
