// ConvTuner.swift — `gpustyle tune`: times conv.cl tilings on one device over VGG19's convolutions and keeps the fastest.
import Foundation

/// One tiling tried: its time for the workload, or why it was set aside.
public struct ConvTuningTrial: Sendable {
    public let tuning: ConvTuning
    /// Milliseconds for the workload (the fastest of the timed passes); nil when rejected.
    public let milliseconds: Double?
    /// Why the tiling was rejected (build failure, wrong results, device limits).
    public let rejection: String?
}

/// The result of a tuning run: every trial, the fastest tiling and the default's time.
public struct ConvTuningOutcome: Sendable {
    public let trials: [ConvTuningTrial]
    public let best: StoredConvTuning
}

/// Searches how to convolve on one device: winograd.cl's GEMM tile sizes and conv.cl's direct tile sizes. The workload
/// is every convolution of VGG19 up to conv5_1 (the deepest default loss layer) at `imageSize`², forward with ReLU and
/// input-gradient, as an iteration runs them. Each candidate is first checked against the CPU backend on an awkward
/// small shape; one that builds but computes wrongly is rejected, never chosen.
///
/// Stages: the built-in default; Winograd GEMM shapes (depth 8); direct shapes for every layer (8 input channels per
/// chunk); the fastest `refine` of each family again with other depths and prefetching / chunks; finally the fastest GEMM with the
/// fastest direct tiling (which the Winograd path uses for the RGB layer); last, on GPUs, the fastest Winograd tiling
/// with smaller chunks of tiles (`chunkSizes`). For tensor cores (`precision`): their GEMM tilings and then the chunk
/// sizes, which runs with that precision then use.
public enum ConvTuner {
    /// First-stage candidates that fit the device: the default, Winograd GEMM shapes, then direct shapes; 64–256
    /// work-items, at most 64 accumulators per item.
    public static func shapeCandidates(maxWorkGroupSize: Int, localMemoryBytes: Int, quick: Bool = false) -> [ConvTuning] {
        var result = [ConvTuning()]
        func add(_ t: ConvTuning) {
            if fits(t, maxWorkGroupSize: maxWorkGroupSize, localMemoryBytes: localMemoryBytes), !result.contains(t) { result.append(t) }
        }
        let gemmSides = quick ? [64, 128] : [32, 64, 128]
        let gemmBlocks = quick ? [(8, 8), (4, 8)] : [(4, 4), (4, 8), (8, 4), (8, 8)]
        for m in gemmSides {
            for n in gemmSides {
                for (rm, rn) in gemmBlocks {
                    add(ConvTuning(gemm: GemmTiling(outChannels: m, tiles: n, depth: 8, channelsPerItem: rm, tilesPerItem: rn)))
                }
            }
        }
        let tiles = quick ? [(16, 8), (16, 16), (32, 8)] : [(8, 8), (16, 8), (8, 16), (16, 16), (32, 4), (32, 8)]
        let channelTiles = quick ? [32, 64] : [16, 32, 64, 128]
        let blocks = quick ? [(4, 8), (8, 8), (4, 16)] : [(4, 4), (4, 8), (8, 4), (8, 8), (16, 4), (4, 16)]
        for (w, h) in tiles {
            for k in channelTiles {
                for (p, c) in blocks {
                    add(ConvTuning(tileWidth: w, tileHeight: h, tileOutChannels: k, chunkInChannels: 8, pixelsPerItem: p,
                                   channelsPerItem: c, algorithm: .direct))
                }
            }
        }
        return result
    }

