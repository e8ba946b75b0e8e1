// OpenCLBackend.swift — the OpenCL backend: device selection, buffers and transfers, kernel launch helpers.
import COpenCL
import Foundation

/// The backend that runs every op as an OpenCL C 1.2 kernel on one device, with the CPU backend's semantics.
/// Work is queued in order and runs asynchronously; only `download`, `dot`, `sumAbs(_:)`, `bankDots` and `finish` wait.
/// Kernels index with 32-bit integers, so one buffer holds at most `OpenCLBackend.maxElements` floats.
public final class OpenCLBackend: Backend {
    public let kind = "opencl"
    public let deviceName: String
    /// The device this backend runs on.
    public let device: OpenCLDeviceInfo
    /// Largest element count of one buffer (2³¹ − 2²² floats: leaves room for grid-stride loops in `int`).
    public static let maxElements = Int(Int32.max) - (1 << 22)

    let context: CLContext
    let queue: CLQueue
    let programs: OpenCLPrograms
    let tracker = MemoryTracker()
    let convTuning: ConvTuning
    /// Where the convolution tiling came from: "default", or "tuned" with the file `gpustyle tune` wrote.
    public let convTuningSource: String
    /// Largest single buffer in bytes (`CL_DEVICE_MAX_MEM_ALLOC_SIZE`, or a smaller limit set for tests).
    let maxAllocationBytes: Int
    /// Work-group size of the reduction kernels (a power of two, `REDUCE_WG` in prelude.cl).
    let reduceGroupSize: Int
    /// Work-group size of the one-item-per-element kernels.
    let elementGroupSize: Int
    /// Most work-groups a reduction's first stage uses (so its partials fit one second-stage group's loop).
    let maxReductionGroups: Int
    private var scratchBuffers: [String: CLMem] = [:]
    /// A smaller Winograd scratch in bytes than `winogradScratchBytes` gives (tests use it to force chunking).
    var winogradScratchLimit: Int?
    /// Kernels enqueued and blocking reads (the host waiting for the device) so far: `gpustyle bench` reports them
    /// per iteration, to tell launch- or sync-bound runs from compute-bound ones.
    public private(set) var kernelLaunches = 0, hostWaits = 0
    /// How reads wait for the device (`GPUSTYLE_HOST_WAIT`; tests set it).
    var hostWait = HostWait.fromEnvironment
    /// Kernel launches queued between `clFlush` calls.
    static let launchesPerFlush = 32
    /// Whether the queue records device times (`profiling` at init), and the kernels recorded since
    /// `startKernelProfile` (see OpenCLBackend+Profile.swift).
    let profiling: Bool
    /// Whether a Winograd input gradient applies its layer's ReLU in the input transform (GPU kernel shapes) rather
    /// than in a separate pass first.
    let fusesReLUGates: Bool
    /// gram.cl's tiling (the default, or `GPUSTYLE_GRAM_TILING`).
    let gramTiling: GramTiling
    var profiledLaunches: [(kernel: String, shape: ConvShape?, event: cl_event)]?

    /// Opens a device. `deviceIndex` counts devices across all platforms as `OpenCLDevices.list()` does;
    /// `nil` picks as `OpenCLDevices.defaultIndex` does (a vendor's GPU first). The convolution tiling is the one `gpustyle tune`
    /// stored for this device and driver, else the default; `convolution` overrides its algorithm. Throws `.opencl`
    /// when there is no OpenCL device and `.usage` for an index out of range.
    /// `profiling` lets `startKernelProfile`/`stopKernelProfile` time each kernel on the device. `precision` other than
    /// `.fp32` runs the Winograd GEMMs on tensor cores (`.usage` error on devices without them).
    public convenience init(deviceIndex: Int? = nil, convolution: ConvAlgorithm? = nil, precision: GemmPrecision = .fp32,
                            profiling: Bool = false) throws {
        try self.init(deviceIndex: deviceIndex, convTuning: nil, algorithm: convolution, precision: precision, profiling: profiling)
    }

