// TuneCommand.swift — `gpustyle tune`: find the fastest convolution tiling for an OpenCL device and store it.
import ArgumentParser
import Foundation
import GPUStyle

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Time convolution tilings on an OpenCL device and store the fastest for later runs.",
        discussion: """
            Times candidate tilings of winograd.cl's GEMM and of conv.cl's direct kernel on VGG19's convolutions \
            (to conv5_1, forward and input gradient) at --size², after checking each against the CPU backend, and \
            stores the fastest (algorithm and tile sizes) under \
            $XDG_CACHE_HOME/gpustyle/tuning (one file per device, driver, kernel source and precision). Later runs on that \
            device use it; GPUSTYLE_NO_TUNING=1 ignores it. Takes about a minute on a GPU. With --precision tf32x3 \
            or tf32 it times the tensor-core GEMM's tilings instead and stores the fastest for runs with that \
            --precision (GPUSTYLE_TENSOR_TILING overrides it). Last, on GPUs and even past --time-limit, the fastest \
            Winograd tiling with its tiles cut into smaller chunks (64, 32, 16 MiB of scratch, which a GPU's L2 cache \
            may hold between the three kernels; GPUSTYLE_WINOGRAD_CHUNK=SIZE or max overrides the stored choice).
            """)

    @Option(help: "OpenCL device index from `gpustyle devices` (default: the first GPU, a vendor driver's before PoCL's, else the first device).")
    var device: Int?
    @Option(help: "Image side the workload is timed at.") var size = 512
    @Option(help: "Timed passes per tiling (the fastest counts).") var repeats = 3
    @Flag(help: "Try a short list of tilings only.") var quick = false
    @Option(help: "fp32: tune the FP32 convolutions (the default); tf32x3 or tf32: tune the tensor-core GEMM for runs with that --precision (NVIDIA, compute capability 8.0+).")
    var precision: GemmPrecision = .fp32
    @Option(help: "Stop starting new trials after this many seconds (the best so far is kept; the few chunk-size trials still run).") var timeLimit: Double?
    @Flag(help: "Measure and print, but do not store the result.") var dryRun = false
    @Option(help: "Write every trial and the result as JSON here.") var report: String?

    /// What a trial varies: the whole tiling, or with tensor cores the GEMM's.
    private func describe(_ tuning: ConvTuning) -> String {
        precision == .fp32 ? tuning.summary : tuning.winogradSummary
    }

    func run() throws {
        if let timeLimit, !(timeLimit.isFinite && timeLimit > 0) {
            throw GPUStyleError(.usage, "--time-limit must be a finite number of seconds > 0; leave it out for no limit (got \(String(format: "%g", timeLimit)))")
        }
        // Now, not after minutes of tuning: where the report and the result go.
        if let report { try StylizeOptions.checkWritable(report, option: "--report") }
        if !dryRun { try ConvTuningStore.fromEnvironment().checkWritable() }
        guard !(try OpenCLDevices.list()).isEmpty else {
            throw GPUStyleError(.opencl, "tune: no OpenCL platform is installed (install the GPU driver's ICD, or pocl-opencl-icd); there is nothing to tune")
        }
        let started = Date()
        var (plannedTrials, lastTrial) = (0, 0)
        let outcome = try ConvTuner.tune(deviceIndex: device, imageSize: size, repeats: repeats, quick: quick, precision: precision,
                                         timeLimit: timeLimit ?? .infinity) { trial, number, planned in
            (plannedTrials, lastTrial) = (max(plannedTrials, planned), max(lastTrial, number))
            let time = trial.milliseconds.map { String(format: "%9.2f ms", $0) } ?? "  rejected"
            print(String(format: "[%3d/%3d] ", number, planned) + "\(time)  \(describe(trial.tuning))"
                  + (trial.rejection.map { ": \($0)" } ?? ""))
            fflush(nil)
        }
        let best = outcome.best
        let versus = best.defaultMilliseconds.map { ms in
            ms > best.milliseconds ? String(format: "default %.2f ms, %.2f× faster", ms, ms / best.milliseconds) : "the default is the fastest"
        } ?? "the default tiling was not timed"
        let tried = best.candidatesTried
        let untried = plannedTrials > lastTrial ? " (\(plannedTrials - lastTrial) of \(plannedTrials) left untried: --time-limit)" : ""
        print(String(format: "best on %@: %@, %.2f ms (%@), %d tiling%@ in %.0f s%@", best.device, describe(best.tuning),
                     best.milliseconds, versus, tried, tried == 1 ? "" : "s", Date().timeIntervalSince(started), untried))
        if let report {
            let trials: [[String: Any]] = outcome.trials.map {
                ["tuning": describe($0.tuning), "build_options": "\($0.tuning.buildOptions) \($0.tuning.gemm.buildOptions)",
                 "milliseconds": $0.milliseconds ?? NSNull(), "rejection": $0.rejection ?? NSNull()]
            }
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase  // as every other report (the stored file keeps its keys)
            let encoded = try JSONSerialization.jsonObject(with: encoder.encode(best))
            let data = try JSONSerialization.data(withJSONObject: ["best": encoded, "trials": trials], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try writeAtomically(data, to: report)
        }
        if !dryRun {
            let info = try OpenCLDevices.list().first { $0.name == best.device && $0.driverVersion == best.driver && $0.platformName == best.platform }
            guard let info else { throw GPUStyleError(.internal, "the tuned device disappeared from the device list") }
            let path = try ConvTuningStore.fromEnvironment().save(best, for: info)
            let runs = precision == .fp32 ? "later runs on this device" : "later --precision \(precision.rawValue) runs on this device"
            print("stored in \(path); \(runs) use it (GPUSTYLE_NO_TUNING=1 ignores it)")
        }
    }
}