    /// Whether `t` is worth trying on a device with these limits (the GEMM only matters for the Winograd path).
    static func fits(_ t: ConvTuning, maxWorkGroupSize: Int, localMemoryBytes: Int) -> Bool {
        let g = t.gemm
        let gemmFits = t.algorithm == .direct || (g.outChannels % g.channelsPerItem == 0 && g.tiles % g.tilesPerItem == 0
            && g.outChannels % 4 == 0 && g.tiles % 4 == 0
            && (64...256).contains(g.threads) && g.threads <= maxWorkGroupSize && g.narrow.threads <= maxWorkGroupSize
            && g.channelsPerItem * g.tilesPerItem <= 64 && g.localBytes <= localMemoryBytes)
        return gemmFits && (t.tileWidth * t.tileHeight) % t.pixelsPerItem == 0 && t.tileOutChannels % t.channelsPerItem == 0
            && (64...256).contains(t.threads) && t.threads <= maxWorkGroupSize
            && t.pixelsPerItem * t.channelsPerItem <= 64 && t.localBytes <= localMemoryBytes
    }

    /// Second-stage candidates: the fastest `refine` timed tilings of each algorithm with other GEMM depths and
    /// prefetching (Winograd) or input-channel chunks (direct).
    static func refinements(of trials: [ConvTuningTrial], refine: Int) -> [ConvTuning] {
        let timed = trials.filter { $0.milliseconds != nil }.sorted { $0.milliseconds! < $1.milliseconds! }
        return ConvAlgorithm.allCases.flatMap { algorithm in
            timed.filter { $0.tuning.algorithm == algorithm }.prefix(refine).flatMap { trial -> [ConvTuning] in
                var variants = [4, 16].map { value -> ConvTuning in
                    var t = trial.tuning
                    if algorithm == .winograd { t.gemm.depth = value } else { t.chunkInChannels = value }
                    return t
                }
                if algorithm == .winograd { variants.append({ var t = trial.tuning; t.gemm.prefetch.toggle(); return t }()) }
                return variants
            }
        }
    }

    /// The fastest Winograd GEMM with the fastest direct tiling (nil without a timed trial of each; the search skips
    /// it when it was already tried).
    static func combination(of trials: [ConvTuningTrial]) -> ConvTuning? {
        let timed = trials.filter { $0.milliseconds != nil }
        func fastest(_ algorithm: ConvAlgorithm) -> ConvTuning? {
            timed.filter { $0.tuning.algorithm == algorithm }.min { $0.milliseconds! < $1.milliseconds! }?.tuning
        }
        guard var best = fastest(.winograd), let direct = fastest(.direct) else { return nil }
        best.tileWidth = direct.tileWidth
        best.tileHeight = direct.tileHeight
        best.tileOutChannels = direct.tileOutChannels
        best.chunkInChannels = direct.chunkInChannels
        best.pixelsPerItem = direct.pixelsPerItem
        best.channelsPerItem = direct.channelsPerItem
        return best
    }

    /// Winograd chunk sizes the last stage tries (`ConvTuning.winogradChunkBytes`): around and below a GPU's L2 cache
    /// (50 MB on an H100), which may then hold a chunk's transformed input and products between the three kernels.
    static let chunkSizes = [64 << 20, 32 << 20, 16 << 20]

    /// The fastest timed Winograd tiling with each of `chunkSizes` below `scratchBytes` (larger ones change nothing;
    /// none without a timed Winograd trial). They reuse its built kernels, so the search runs these few even past its
    /// time limit, on GPUs only (a CPU device's caches are another matter, and its trials slow).
    static func chunkVariants(of trials: [ConvTuningTrial], scratchBytes: Int) -> [ConvTuning] {
        guard let best = trials.filter({ $0.milliseconds != nil && $0.tuning.algorithm == .winograd })
            .min(by: { $0.milliseconds! < $1.milliseconds! })?.tuning else { return [] }
        return chunkSizes.filter { $0 < scratchBytes }.map { var t = best; t.winogradChunkBytes = $0; return t }
    }