    /// `GPUSTYLE_EMULATE_TENSOR_CORES=1`: let `--precision tf32x3|tf32` run on any device through winograd.cl's
    /// emulation of the tensor-core fragments (slow; for testing the kernel's indexing off NVIDIA hardware).
    public static var emulatesTensorCores: Bool { ProcessInfo.processInfo.environment["GPUSTYLE_EMULATE_TENSOR_CORES"] == "1" }

    /// - Parameters:
    ///   - convTuning: the tiling to use; `nil` takes the one `tuningStore` holds for the device, else the default.
    ///   - algorithm: replaces the tiling's convolution algorithm.
    ///   - precision: other than `.fp32`, replaces the tiling's GEMM (Winograd only), unless it already is a
    ///     tensor-core GEMM of that precision, with `GPUSTYLE_TENSOR_TILING`'s, else (when `convTuning` is nil) the one
    ///     `gpustyle tune --precision` stored for the device, else `GemmTiling.tensorCores`.
    ///   - emulateTensorCores: builds that GEMM with `MMA_EMULATE` (any device; tests).
    ///   - gpuKernelShapes: builds the kernels' GPU loop shapes (unrolled register blocks, 128-bit GEMM loads) rather
    ///     than `CPU_DEVICE`'s; nil: on GPUs, not on CPU devices.
    ///   - fuseReLUGates: whether Winograd input gradients apply their layer's ReLU in the input transform; nil:
    ///     `GPUSTYLE_RELU_GATES` (`fused` or `separate`), else with GPU kernel shapes.
    ///   - maxAllocationBytes: a lower single-buffer limit than the device's (tests use it to split banks).
    ///   - cache: where built program binaries are kept.
    init(deviceIndex: Int?, convTuning: ConvTuning?, algorithm: ConvAlgorithm? = nil, precision: GemmPrecision = .fp32,
         emulateTensorCores: Bool = OpenCLBackend.emulatesTensorCores, gpuKernelShapes: Bool? = nil, fuseReLUGates: Bool? = nil,
         maxAllocationBytes: Int? = nil,
         cache: KernelBinaryCache = .fromEnvironment(), tuningStore: ConvTuningStore = .fromEnvironment(), profiling: Bool = false,
         gramTiling: GramTiling? = nil) throws {
        let handles = try OpenCLDevices.handles()
        guard !handles.isEmpty else {
            throw GPUStyleError(.opencl, "no OpenCL device found (no platform, CL_PLATFORM_NOT_FOUND_KHR, or platforms without devices): install an OpenCL driver or use --backend cpu")
        }
        let chosen: OpenCLDeviceHandle
        if let deviceIndex {
            guard handles.indices.contains(deviceIndex) else {
                throw GPUStyleError(.usage, "OpenCL device \(deviceIndex) does not exist: \(handles.count == 1 ? "there is 1 (index 0)" : "there are \(handles.count) (0…\(handles.count - 1))"); see `gpustyle devices`")
            }
            chosen = handles[deviceIndex]
        } else {
            guard let index = OpenCLDevices.defaultIndex(in: handles.map(\.info)) else {
                throw GPUStyleError(.opencl, "no available OpenCL device: every listed device reports CL_DEVICE_AVAILABLE = false")
            }
            chosen = handles[index]
        }
        let info = chosen.info
        device = info
        var tuning = convTuning ?? ConvTuning()
        var source = convTuning == nil ? "default" : "given"
        // The stored files the direct kernels' and the GEMM's tile sizes come from: named if those do not build.
        var directFile: String?, gemmFile: String?
        let fits = { (t: ConvTuning) in (try? t.validate(maxWorkGroupSize: info.maxWorkGroupSize, localMemoryBytes: info.localMemoryBytes)) != nil }
        if convTuning == nil, let stored = tuningStore.load(for: info), fits(stored.tuning) {
            tuning = stored.tuning
            directFile = tuningStore.fileURL(for: info)?.path ?? "?"
            gemmFile = directFile
            source = "tuned (\(directFile!))"
        }
        if let algorithm, algorithm != tuning.algorithm {
            tuning.algorithm = algorithm
            source += ", \(algorithm.rawValue) asked for"
        }
        if precision != .fp32 {
            guard algorithm != .direct else {
                throw GPUStyleError(.usage, "--precision \(precision.rawValue) runs the Winograd convolutions on tensor cores: drop --opencl-convolution direct (or use --precision fp32)")
            }
            try precision.checkSupport(on: info, emulated: emulateTensorCores)
            tuning.algorithm = .winograd  // even where `gpustyle tune` found the direct kernel faster in FP32
            source += ", tensor cores \(precision.rawValue)" + (emulateTensorCores ? " (emulated)" : "")
            if tuning.gemm.precision != precision {  // a given tensor-core tiling (tests) stays
                // GPUSTYLE_TENSOR_TILING, else the GEMM `gpustyle tune --precision` stored, else the default.
                let environment = ProcessInfo.processInfo.environment
                let fromEnvironment = !(environment["GPUSTYLE_TENSOR_TILING"] ?? "").isEmpty
                var tuned = tuning
                if convTuning == nil, !fromEnvironment, let stored = tuningStore.load(for: info, precision: precision) {
                    tuned.gemm = stored.tuning.gemm
                    tuned.winogradChunkBytes = stored.tuning.winogradChunkBytes
                }
                if tuned.gemm.precision == precision, fits(tuned) {
                    tuning = tuned
                    gemmFile = tuningStore.fileURL(for: info, precision: precision)?.path ?? "?"
                    source += " tuned (\(gemmFile!))"
                } else {
                    tuning.gemm = try .tensorCores(precision, environment: environment)
                    gemmFile = nil
                    if fromEnvironment { source += " (GPUSTYLE_TENSOR_TILING)" }
                }
            }
        }
        // GPUSTYLE_WINOGRAD_CHUNK=32M (or max): the Winograd chunk size to try instead of the tuned or default one.
        if convTuning == nil, let chunk = try ConvTuning.chunkBytesFromEnvironment(), tuning.algorithm == .winograd {
            tuning.winogradChunkBytes = chunk
            source += ", GPUSTYLE_WINOGRAD_CHUNK=" + (chunk.map(ConvTuning.mebibytes) ?? "max")
        }
        self.convTuning = tuning
        convTuningSource = source
        deviceName = "\(info.name) (\(info.platformName), driver \(info.driverVersion))"
        try tuning.validate(maxWorkGroupSize: info.maxWorkGroupSize, localMemoryBytes: info.localMemoryBytes)
        self.gramTiling = try gramTiling ?? GramTiling.fromEnvironment()
        try self.gramTiling.validate(maxWorkGroupSize: info.maxWorkGroupSize, localMemoryBytes: info.localMemoryBytes)
        self.maxAllocationBytes = min(maxAllocationBytes ?? info.maxAllocationBytes, info.maxAllocationBytes)
        var groupSize = 1
        while groupSize * 2 <= min(256, info.maxWorkGroupSize) { groupSize *= 2 }
        reduceGroupSize = groupSize
        elementGroupSize = groupSize
        maxReductionGroups = min(1024, max(32, 8 * info.computeUnits))
        context = try CLContext(platform: chosen.platform, device: chosen.device)
        self.profiling = profiling
        queue = try CLQueue(context: context, profiling: profiling)
        let reduce = "-D REDUCE_WG=\(groupSize)"
        let emulation = precision != .fp32 && emulateTensorCores ? " -D MMA_EMULATE=1" : ""
        // Unrolled register-block loops keep a GPU's accumulators in registers and runs of 4 halve its local loads;
        // on a CPU device PoCL's vectoriser does better with the loops as written (unrolled: GEMM and Gram gradient
        // ~2× slower at 256²; runs of 4: GEMM 15% slower).
        let gpuShapes = gpuKernelShapes ?? (info.type != .cpu)
        let shapes = gpuShapes ? "" : " -D CPU_DEVICE=1"
        // On PoCL the gated input transform cost more than the pass over the gradient it saves (256², +11.6 ms
        // against −3 ms); on a GPU it saves a read and a write of the gradient at every gated layer.
        fusesReLUGates = try fuseReLUGates ?? Self.fusesReLUGatesFromEnvironment() ?? gpuShapes
        programs = OpenCLPrograms(context: context, device: info, cache: cache,
                                  options: [.conv: tuning.buildOptions + shapes, .convNarrow: tuning.narrowOutput.buildOptions + shapes,
                                            .winograd: tuning.gemm.buildOptions + emulation + shapes,
                                            .winogradNarrow: tuning.gemm.narrow.buildOptions + emulation + shapes,
                                            .gram: self.gramTiling.buildOptions + shapes,
                                            .loss: reduce, .vector: reduce])
        // A stored tiling that passed `validate` may still fail to build with this driver: say which file to drop.
        for (file, kernel, families) in [(directFile, "conv3x3", [KernelFamily.conv, .convNarrow]),
                                         (tuning.algorithm == .winograd ? gemmFile : nil, "winograd_gemm", [.winograd, .winogradNarrow])] {
            guard let file else { continue }
            do {
                for family in families { _ = try programs.kernel(kernel, in: family) }
            } catch {
                throw GPUStyleError(.opencl, "the convolution tiling stored by `gpustyle tune` in \(file) does not build on this device: \(error). Delete that file and run `gpustyle tune` again, or set GPUSTYLE_NO_TUNING=1")
            }
        }
    }

