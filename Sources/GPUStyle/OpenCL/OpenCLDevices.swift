// OpenCLDevices.swift — discovery of OpenCL devices across all platforms, and the default-device rule.
import COpenCL
import Foundation

/// One OpenCL device as `gpustyle devices` lists it. `index` counts devices across all platforms in
/// platform order, and is what `OpenCLBackend(deviceIndex:)` takes. Sizes are in bytes.
public struct OpenCLDeviceInfo: Sendable, Equatable, CustomStringConvertible {
    /// `CL_DEVICE_TYPE` reduced to the kind that matters for choosing a device.
    public enum DeviceType: String, Sendable {
        case gpu = "GPU", cpu = "CPU", accelerator = "accelerator", custom = "custom", other = "other"
    }

    public let index: Int
    public let platformName: String
    public let platformVersion: String
    public let name: String
    public let vendor: String
    public let type: DeviceType
    /// `CL_DEVICE_AVAILABLE`.
    public let available: Bool
    /// `CL_DEVICE_GLOBAL_MEM_SIZE`, bytes.
    public let globalMemoryBytes: Int
    /// `CL_DEVICE_MAX_MEM_ALLOC_SIZE`, bytes: the largest single buffer.
    public let maxAllocationBytes: Int
    /// `CL_DEVICE_LOCAL_MEM_SIZE`, bytes per work-group.
    public let localMemoryBytes: Int
    /// `CL_DRIVER_VERSION`.
    public let driverVersion: String
    /// `CL_DEVICE_VERSION`, e.g. "OpenCL 3.0 CUDA".
    public let deviceVersion: String
    /// `CL_DEVICE_OPENCL_C_VERSION`, e.g. "OpenCL C 1.2".
    public let openCLCVersion: String
    public let computeUnits: Int
    public let maxWorkGroupSize: Int
    /// `CL_DEVICE_MEM_BASE_ADDR_ALIGN` converted from bits to bytes: sub-buffer offsets must be multiples of it.
    public let baseAddressAlignmentBytes: Int
    /// NVIDIA's compute capability as major × 10 + minor (90 for an H100), from `cl_nv_device_attribute_query`;
    /// nil on other devices.
    public var computeCapability: Int? = nil

    /// The compute capability as NVIDIA writes it ("9.0"); nil on other devices.
    public var computeCapabilityName: String? { computeCapability.map { "\($0 / 10).\($0 % 10)" } }

    /// "#0 GPU NVIDIA H100 80GB HBM3 (NVIDIA CUDA, driver 580.65): 79.1 GiB, max buffer 19.8 GiB, 132 compute units, OpenCL C 1.2"
    public var description: String {
        "#\(index) \(type.rawValue) \(name) (\(platformName), driver \(driverVersion)): \(gib(globalMemoryBytes)) GiB, "
            + "max buffer \(gib(maxAllocationBytes)) GiB, \(computeUnits) compute units, \(openCLCVersion)"
            + (computeCapabilityName.map { ", compute capability \($0)" } ?? "")
            + (available ? "" : ", not available")
    }

    private func gib(_ bytes: Int) -> String {
        let tenths = Int((Double(bytes) / Double(1 << 30) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// A device together with the OpenCL handles needed to open it (process-lifetime objects, never released).
struct OpenCLDeviceHandle {
    let info: OpenCLDeviceInfo
    let platform: cl_platform_id
    let device: cl_device_id
}

/// Device discovery.
public enum OpenCLDevices {
    /// Every device of every platform. Returns `[]` where no OpenCL platform is installed
    /// (`CL_PLATFORM_NOT_FOUND_KHR` or zero platforms); a platform whose devices cannot be listed is skipped.
    /// Throws only when the platform list itself fails for another reason.
    public static func list() throws -> [OpenCLDeviceInfo] { try handles().map(\.info) }

    /// True when at least one available GPU exists (the `--backend auto` rule: GPU if any, else the CPU backend).
    /// Never throws: any OpenCL failure counts as "no GPU".
    public static var hasGPU: Bool {
        ((try? list()) ?? []).contains { $0.type == .gpu && $0.available }
    }

    /// The device `OpenCLBackend(deviceIndex: nil)` and `--backend auto` pick: the first available GPU of a vendor's
    /// platform, else the first available GPU (PoCL's CUDA or Level Zero device: the same card through a slower
    /// path), else the first available device.
    public static func defaultIndex(in devices: [OpenCLDeviceInfo]) -> Int? {
        let gpus = devices.filter { $0.type == .gpu && $0.available }
        return (gpus.first { !$0.platformName.contains("Portable Computing Language") } ?? gpus.first
            ?? devices.first { $0.available })?.index
    }

    static func handles() throws -> [OpenCLDeviceHandle] {
        var result: [OpenCLDeviceHandle] = []
        for platform in try platforms() {
            guard let devices = try? deviceIDs(platform), !devices.isEmpty,
                  let platformName = try? platformString(platform, CL_PLATFORM_NAME),
                  let platformVersion = try? platformString(platform, CL_PLATFORM_VERSION) else { continue }
            for device in devices {
                guard let info = try? describe(device, index: result.count, platformName: platformName,
                                               platformVersion: platformVersion) else { continue }
                result.append(OpenCLDeviceHandle(info: info, platform: platform, device: device))
            }
        }
        return result
    }

    private static func platforms() throws -> [cl_platform_id] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == CLStatus.platformNotFound || (status == CL_SUCCESS && count == 0) { return [] }
        try clCheck(status, "clGetPlatformIDs")
        var ids = [cl_platform_id?](repeating: nil, count: Int(count))
        try clCheck(clGetPlatformIDs(count, &ids, &count), "clGetPlatformIDs")
        return ids.prefix(Int(count)).compactMap { $0 }
    }

    private static func deviceIDs(_ platform: cl_platform_id) throws -> [cl_device_id] {
        var count: cl_uint = 0
        let status = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &count)
        if status == CL_DEVICE_NOT_FOUND || (status == CL_SUCCESS && count == 0) { return [] }
        try clCheck(status, "clGetDeviceIDs")
        var ids = [cl_device_id?](repeating: nil, count: Int(count))
        try clCheck(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), count, &ids, &count), "clGetDeviceIDs")
        return ids.prefix(Int(count)).compactMap { $0 }
    }