    /// Tunes the device `deviceIndex` (nil: the default device) and returns every trial and the best tiling
    /// (not yet saved). With a tensor-core `precision` only the Winograd GEMM's tiling is searched
    /// (`GemmTiling.tensorCandidates`), on tensor cores (`emulateTensorCores`: their emulation, for tests).
    /// `candidates` replaces the built-in search (tests use it). Stops starting new trials after `timeLimit` seconds.
    /// (The chunk-size stage still runs after it: a few trials of already built kernels.)
    /// `progress` sees each trial as it finishes, with its number and the planned count.
    public static func tune(deviceIndex: Int?, imageSize: Int, repeats: Int = 3, quick: Bool = false, refine: Int = 3,
                            precision: GemmPrecision = .fp32, emulateTensorCores: Bool = OpenCLBackend.emulatesTensorCores,
                            timeLimit: Double = .infinity, candidates given: [ConvTuning]? = nil,
                            progress: (ConvTuningTrial, Int, Int) -> Void = { _, _, _ in }) throws -> ConvTuningOutcome {
        guard imageSize >= 16 && imageSize <= 4096 else {
            throw GPUStyleError(.usage, "--size \(imageSize): tune between 16 and 4096 pixels (512 is typical)")
        }
        guard repeats >= 1 else { throw GPUStyleError(.usage, "--repeats \(repeats): at least 1") }
        let defaultTuning = precision == .fp32 ? ConvTuning() : ConvTuning(gemm: .tensorCores(precision))
        // Fails early with the usage error where the device has no tensor cores.
        let reference = try OpenCLBackend(deviceIndex: deviceIndex, convTuning: defaultTuning, precision: precision,
                                          emulateTensorCores: emulateTensorCores)
        let device = reference.device
        let started = Date()
        let workload = Workload(imageSize: imageSize)
        guard 4 * workload.largest <= reference.maxAllocationBytes else {
            throw GPUStyleError(.usage, "--size \(imageSize): the workload's largest activation (\(4 * workload.largest) bytes) exceeds \(device.name)'s largest buffer (\(reference.maxAllocationBytes) bytes); tune at a smaller size (512 is typical)")
        }
        // TF32 alone rounds every product to ~2⁻¹¹ (~1e-2 of the largest output through Winograd's transforms);
        // what the check catches, wrong indexing, is off by the output's size.
        let check = try CorrectnessCheck(tolerance: precision == .tf32 ? 5e-2 : 1e-4)
        let chunkStage = { (trials: [ConvTuningTrial]) in
            device.type == .cpu ? [] : chunkVariants(of: trials, scratchBytes: reference.winogradScratchBytes)
        }
        var trials: [ConvTuningTrial] = []

        func run(_ list: [ConvTuning], planned: Int, pastTimeLimit: Bool = false) {
            for t in list where !trials.contains(where: { $0.tuning == t }) {
                if !trials.isEmpty && !pastTimeLimit && Date().timeIntervalSince(started) > timeLimit { return }
                let trial = measure(t, deviceIndex: device.index, precision: precision, emulateTensorCores: emulateTensorCores,
                                    workload: workload, check: check, repeats: repeats)
                trials.append(trial)
                progress(trial, trials.count, planned)
            }
        }
        if let given {
            run(given, planned: given.count)
        } else if precision != .fp32 {
            let gemms = GemmTiling.tensorCandidates(precision, maxWorkGroupSize: device.maxWorkGroupSize,
                                                    localMemoryBytes: device.localMemoryBytes, quick: quick)
            let planned = gemms.count + chunkSizes.count
            run(gemms.map { ConvTuning(gemm: $0) }, planned: planned)
            run(chunkStage(trials), planned: planned, pastTimeLimit: true)
        } else {
            let shapes = shapeCandidates(maxWorkGroupSize: device.maxWorkGroupSize, localMemoryBytes: device.localMemoryBytes, quick: quick)
            let planned = shapes.count + refine * 5 + 1 + chunkSizes.count
            run(shapes, planned: planned)
            let fitting = { (t: ConvTuning) in fits(t, maxWorkGroupSize: device.maxWorkGroupSize, localMemoryBytes: device.localMemoryBytes) }
            run(refinements(of: trials, refine: refine).filter(fitting), planned: planned)
            run([combination(of: trials)].compactMap { $0 }, planned: planned)
            run(chunkStage(trials), planned: planned, pastTimeLimit: true)
        }
        let timed = trials.filter { $0.milliseconds != nil }
        guard let best = timed.min(by: { $0.milliseconds! < $1.milliseconds! }) else {
            let reasons = Set(trials.compactMap(\.rejection)).sorted().prefix(3).joined(separator: "; ")
            throw GPUStyleError(.opencl, "no convolution tiling worked on \(device.name): \(reasons)")
        }
        let defaultTime = trials.first(where: { $0.tuning == defaultTuning })?.milliseconds
        let stored = StoredConvTuning(
            device: device.name, platform: device.platformName, driver: device.driverVersion, tuning: best.tuning,
            imageSize: imageSize, milliseconds: best.milliseconds!, defaultMilliseconds: defaultTime,
            candidatesTried: trials.count, measuredAt: ISO8601DateFormatter().string(from: Date()))
        return ConvTuningOutcome(trials: trials, best: stored)
    }