    /// Builds now every kernel program a rendering with this configuration uses, instead of at its first launch:
    /// a driver that rejects one is then found before any work (`--backend auto` falls back to the CPU on it), and
    /// the compile time stays out of the first iteration.
    public func buildKernels() throws {
        var families: [KernelFamily] = [.elementwise, .pool, .gram, .loss, .vector, .conv, .convNarrow]
        if convTuning.algorithm == .winograd { families += [.winograd, .winogradNarrow] }
        for family in families { try programs.program(family) }
    }

    /// `GPUSTYLE_RELU_GATES`: `fused` or `separate` (how Winograd input gradients apply their layer's ReLU), nil when
    /// unset; `.usage` for anything else.
    static func fusesReLUGatesFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Bool? {
        switch environment["GPUSTYLE_RELU_GATES"]?.lowercased() {
        case nil, "": return nil
        case "fused": return true
        case "separate": return false
        case let other?: throw GPUStyleError(.usage, "GPUSTYLE_RELU_GATES=\(other): use fused or separate")
        }
    }

    /// The convolution tiling in use and where it came from ("16×8 px × 32 ch, …; tuned (FILE)").
    public var convTilingDescription: String {
        "\(convTuning.summary); \(convTuningSource)" + (gramTiling == GramTiling() ? "" : "; \(gramTiling.summary) (GPUSTYLE_GRAM_TILING)")
            + (convTuning.algorithm == .winograd ? "; ReLU gates " + (fusesReLUGates ? "fused" : "separate") : "")
    }