    private static func describe(_ device: cl_device_id, index: Int, platformName: String,
                                 platformVersion: String) throws -> OpenCLDeviceInfo {
        let typeBits = try deviceValue(device, CL_DEVICE_TYPE, as: cl_device_type.self)
        let type: OpenCLDeviceInfo.DeviceType =
            typeBits & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 ? .gpu
            : typeBits & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 ? .cpu
            : typeBits & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 ? .accelerator
            : typeBits & cl_device_type(CL_DEVICE_TYPE_CUSTOM) != 0 ? .custom : .other
        return OpenCLDeviceInfo(
            index: index, platformName: platformName, platformVersion: platformVersion,
            name: try deviceString(device, CL_DEVICE_NAME), vendor: try deviceString(device, CL_DEVICE_VENDOR),
            type: type,
            available: try deviceValue(device, CL_DEVICE_AVAILABLE, as: cl_bool.self) != 0,
            globalMemoryBytes: clampedInt(try deviceValue(device, CL_DEVICE_GLOBAL_MEM_SIZE, as: cl_ulong.self)),
            maxAllocationBytes: clampedInt(try deviceValue(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, as: cl_ulong.self)),
            localMemoryBytes: clampedInt(try deviceValue(device, CL_DEVICE_LOCAL_MEM_SIZE, as: cl_ulong.self)),
            driverVersion: try deviceString(device, CL_DRIVER_VERSION),
            deviceVersion: try deviceString(device, CL_DEVICE_VERSION),
            openCLCVersion: (try? deviceString(device, CL_DEVICE_OPENCL_C_VERSION)) ?? "OpenCL C 1.0",
            computeUnits: Int(try deviceValue(device, CL_DEVICE_MAX_COMPUTE_UNITS, as: cl_uint.self)),
            maxWorkGroupSize: try deviceValue(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, as: Int.self),
            baseAddressAlignmentBytes: max(4, Int(try deviceValue(device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, as: cl_uint.self)) / 8),
            computeCapability: nvidiaComputeCapability(device))
    }

    /// `CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV` × 10 + `…MINOR_NV` where the device has `cl_nv_device_attribute_query`.
    private static func nvidiaComputeCapability(_ device: cl_device_id) -> Int? {
        guard let extensions = try? deviceString(device, CL_DEVICE_EXTENSIONS),
              extensions.split(separator: " ").contains("cl_nv_device_attribute_query"),
              let major = try? deviceValue(device, 0x4000, as: cl_uint.self),
              let minor = try? deviceValue(device, 0x4001, as: cl_uint.self) else { return nil }
        return Int(major) * 10 + Int(minor)
    }

    private static func clampedInt(_ value: cl_ulong) -> Int { value > cl_ulong(Int.max) ? Int.max : Int(value) }

    private static func platformString(_ platform: cl_platform_id, _ parameter: Int32) throws -> String {
        var size = 0
        let name = cl_platform_info(parameter)
        try clCheck(clGetPlatformInfo(platform, name, 0, nil, &size), "clGetPlatformInfo(\(parameter))")
        var bytes = [CChar](repeating: 0, count: max(size, 1))
        try clCheck(clGetPlatformInfo(platform, name, size, &bytes, nil), "clGetPlatformInfo(\(parameter))")
        return text(bytes)
    }

    private static func deviceString(_ device: cl_device_id, _ parameter: Int32) throws -> String {
        var size = 0
        let name = cl_device_info(parameter)
        try clCheck(clGetDeviceInfo(device, name, 0, nil, &size), "clGetDeviceInfo(\(parameter))")
        var bytes = [CChar](repeating: 0, count: max(size, 1))
        try clCheck(clGetDeviceInfo(device, name, size, &bytes, nil), "clGetDeviceInfo(\(parameter))")
        return text(bytes)
    }

    private static func deviceValue<T: FixedWidthInteger>(_ device: cl_device_id, _ parameter: Int32, as: T.Type) throws -> T {
        var value: T = 0
        try clCheck(clGetDeviceInfo(device, cl_device_info(parameter), MemoryLayout<T>.size, &value, nil),
                    "clGetDeviceInfo(\(parameter))")
        return value
    }

    private static func text(_ bytes: [CChar]) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let string = String(decoding: bytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return string.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