    /// Builds, checks and times one tiling on a fresh backend (its own context and program).
    private static func measure(_ t: ConvTuning, deviceIndex: Int, precision: GemmPrecision, emulateTensorCores: Bool,
                                workload: Workload, check: CorrectnessCheck, repeats: Int) -> ConvTuningTrial {
        do {
            let backend = try OpenCLBackend(deviceIndex: deviceIndex, convTuning: t, precision: precision,
                                            emulateTensorCores: emulateTensorCores)
            if let problem = try check.run(on: backend) {
                return ConvTuningTrial(tuning: t, milliseconds: nil, rejection: problem)
            }
            let layers = try workload.prepare(on: backend)
            try workload.pass(layers, on: backend)  // warm-up: builds kernels, touches buffers
            var fastest = Double.infinity
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                try workload.pass(layers, on: backend)
                fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return ConvTuningTrial(tuning: t, milliseconds: fastest, rejection: nil)
        } catch {
            return ConvTuningTrial(tuning: t, milliseconds: nil, rejection: "\(error)")
        }
    }

    /// VGG19's convolutions to conv5_1 at one image size, with random He-scaled weights (timing does not depend
    /// on the values).
    private struct Workload {
        struct Layer { let inChannels, outChannels, height, width: Int; let weights, bias: [Float] }
        let layers: [Layer]
        let largest: Int

        init(imageSize: Int) {
            var rng = SplitMix64(seed: 7)
            var result: [Layer] = []
            for layer in Architecture.vgg19.layers where layer.kind == .conv {
                var side = imageSize
                for _ in 0..<layer.downsampling { side /= 2 }
                let fanIn = Float(layer.inChannels * 9)
                let weights = (0..<(layer.outChannels * layer.inChannels * 9)).map { _ in rng.nextGaussian() * (2 / fanIn).squareRoot() }
                let bias = (0..<layer.outChannels).map { _ in Float(rng.nextUniform()) * 0.1 }
                result.append(Layer(inChannels: layer.inChannels, outChannels: layer.outChannels, height: side, width: side,
                                    weights: weights, bias: bias))
                if layer.name == "conv5_1" { break }
            }
            layers = result
            largest = result.map { max($0.inChannels, $0.outChannels) * $0.height * $0.width }.max() ?? 1
        }

        struct Prepared { let convs: [PreparedConv]; let a: DeviceBuffer; let b: DeviceBuffer }

        func prepare(on backend: OpenCLBackend) throws -> Prepared {
            let convs = try layers.map {
                try backend.prepareConv(weights: $0.weights, bias: $0.bias, inChannels: $0.inChannels, outChannels: $0.outChannels)
            }
            let a = try backend.makeBuffer(count: largest), b = try backend.makeBuffer(count: largest)
            try backend.fill(a, value: 0.5)
            return Prepared(convs: convs, a: a, b: b)
        }