    public var memory: MemoryStats { tracker.current }
    public func resetPeakMemory() { tracker.resetPeak() }

    // MARK: Buffers

    public func makeBuffer(count: Int) throws -> DeviceBuffer {
        OpenCLBuffer(mem: try allocate(count: count, what: "buffer"), count: count)
    }

    public func upload(_ values: [Float], to buffer: DeviceBuffer) throws {
        let b = try cl(buffer)
        try expect(values.count == b.count, "upload of \(values.count) values into a buffer of \(b.count)")
        try write(values, to: b.mem)
    }

    public func download(_ buffer: DeviceBuffer) throws -> [Float] {
        let b = try cl(buffer)
        return try read(b.mem, count: b.count)
    }

    public func fill(_ buffer: DeviceBuffer, value: Float) throws {
        let b = try cl(buffer)
        try fill(b.mem, floats: b.count, value: value)
    }

    public func copy(_ source: DeviceBuffer, to destination: DeviceBuffer) throws {
        let s = try cl(source), d = try cl(destination)
        try expect(s.count == d.count, "copy between buffers of \(s.count) and \(d.count)")
        guard s.count > 0, s.mem !== d.mem else { return }
        try clCheck(clEnqueueCopyBuffer(queue.handle, s.mem.handle, d.mem.handle, 0, 0, 4 * s.count, 0, nil, nil),
                    "clEnqueueCopyBuffer(\(s.count) floats)")
    }

