// CLObjects.swift — owning wrappers for OpenCL contexts, queues, buffers, programs and kernels.
import COpenCL

/// An OpenCL context on one device; released when the last owner lets go.
final class CLContext {
    let handle: cl_context
    let device: cl_device_id

    init(platform: cl_platform_id, device: cl_device_id) throws {
        var properties: [cl_context_properties] = [
            cl_context_properties(CL_CONTEXT_PLATFORM), cl_context_properties(Int(bitPattern: UnsafeRawPointer(platform))), 0,
        ]
        var devices: [cl_device_id?] = [device]
        var status: cl_int = CL_SUCCESS
        let context = clCreateContext(&properties, 1, &devices, nil, nil, &status)
        try clCheck(status, "clCreateContext")
        guard let context else { throw GPUStyleError(.opencl, "clCreateContext returned no context") }
        handle = context
        self.device = device
    }

    deinit { clReleaseContext(handle) }
}

/// An in-order command queue: commands run one after another, so scratch buffers can be reused freely.
final class CLQueue {
    let handle: cl_command_queue
    let context: CLContext

    /// `profiling`: commands record device start and end times (`CL_QUEUE_PROFILING_ENABLE`).
    init(context: CLContext, profiling: Bool = false) throws {
        var status: cl_int = CL_SUCCESS
        let properties = profiling ? cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE) : 0
        let queue = clCreateCommandQueue(context.handle, context.device, properties, &status)
        try clCheck(status, "clCreateCommandQueue")
        guard let queue else { throw GPUStyleError(.opencl, "clCreateCommandQueue returned no queue") }
        handle = queue
        self.context = context
    }

    /// Waits for every queued command (reports asynchronous failures).
    func finish() throws { try clCheck(clFinish(handle), "clFinish") }

    /// Submits the queued commands to the device without waiting for them.
    func flush() throws { try clCheck(clFlush(handle), "clFlush") }

    deinit { clReleaseCommandQueue(handle) }
}

/// A buffer object (or a sub-buffer of one). Owned buffers report their bytes to a tracker while alive.
final class CLMem {
    let handle: cl_mem
    /// Bytes this object holds on the device (0 for a sub-buffer, whose parent counts them).
    let trackedBytes: Int
    /// The buffer a sub-buffer views; kept alive as long as the view.
    let parent: CLMem?
    private let tracker: MemoryTracker?

    /// Creates a read-write buffer of `bytes` bytes (at least 4, since OpenCL refuses empty buffers).
    init(context: CLContext, bytes: Int, tracker: MemoryTracker?, what: String) throws {
        var status: cl_int = CL_SUCCESS
        let mem = clCreateBuffer(context.handle, cl_mem_flags(CL_MEM_READ_WRITE), max(bytes, 4), nil, &status)
        try clCheck(status, "clCreateBuffer(\(what), \(bytes) bytes)")
        guard let mem else { throw GPUStyleError(.opencl, "clCreateBuffer(\(what)) returned no buffer") }
        handle = mem
        trackedBytes = bytes
        parent = nil
        self.tracker = tracker
        tracker?.allocated(bytes)
    }

    /// A view of `bytes` bytes at `offset` of `parent` (the offset must be a multiple of the device's base alignment).
    init(subBufferOf parent: CLMem, offset: Int, bytes: Int) throws {
        var region = cl_buffer_region(origin: offset, size: max(bytes, 4))
        var status: cl_int = CL_SUCCESS
        let mem = clCreateSubBuffer(parent.handle, cl_mem_flags(CL_MEM_READ_WRITE),
                                    cl_buffer_create_type(CL_BUFFER_CREATE_TYPE_REGION), &region, &status)
        try clCheck(status, "clCreateSubBuffer(offset \(offset), \(bytes) bytes)")
        guard let mem else { throw GPUStyleError(.opencl, "clCreateSubBuffer returned no buffer") }
        handle = mem
        trackedBytes = 0
        self.parent = parent
        tracker = nil
    }

