// OpenCLPrograms.swift — builds each kernel family's program once per backend (lazily), through the disk cache.
import COpenCL
import Kernels

/// One `.cl` file of `Sources/Kernels`, built as one program (`winogradNarrow`: winograd.cl again, with a GEMM for
/// few tiles).
enum KernelFamily: String, CaseIterable, Sendable {
    case conv, convNarrow, elementwise, pool, gram, loss, vector, winograd, winogradNarrow

    /// The `.cl` file's name without extension.
    var sourceName: String {
        switch self {
        case .winogradNarrow: return "winograd"
        case .convNarrow: return "conv"
        default: return rawValue
        }
    }
}

/// The programs and kernels of one context. Programs are built on first use; kernels are created once.
final class OpenCLPrograms {
    private let context: CLContext
    private let device: OpenCLDeviceInfo
    private let cache: KernelBinaryCache
    private let options: [KernelFamily: String]
    private var programs: [KernelFamily: CLProgram] = [:]
    private var kernels: [String: CLKernel] = [:]
    /// Programs compiled from source, and programs loaded from a cached binary, so far.
    private(set) var sourceBuilds = 0, cachedBuilds = 0

    /// - Parameter options: build options per family (always prefixed with `-cl-std=CL1.2`).
    init(context: CLContext, device: OpenCLDeviceInfo, cache: KernelBinaryCache, options: [KernelFamily: String]) {
        self.context = context
        self.device = device
        self.cache = cache
        self.options = options
    }

    /// The kernel `name` of `family`, building the family's program on first use.
    func kernel(_ name: String, in family: KernelFamily) throws -> CLKernel {
        let key = "\(family.rawValue).\(name)"
        if let kernel = kernels[key] { return kernel }
        let kernel = try CLKernel(program: try program(family), name: name)
        kernels[key] = kernel
        return kernel
    }

    /// The program of `family`, built on first use.
    @discardableResult
    func program(_ family: KernelFamily) throws -> CLProgram {
        if let built = programs[family] { return built }
        guard let source = KernelSources.program(family.sourceName) else {
            throw GPUStyleError(.internal, "no embedded kernel source \(family.sourceName).cl")
        }
        let program = try build(source: source, options: options[family] ?? "", label: "\(family.sourceName).cl")
        programs[family] = program
        return program
    }

    /// Builds `source` with `-cl-std=CL1.2 <options>`, loading a cached binary when one matches and storing
    /// a fresh one after a source build. A failed build throws with the compiler's build log.
    func build(source: String, options extra: String, label: String) throws -> CLProgram {
        let options = "-cl-std=CL1.2 " + extra
        var key: String?
        if cache.directory != nil {
            key = KernelBinaryCache.key(source: source, options: options, deviceName: device.name,
                                        driverVersion: device.driverVersion, platformName: device.platformName)
        }
        if let key, let binary = cache.load(key: key), let program = buildFromBinary(binary, options: options) {
            cachedBuilds += 1
            return program
        }
        let program = try buildFromSource(source, options: options, label: label)
        sourceBuilds += 1
        if let key, let binary = try? binary(of: program) { cache.store(key: key, binary: binary) }
        return program
    }

    private func buildFromSource(_ source: String, options: String, label: String) throws -> CLProgram {
        var status: cl_int = CL_SUCCESS
        let handle = source.withCString { text -> cl_program? in
            var strings: [UnsafePointer<CChar>?] = [text]
            return clCreateProgramWithSource(context.handle, 1, &strings, nil, &status)
        }
        try clCheck(status, "clCreateProgramWithSource(\(label))")
        guard let handle else { throw GPUStyleError(.opencl, "clCreateProgramWithSource(\(label)) returned no program") }
        let program = CLProgram(handle: handle, context: context)
        var devices: [cl_device_id?] = [context.device]
        let built = clBuildProgram(handle, 1, &devices, options, nil, nil)
        if built != CL_SUCCESS {
            let log = (try? buildLog(program)) ?? "(no build log available)"
            throw GPUStyleError(.opencl, "clBuildProgram(\(label)): \(CLStatus.describe(built)) on \(device.name) "
                + "(\(device.platformName), driver \(device.driverVersion)) with options '\(options)'; build log:\n\(log)")
        }
        return program
    }

    private func buildFromBinary(_ binary: [UInt8], options: String) -> CLProgram? {
        var status: cl_int = CL_SUCCESS, binaryStatus: cl_int = CL_SUCCESS
        var devices: [cl_device_id?] = [context.device]
        var lengths = [binary.count]
        let handle = binary.withUnsafeBufferPointer { bytes -> cl_program? in
            var pointers: [UnsafePointer<UInt8>?] = [bytes.baseAddress]
            return clCreateProgramWithBinary(context.handle, 1, &devices, &lengths, &pointers, &binaryStatus, &status)
        }
        guard status == CL_SUCCESS, binaryStatus == CL_SUCCESS, let handle else { return nil }
        let program = CLProgram(handle: handle, context: context)
        guard clBuildProgram(handle, 1, &devices, options, nil, nil) == CL_SUCCESS else { return nil }
        return program
    }

    private func buildLog(_ program: CLProgram) throws -> String {
        var size = 0
        let name = cl_program_build_info(CL_PROGRAM_BUILD_LOG)
        try clCheck(clGetProgramBuildInfo(program.handle, context.device, name, 0, nil, &size), "clGetProgramBuildInfo")
        var bytes = [UInt8](repeating: 0, count: max(size, 1))
        try clCheck(clGetProgramBuildInfo(program.handle, context.device, name, size, &bytes, nil), "clGetProgramBuildInfo")
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private func binary(of program: CLProgram) throws -> [UInt8] {
        var size = 0
        try clCheck(clGetProgramInfo(program.handle, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil),
                    "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)")
        guard size > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: size)
        try bytes.withUnsafeMutableBufferPointer { buffer in
            var pointers: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress]
            try clCheck(clGetProgramInfo(program.handle, cl_program_info(CL_PROGRAM_BINARIES),
                                         MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointers, nil),
                        "clGetProgramInfo(CL_PROGRAM_BINARIES)")
        }
        return bytes
    }
}