    public func finish() throws { try queue.finish() }

    // MARK: Helpers

    /// A zero-filled device buffer of `count` floats, refused with a clear message when it exceeds the device's
    /// single-allocation limit or the kernels' 32-bit indexing.
    func allocate(count: Int, what: String) throws -> CLMem {
        try expect(count >= 0, "negative size \(count) for \(what)")
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, count <= Self.maxElements else {
            throw GPUStyleError(.opencl, "cannot allocate \(what) of \(count) floats: the OpenCL kernels index at most \(Self.maxElements) floats per buffer; use a smaller image or --backend cpu")
        }
        guard bytes <= maxAllocationBytes else {
            throw GPUStyleError(.opencl, "cannot allocate \(what) of \(count) floats (\(byteCount(bytes))): larger than the largest single buffer this device allows, CL_DEVICE_MAX_MEM_ALLOC_SIZE = \(byteCount(maxAllocationBytes)) on \(deviceName); use a smaller image or --backend cpu")
        }
        let mem = try CLMem(context: context, bytes: bytes, tracker: tracker, what: what)
        try fill(mem, floats: count, value: 0, counted: false)  // setting up, not an iteration's work
        return mem
    }

    /// Bytes of the scratch buffer kept for `purpose` (0 when none yet).
    func scratchBytes(_ purpose: String) -> Int { scratchBuffers[purpose]?.trackedBytes ?? 0 }

    /// A grow-only scratch buffer per purpose (safe to reuse: the queue runs commands in order).
    func scratch(_ purpose: String, count: Int) throws -> CLMem {
        if let existing = scratchBuffers[purpose], existing.trackedBytes >= 4 * count { return existing }
        scratchBuffers[purpose] = nil
        let mem = try allocate(count: max(count, 1), what: "\(purpose) scratch")
        scratchBuffers[purpose] = mem
        return mem
    }

    /// Sets `floats` values from `offset` to `value`, through a kernel (`clEnqueueFillBuffer` of 2 GiB or more
    /// hangs or fails at a later call on some NVIDIA drivers). `counted`: whether it counts in `kernelLaunches`.
    func fill(_ mem: CLMem, floats: Int, value: Float, offset: Int = 0, counted: Bool = true) throws {
        guard floats > 0 else { return }
        try expect(offset >= 0 && offset + floats <= Self.maxElements, "fill of \(floats) floats at \(offset)")
        try launch("fill_floats", in: .elementwise, items: [floats], local: [elementGroupSize],
                   [.buffer(mem), .float(value), .int(Int32(offset)), .int(Int32(floats))], counted: counted)
    }

    /// Copies `values` to the start of `mem` without waiting: the values go through a host staging copy that
    /// the write's completion callback frees.
    func write(_ values: [Float], to mem: CLMem) throws {
        guard !values.isEmpty else { return }
        let byteCount = values.count * MemoryLayout<Float>.stride
        let staging = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        values.withUnsafeBytes { staging.copyMemory(from: $0.baseAddress!, byteCount: byteCount) }
        var event: cl_event?
        let status = clEnqueueWriteBuffer(queue.handle, mem.handle, cl_bool(CL_FALSE), 0, byteCount, staging, 0, nil, &event)
        guard status == CL_SUCCESS, let event else {
            staging.deallocate()
            try clCheck(status, "clEnqueueWriteBuffer(\(values.count) floats)")
            throw GPUStyleError(.opencl, "clEnqueueWriteBuffer(\(values.count) floats) returned no event")
        }
        defer { clReleaseEvent(event) }
        if clSetEventCallback(event, CL_COMPLETE, releaseStagingMemory, staging) != CL_SUCCESS {
            let waited = clWaitForEvents(1, [event])
            staging.deallocate()
            try clCheck(waited, "clWaitForEvents(clEnqueueWriteBuffer)")
        }
    }