    deinit {
        clReleaseMemObject(handle)
        tracker?.released(trackedBytes)
    }
}

/// A built program.
final class CLProgram {
    let handle: cl_program
    let context: CLContext
    init(handle: cl_program, context: CLContext) {
        self.handle = handle
        self.context = context
    }
    deinit { clReleaseProgram(handle) }
}

/// One argument of a kernel launch.
enum KernelArgument {
    case buffer(CLMem)
    case int(Int32)
    case long(Int64)
    case float(Float)
    /// An `int16` vector (exactly 16 values).
    case int16([Int32])
    /// A `float16` vector (exactly 16 values).
    case float16([Float])
}

/// A kernel of a built program, with the largest work-group the device allows for it.
final class CLKernel {
    let handle: cl_kernel
    let name: String
    let program: CLProgram
    /// `CL_KERNEL_WORK_GROUP_SIZE` for this kernel on this device.
    let maxWorkGroupSize: Int

    init(program: CLProgram, name: String) throws {
        var status: cl_int = CL_SUCCESS
        let kernel = clCreateKernel(program.handle, name, &status)
        try clCheck(status, "clCreateKernel(\(name))")
        guard let kernel else { throw GPUStyleError(.opencl, "clCreateKernel(\(name)) returned no kernel") }
        handle = kernel
        self.name = name
        self.program = program
        var size = 0
        try clCheck(clGetKernelWorkGroupInfo(kernel, program.context.device, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE),
                                             MemoryLayout<Int>.size, &size, nil),
                    "clGetKernelWorkGroupInfo(\(name), CL_KERNEL_WORK_GROUP_SIZE)")
        maxWorkGroupSize = size
    }

    deinit { clReleaseKernel(handle) }

    /// Sets the arguments in order and enqueues `global` work-items (each a multiple of `local`) on `queue`;
    /// `event`, when given, receives the command's event (the caller releases it).
    func launch(on queue: CLQueue, global: [Int], local: [Int], _ arguments: [KernelArgument],
                event: UnsafeMutablePointer<cl_event?>? = nil) throws {
        let groupSize = local.reduce(1, *)
        guard groupSize <= maxWorkGroupSize else {
            throw GPUStyleError(.opencl, "kernel \(name) needs work-groups of \(groupSize) items but this device allows \(maxWorkGroupSize) for it: rebuild with smaller tiles (-D options) or use --backend cpu")
        }
        for (index, argument) in arguments.enumerated() {
            try clCheck(set(argument, at: cl_uint(index)), "clSetKernelArg(\(name), argument \(index))")
        }
        try clCheck(clEnqueueNDRangeKernel(queue.handle, handle, cl_uint(global.count), nil, global, local, 0, nil, event),
                    "clEnqueueNDRangeKernel(\(name))")
    }

    private func set(_ argument: KernelArgument, at index: cl_uint) -> cl_int {
        switch argument {
        case .buffer(let mem):
            var value: cl_mem? = mem.handle
            return clSetKernelArg(handle, index, MemoryLayout<cl_mem?>.size, &value)
        case .int(var value):
            return clSetKernelArg(handle, index, MemoryLayout<Int32>.size, &value)
        case .long(var value):
            return clSetKernelArg(handle, index, MemoryLayout<Int64>.size, &value)
        case .float(var value):
            return clSetKernelArg(handle, index, MemoryLayout<Float>.size, &value)
        case .int16(let values):
            guard values.count == 16 else { return CL_INVALID_ARG_SIZE }
            return values.withUnsafeBytes { clSetKernelArg(handle, index, $0.count, $0.baseAddress) }
        case .float16(let values):
            guard values.count == 16 else { return CL_INVALID_ARG_SIZE }
            return values.withUnsafeBytes { clSetKernelArg(handle, index, $0.count, $0.baseAddress) }
        }
    }
}
