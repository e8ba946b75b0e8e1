// OpenCLBackend+Profile.swift — device time per kernel (OpenCL profiling events), for `gpustyle bench --profile-kernels`.
import COpenCL

/// One kernel's share of the profiled work: how often it ran and its device time (start to end of each launch).
public struct KernelTime: Codable, Sendable, Equatable {
    public var kernel: String
    public var launches: Int
    public var seconds: Double
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

    /// Waits for the device, stops recording, and returns the device time per kernel, longest first.
    public func stopKernelProfile() throws -> [KernelTime] {
        defer { releaseProfiledEvents() }
        try finish()
        var totals: [String: KernelTime] = [:]
        for (kernel, event) in profiledLaunches ?? [] {
            let start = try profilingTime(event, CL_PROFILING_COMMAND_START), end = try profilingTime(event, CL_PROFILING_COMMAND_END)
            totals[kernel, default: KernelTime(kernel: kernel, launches: 0, seconds: 0)].launches += 1
            totals[kernel]!.seconds += Double(end &- start) * 1e-9
        }
        return totals.values.sorted { ($0.seconds, $1.kernel) > ($1.seconds, $0.kernel) }
    }

    private func profilingTime(_ event: cl_event, _ which: Int32) throws -> cl_ulong {
        var value: cl_ulong = 0
        try clCheck(clGetEventProfilingInfo(event, cl_profiling_info(which), MemoryLayout<cl_ulong>.size, &value, nil),
                    "clGetEventProfilingInfo")
        return value
    }

    private func releaseProfiledEvents() {
        for (_, event) in profiledLaunches ?? [] { clReleaseEvent(event) }
        profiledLaunches = nil
    }
}
