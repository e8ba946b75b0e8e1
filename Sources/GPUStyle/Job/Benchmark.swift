// Benchmark.swift — times whole Gatys iterations (and their phases) on random images, for `gpustyle bench`.
import Foundation

/// What a benchmark measured.
public struct BenchmarkResult: Codable, Sendable {
    public var backend: String
    public var device: String
    public var model: String
    public var size: Int
    public var iterations: Int
    /// Mean wall time of one full iteration (forward, backward, losses, optimiser step), no phase timing.
    public var secondsPerIteration: Double
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
    /// Total loss at each timed iteration (for comparing backends).
    public var losses: [Double]

    enum CodingKeys: String, CodingKey {
        case backend, device, model, size, iterations, losses
        case secondsPerIteration = "seconds_per_iteration"
        case phaseSeconds = "phase_seconds_per_iteration"
        case peakDeviceMemoryBytes = "peak_device_memory_bytes"
        case optimizerBytes = "optimizer_bytes"
        case memoryPlan = "memory_plan"
        case lbfgsHistory = "lbfgs_history"
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
    public init() {}
}

/// Runs `iterations` L-BFGS iterations of neural-style's default loss (content relu4_2, style relu1_1…relu5_1)
/// on seeded random `size × size` content and style images, after one warm-up iteration, following the memory plan.
public func runBenchmark(backend: Backend, model: Model, size: Int, iterations: Int,
                         options: BenchmarkOptions = BenchmarkOptions()) throws -> BenchmarkResult {
    guard size >= 32, iterations >= 1 else {
        throw GPUStyleError(.usage, "bench needs --size ≥ 32 and --iterations ≥ 1")
    }
    var rng = SplitMix64(seed: 42)
    func noiseImage() -> RGBImage {
        RGBImage(width: size, height: size, pixels: (0..<(3 * size * size)).map { _ in Float(rng.nextUniform()) })
    }
    let prep = model.preprocessing
    backend.resetPeakMemory()
    let (network, settings, plan) = try benchmarkSetup(backend: backend, model: model, size: size, options: options)
    let history = plan.lbfgsHistory ?? options.lbfgsHistory
    let input = { NetworkInput(height: size, width: size, values: prep.apply(noiseImage())) }
    let state = try RenderState(network: network, settings: settings, layout: plan.layout, history: history, width: size, height: size,
                                content: input(), styles: [input()], blendWeights: [1])
    let (objective, x, optimizer) = (state.objective, state.x, state.optimizer)
    try backend.upload(prep.apply(noiseImage()), to: x)

    func iterate() throws -> Double {
        let loss = try objective.evaluate(x, gradient: optimizer.gradient).total
        try optimizer.step(x: x)
        return loss
    }
    if options.warmup { _ = try iterate() }
    try backend.finish()
    var losses: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { losses.append(try iterate()) }
    try backend.finish()
    let total = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9

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
    return BenchmarkResult(backend: backend.kind, device: backend.deviceName, model: model.name, size: size,
                           iterations: iterations, secondsPerIteration: total / Double(iterations), phaseSeconds: phaseSeconds,
                           peakDeviceMemoryBytes: backend.memory.peakBytes, optimizerBytes: 4 * (2 * (history + 1) + 3) * 3 * size * size,
                           memoryPlan: plan.summary, lbfgsHistory: history, losses: losses)
}

/// The memory plan `runBenchmark` would follow, without computing anything (`gpustyle bench --plan-only`).
public func planBenchmark(backend: Backend, model: Model, size: Int, options: BenchmarkOptions = BenchmarkOptions()) throws -> MemoryPlan {
    try benchmarkSetup(backend: backend, model: model, size: size, options: options).plan
}

/// The benchmark's network, settings (neural-style's default loss) and memory plan.
private func benchmarkSetup(backend: Backend, model: Model, size: Int, options: BenchmarkOptions) throws
    -> (network: PreparedNetwork, settings: RenderSettings, plan: MemoryPlan) {
    let weights = LossWeights(content: 5, style: 100, tv: 1e-3, contentLayers: ["relu4_2"],
                              styleLayers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
    let network = try PreparedNetwork(backend: backend, model: model, deepestLayer: "relu5_1")
    var settings = RenderSettings(weights: weights, iterations: 1)
    settings.lbfgsHistory = options.lbfgsHistory
    settings.maxMemoryBytes = options.maxMemoryBytes
    settings.layout = options.layout
    let plan = try StyleTransfer(network: network, settings: settings)
        .memoryPlan(width: size, height: size, hasContent: true, styleSizes: [(size, size)])
    return (network, settings, plan)
}