    /// Reads `count` floats (waits for queued work).
    func read(_ mem: CLMem, count: Int) throws -> [Float] {
        var values = [Float](repeating: 0, count: count)
        guard count > 0 else { return values }
        hostWaits += 1
        try values.withUnsafeMutableBytes { bytes in
            if hostWait == .sleep { return try sleepingRead(queue: queue.handle, mem: mem.handle, into: bytes, what: "\(count) floats") }
            try clCheck(clEnqueueReadBuffer(queue.handle, mem.handle, cl_bool(CL_TRUE), 0, bytes.count, bytes.baseAddress, 0, nil, nil),
                        "clEnqueueReadBuffer(\(count) floats)")
        }
        return values
    }

    /// Enqueues `kernel` over `items` work-items per dimension (rounded up to multiples of `local`); does
    /// nothing when any dimension is empty. `shape` names the convolution it serves in kernel profiles; `counted`:
    /// whether it counts in `kernelLaunches` (not a new buffer's zero fill).
    func launch(_ kernel: String, in family: KernelFamily, items: [Int], local: [Int], _ arguments: [KernelArgument],
                shape: ConvShape? = nil, counted: Bool = true) throws {
        guard items.allSatisfy({ $0 > 0 }) else { return }
        let global = zip(items, local).map { ($0 + $1 - 1) / $1 * $1 }
        if counted { kernelLaunches += 1 }
        // Drivers may hold queued commands until a flush or a blocking call (an iteration blocks only a few times):
        // submit every few launches so the device starts while the host queues the rest.
        if counted && kernelLaunches % Self.launchesPerFlush == 0 { try queue.flush() }
        guard profiledLaunches != nil && counted else {
            return try programs.kernel(kernel, in: family).launch(on: queue, global: global, local: local, arguments)
        }
        var event: cl_event?
        try programs.kernel(kernel, in: family).launch(on: queue, global: global, local: local, arguments, event: &event)
        // A family built from another family's source (narrow variants) is told apart in the profile.
        if let event { profiledLaunches!.append((family.sourceName == family.rawValue ? kernel : "\(kernel) (\(family.rawValue))", shape, event)) }
    }

    /// `values` multiplied, or an error naming `what` when the product overflows or exceeds the kernels' limit.
    /// Each value alone is also within the limit, so it converts to a kernel's `int`.
    func elements(_ values: Int..., what: String) throws -> Int {
        var product = 1
        for value in values {
            try expect(value >= 0, "negative dimension in \(what)")
            let (next, overflow) = product.multipliedReportingOverflow(by: value)
            guard !overflow, next <= Self.maxElements, value <= Self.maxElements else {
                throw GPUStyleError(.opencl, "\(what) has more than \(Self.maxElements) elements, beyond what the OpenCL kernels index: use a smaller image or --backend cpu")
            }
            product = next
        }
        return product
    }

    func cl(_ buffer: DeviceBuffer) throws -> OpenCLBuffer {
        guard let b = buffer as? OpenCLBuffer else {
            throw GPUStyleError(.internal, "a \(type(of: buffer)) was passed to the OpenCL backend")
        }
        return b
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw GPUStyleError(.internal, "OpenCL backend: " + message()) }
    }

    /// "1088 bytes", "12.5 MiB", "19.8 GiB".
    func byteCount(_ bytes: Int) -> String {
        if bytes < 1 << 20 { return "\(bytes) bytes" }
        let (unit, name) = bytes < 1 << 30 ? (Double(1 << 20), "MiB") : (Double(1 << 30), "GiB")
        let tenths = Int((Double(bytes) / unit * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(name)"
    }
}

/// Completion callback of a non-blocking upload: frees its host staging copy (runs on a driver thread).
private func releaseStagingMemory(_ event: cl_event?, _ status: cl_int, _ staging: UnsafeMutableRawPointer?) {
    staging?.deallocate()
}