        /// Every layer forward (with ReLU), then every input gradient in reverse, then `finish`.
        func pass(_ p: Prepared, on backend: OpenCLBackend) throws {
            for (layer, conv) in zip(layers, p.convs) {
                try backend.conv3x3(input: p.a, conv: conv, output: p.b, height: layer.height, width: layer.width, relu: true)
            }
            for (layer, conv) in zip(layers, p.convs).reversed() {
                try backend.conv3x3InputGradient(gradOutput: p.b, conv: conv, gradInput: p.a, height: layer.height, width: layer.width)
            }
            try backend.finish()
        }
    }

    /// Small convolutions with shapes that are not multiples of any tile, both ways, compared with the CPU backend:
    /// 19 → 45 channels at 13×21 (24 tiles: the narrow Winograd GEMM), 21 → 37 at 36×40 (90 tiles: the full GEMM
    /// for every candidate tile count) and 3 → 29 at 11×19 (the direct kernel, whose input gradient to 3 channels is
    /// the narrow-output build with the candidate's chunk).
    private struct CorrectnessCheck {
        struct Case {
            let inChannels, outChannels, height, width: Int
            let weights, bias, input, gradient: [Float]
            let forward, backward: [Float]
        }
        let cases: [Case]
        /// Largest difference allowed, relative to the largest value.
        let tolerance: Float

        init(tolerance: Float) throws {
            self.tolerance = tolerance
            var rng = SplitMix64(seed: 11)
            let reference = CPUBackend(threads: 1, convolution: .im2col)
            cases = try [(19, 45, 13, 21), (21, 37, 36, 40), (3, 29, 11, 19)].map { (c, k, h, w) in
                let weights = (0..<(k * c * 9)).map { _ in rng.nextGaussian() * 0.2 }
                let bias = (0..<k).map { _ in rng.nextGaussian() * 0.1 }
                let input = (0..<(c * h * w)).map { _ in rng.nextGaussian() }
                let gradient = (0..<(k * h * w)).map { _ in rng.nextGaussian() }
                let (forward, backward) = try CorrectnessCheck.convolve(on: reference, weights: weights, bias: bias, input: input,
                                                                        gradient: gradient, shape: (c, k, h, w))
                return Case(inChannels: c, outChannels: k, height: h, width: w, weights: weights, bias: bias, input: input,
                            gradient: gradient, forward: forward, backward: backward)
            }
        }

        /// nil when `backend` agrees with the CPU backend to `tolerance` of the largest value, else what differed.
        func run(on backend: Backend) throws -> String? {
            for t in cases {
                let (f, b) = try CorrectnessCheck.convolve(on: backend, weights: t.weights, bias: t.bias, input: t.input, gradient: t.gradient,
                                                           shape: (t.inChannels, t.outChannels, t.height, t.width))
                for (name, got, want) in [("forward", f, t.forward), ("input gradient", b, t.backward)] {
                    let scale = want.map { abs($0) }.max() ?? 1
                    let error = zip(got, want).map { abs($0 - $1) }.max() ?? 0
                    if !(error <= tolerance * scale) {
                        return "wrong \(name) results (largest difference \(error) of \(scale)) on \(t.inChannels)→\(t.outChannels) channels, \(t.height)×\(t.width)"
                    }
                }
            }
            return nil
        }

        static func convolve(on backend: Backend, weights: [Float], bias: [Float], input: [Float], gradient: [Float],
                             shape: (Int, Int, Int, Int)) throws -> ([Float], [Float]) {
            let (c, k, h, w) = shape
            let conv = try backend.prepareConv(weights: weights, bias: bias, inChannels: c, outChannels: k)
            let x = try backend.makeBuffer(count: c * h * w), y = try backend.makeBuffer(count: k * h * w)
            let dy = try backend.makeBuffer(count: k * h * w), dx = try backend.makeBuffer(count: c * h * w)
            try backend.upload(input, to: x)
            try backend.upload(gradient, to: dy)
            try backend.conv3x3(input: x, conv: conv, output: y, height: h, width: w, relu: true)
            try backend.conv3x3InputGradient(gradOutput: dy, conv: conv, gradInput: dx, height: h, width: w)
            return (try backend.download(y), try backend.download(dx))
        }
    }
}
