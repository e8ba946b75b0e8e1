// OpenCLBackend+Profile.swift — device time per kernel (OpenCL profiling events), for `gpustyle bench --profile-kernels`.
import COpenCL

/// One kernel's share of the profiled work: how often it ran and its device time (start to end of each launch).
public struct KernelTime: Codable, Sendable, Equatable {
    public var kernel: String
    /// The convolution it ran for ("conv 64→128 256×256", "grad 64→128 256×256": that layer's input gradient), in the
    /// per-shape list; nil in the per-kernel totals.
    public var shape: String?
    public var launches: Int
    public var seconds: Double

    public init(kernel: String, shape: String? = nil, launches: Int = 0, seconds: Double = 0) {
        self.kernel = kernel
        self.shape = shape
        self.launches = launches
        self.seconds = seconds
    }
}

/// The convolution a kernel launch serves, for the profile: formatted only when a profile is read, so unprofiled
/// iterations build no strings.
struct ConvShape {
    /// The input gradient of the layer `inChannels → outChannels` rather than its forward pass.
    let gradient: Bool
    let inChannels, outChannels, width, height: Int

    /// "conv 64→128 256×256", "grad 64→128 256×256".
    var label: String { "\(gradient ? "grad" : "conv") \(inChannels)→\(outChannels) \(width)×\(height)" }
}

/// What `stopKernelProfile` recorded.
public struct KernelProfile: Sendable {
    /// Device time per kernel, longest first.
    public var kernels: [KernelTime]
    /// Device time per kernel and convolution shape (the kernels launched for one), longest first.
    public var shapes: [KernelTime]
    /// From the first kernel's start to the last one's end: the kernels' total over this is how busy the device was
    /// (the rest is launch gaps and the host's round trips).
    public var spanSeconds: Double
}

extension OpenCLBackend {
    /// Starts recording every kernel launch's event (the backend must have been opened with `profiling`).
    public func startKernelProfile() throws {
        guard profiling else {
            throw GPUStyleError(.internal, "kernel profiling needs an OpenCLBackend opened with profiling: true")
        }
        releaseProfiledEvents()
        profiledLaunches = []
    }

    /// Waits for the device, stops recording, and returns the device time per kernel (and per convolution shape).
    public func stopKernelProfile() throws -> KernelProfile {
        defer { releaseProfiledEvents() }
        try finish()
        var totals: [String: KernelTime] = [:], shapes: [String: KernelTime] = [:]
        var first = cl_ulong.max, last = cl_ulong.min
        for launch in profiledLaunches ?? [] {
            let start = try profilingTime(launch.event, CL_PROFILING_COMMAND_START)
            let end = try profilingTime(launch.event, CL_PROFILING_COMMAND_END)
            let seconds = Double(end &- start) * 1e-9
            (first, last) = (min(first, start), max(last, end))
            totals[launch.kernel, default: KernelTime(kernel: launch.kernel)].add(seconds)
            if let shape = launch.shape?.label {
                shapes[launch.kernel + "\u{0}" + shape, default: KernelTime(kernel: launch.kernel, shape: shape)].add(seconds)
            }
        }
        let longestFirst = { (a: KernelTime, b: KernelTime) in (a.seconds, b.kernel, b.shape ?? "") > (b.seconds, a.kernel, a.shape ?? "") }
        return KernelProfile(kernels: totals.values.sorted(by: longestFirst), shapes: shapes.values.sorted(by: longestFirst),
                             spanSeconds: last > first ? Double(last - first) * 1e-9 : 0)
    }

    private func profilingTime(_ event: cl_event, _ which: Int32) throws -> cl_ulong {
        var value: cl_ulong = 0
        try clCheck(clGetEventProfilingInfo(event, cl_profiling_info(which), MemoryLayout<cl_ulong>.size, &value, nil),
                    "clGetEventProfilingInfo")
        return value
    }

    private func releaseProfiledEvents() {
        for launch in profiledLaunches ?? [] { clReleaseEvent(launch.event) }
        profiledLaunches = nil
    }
}

private extension KernelTime {
    mutating func add(_ seconds: Double) {
        launches += 1
        self.seconds += seconds
    }
}
