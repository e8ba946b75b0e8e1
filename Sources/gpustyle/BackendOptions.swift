// BackendOptions.swift — `--backend auto|opencl|cpu` and `--device N`, shared by every command that computes.
import ArgumentParser
import GPUStyle

/// Which backend computes.
enum BackendChoice: String, CaseIterable, ExpressibleByArgument {
    case auto, opencl, cpu
}

extension ConvAlgorithm: ExpressibleByArgument {}
extension GemmPrecision: ExpressibleByArgument {}

struct BackendOptions: ParsableArguments {
    @Option(help: "auto (an OpenCL GPU if there is one, else the CPU), opencl (any OpenCL device, PoCL too) or cpu.")
    var backend: BackendChoice = .auto
    @Option(help: "OpenCL device index from `gpustyle devices` (implies OpenCL under auto).")
    var device: Int?
    @Option(help: "CPU threads for the CPU backend (default: all cores).")
    var threads: Int?
    @Option(help: "OpenCL convolutions: winograd or direct (default: what `gpustyle tune` chose for the device, else winograd).")
    var openclConvolution: ConvAlgorithm?
    @Option(help: ArgumentHelp("OpenCL Winograd products: fp32 (FP32 FMAs, every device), tf32x3 (NVIDIA tensor cores, FP32-accurate) or tf32 (tensor cores, TF32 operands: fastest, ~1e-2 relative error).",
                               valueName: "fp32|tf32x3|tf32"))
    var precision: GemmPrecision = .fp32

    /// The backend these options ask for (a CPU backend computes its convolutions with `cpuConvolution`; an OpenCL
    /// one records kernel times when `profiling`); errors say what is missing and what to do.
    func makeBackend(cpuConvolution: CPUConvolutionAlgorithm = .winograd, profiling: Bool = false) throws -> Backend {
        if let threads, !(1...1024).contains(threads) { throw GPUStyleError(.usage, "--threads must be 1…1024 (got \(threads))") }
        switch backend {
        case .cpu:
            if device != nil { throw GPUStyleError(.usage, "--device selects an OpenCL device; it cannot be used with --backend cpu") }
            if openclConvolution != nil { throw GPUStyleError(.usage, "--opencl-convolution chooses how OpenCL convolves; it cannot be used with --backend cpu") }
            if precision != .fp32 { throw GPUStyleError(.usage, "--precision \(precision.rawValue) runs OpenCL's Winograd products on tensor cores; it cannot be used with --backend cpu") }
            return CPUBackend(threads: threads, convolution: cpuConvolution)
        case .opencl:
            if threads != nil {
                throw GPUStyleError(.usage, "--threads sets the CPU backend's threads; it cannot be used with --backend opencl (an OpenCL CPU device such as PoCL sets its own)")
            }
            let devices = try OpenCLDevices.list()
            guard !devices.isEmpty else {
                throw GPUStyleError(.opencl, "--backend opencl: no OpenCL platform is installed (install an ICD such as pocl-opencl-icd or the GPU driver's), or use --backend cpu")
            }
            return try OpenCLBackend(deviceIndex: device, convolution: openclConvolution, precision: precision, profiling: profiling)
        case .auto:
            if let device { return try OpenCLBackend(deviceIndex: device, convolution: openclConvolution, precision: precision, profiling: profiling) }
            let devices = (try? OpenCLDevices.list()) ?? []
            guard let index = OpenCLDevices.defaultIndex(in: devices), case let gpu = devices[index], gpu.type == .gpu else {
                if openclConvolution != nil { printError("gpustyle: warning: --opencl-convolution is ignored: there is no OpenCL GPU, so the CPU backend runs") }
                if precision != .fp32 { printError("gpustyle: warning: --precision \(precision.rawValue) is ignored: there is no OpenCL GPU, so the CPU backend runs in FP32") }
                return CPUBackend(threads: threads, convolution: cpuConvolution)
            }
            do {
                let backend = try OpenCLBackend(deviceIndex: gpu.index, convolution: openclConvolution, precision: precision, profiling: profiling)
                try backend.buildKernels()  // a driver that cannot build them: the CPU instead, before any work
                return backend
            } catch let error as GPUStyleError where error.kind == .usage {
                throw error  // what was asked for cannot run on this GPU (e.g. --precision without tensor cores): say so
            } catch {
                printError("gpustyle: warning: \(error); using the CPU backend")
                return CPUBackend(threads: threads, convolution: cpuConvolution)
            }
        }
    }
}
