// GemmPrecision.swift — the arithmetic of the Winograd GEMM: FP32 FMAs, or NVIDIA tensor cores with TF32 operands.

/// How winograd.cl's 36 GEMMs multiply (`--precision`). The transforms, the direct convolutions, Gram matrices and
/// losses stay in FP32 in every case.
public enum GemmPrecision: String, Sendable, Codable, CaseIterable {
    /// FP32 FMAs on the SIMT cores: every device (the default).
    case fp32
    /// Tensor cores, each FP32 operand split into two TF32 parts and three products summed (3×TF32): FP32-accurate
    /// (~2⁻²¹ relative per product) on NVIDIA GPUs of compute capability 8.0 or newer.
    case tf32x3
    /// Tensor cores with TF32 operands (10-bit mantissa, ~2⁻¹¹ relative, as PyTorch's default on these GPUs): the
    /// fastest, not FP32-accurate.
    case tf32

    /// Tensor-core products per FP32 product (winograd.cl's `GEMM_MMA`): 0 for the FP32 path.
    var tensorProducts: Int {
        switch self {
        case .fp32: return 0
        case .tf32x3: return 3
        case .tf32: return 1
        }
    }

    /// Lowest NVIDIA compute capability (major × 10 + minor) with TF32 `mma.sync`.
    public static let minimumComputeCapability = 80

    /// Throws `.usage` unless `device` has TF32 tensor cores (`emulated` lets any device run the kernels' emulation).
    func checkSupport(on device: OpenCLDeviceInfo, emulated: Bool) throws {
        guard self != .fp32, !emulated else { return }
        guard let capability = device.computeCapability, capability >= Self.minimumComputeCapability else {
            let has = device.computeCapabilityName.map { "compute capability \($0)" }
                ?? "no NVIDIA compute capability (cl_nv_device_attribute_query)"
            throw GPUStyleError(.usage, "--precision \(rawValue) needs NVIDIA tensor cores with TF32 (compute capability 8.0 or newer, e.g. A100, H100); \(device.name) (\(device.platformName)) has \(has): use --precision fp32")
        }
    }
}
