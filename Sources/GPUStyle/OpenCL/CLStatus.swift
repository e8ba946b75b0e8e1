// CLStatus.swift — OpenCL status codes by name, and the check that turns a failed call into a GPUStyleError.
import COpenCL

/// Names and advice for OpenCL status codes.
enum CLStatus {
    /// `CL_PLATFORM_NOT_FOUND_KHR`: the ICD loader found no installed OpenCL driver.
    static let platformNotFound: cl_int = -1001

    private static let names: [cl_int: String] = [
        0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE",
        -3: "CL_COMPILER_NOT_AVAILABLE", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5: "CL_OUT_OF_RESOURCES",
        -6: "CL_OUT_OF_HOST_MEMORY", -7: "CL_PROFILING_INFO_NOT_AVAILABLE", -8: "CL_MEM_COPY_OVERLAP",
        -9: "CL_IMAGE_FORMAT_MISMATCH", -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED", -11: "CL_BUILD_PROGRAM_FAILURE",
        -12: "CL_MAP_FAILURE", -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", -15: "CL_COMPILE_PROGRAM_FAILURE",
        -16: "CL_LINKER_NOT_AVAILABLE", -17: "CL_LINK_PROGRAM_FAILURE", -18: "CL_DEVICE_PARTITION_FAILED",
        -19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE", -30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE",
        -32: "CL_INVALID_PLATFORM", -33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT",
        -35: "CL_INVALID_QUEUE_PROPERTIES", -36: "CL_INVALID_COMMAND_QUEUE", -37: "CL_INVALID_HOST_PTR",
        -38: "CL_INVALID_MEM_OBJECT", -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", -40: "CL_INVALID_IMAGE_SIZE",
        -41: "CL_INVALID_SAMPLER", -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS",
        -44: "CL_INVALID_PROGRAM", -45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME",
        -47: "CL_INVALID_KERNEL_DEFINITION", -48: "CL_INVALID_KERNEL", -49: "CL_INVALID_ARG_INDEX",
        -50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE", -52: "CL_INVALID_KERNEL_ARGS",
        -53: "CL_INVALID_WORK_DIMENSION", -54: "CL_INVALID_WORK_GROUP_SIZE", -55: "CL_INVALID_WORK_ITEM_SIZE",
        -56: "CL_INVALID_GLOBAL_OFFSET", -57: "CL_INVALID_EVENT_WAIT_LIST", -58: "CL_INVALID_EVENT",
        -59: "CL_INVALID_OPERATION", -60: "CL_INVALID_GL_OBJECT", -61: "CL_INVALID_BUFFER_SIZE",
        -62: "CL_INVALID_MIP_LEVEL", -63: "CL_INVALID_GLOBAL_WORK_SIZE", -64: "CL_INVALID_PROPERTY",
        -65: "CL_INVALID_IMAGE_DESCRIPTOR", -66: "CL_INVALID_COMPILER_OPTIONS", -67: "CL_INVALID_LINKER_OPTIONS",
        -68: "CL_INVALID_DEVICE_PARTITION_COUNT", -69: "CL_INVALID_PIPE_SIZE", -70: "CL_INVALID_DEVICE_QUEUE",
        -71: "CL_INVALID_SPEC_ID", -72: "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
        -1001: "CL_PLATFORM_NOT_FOUND_KHR", -9999: "NVIDIA: kernel fault (illegal memory access)",
    ]

    /// "CL_OUT_OF_RESOURCES (-5)" for a known code, "unknown OpenCL status (-1234)" otherwise.
    static func describe(_ code: cl_int) -> String {
        "\(names[code] ?? "unknown OpenCL status") (\(code))"
    }

    /// What a user can do about a status, where there is something to say.
    static func advice(_ code: cl_int) -> String {
        switch code {
        case -4, -6:
            return " — not enough memory on the device or host: use a smaller image, fewer L-BFGS pairs, or --backend cpu"
        case -5, -9999:
            return " — the device ran out of resources (registers, local memory, time limit, or an out-of-bounds access); the OpenCL context may now be unusable: rerun, or try a smaller image"
        case -54:
            return " — the work-group size does not suit this device: rebuild the kernels with smaller tiles"
        case -1001:
            return " — no OpenCL driver (ICD) is installed: install one (e.g. pocl-opencl-icd or the GPU vendor's) or use --backend cpu"
        default:
            return ""
        }
    }
}

/// Throws `GPUStyleError(.opencl, "<call>: CL_… (code)…")` unless `status` is `CL_SUCCESS`.
/// - Parameter call: the OpenCL function and, in parentheses, what it acted on, e.g. `clEnqueueNDRangeKernel(conv3x3)`.
@inline(__always)
func clCheck(_ status: cl_int, _ call: @autoclosure () -> String) throws {
    if status != CL_SUCCESS {
        throw GPUStyleError(.opencl, "\(call()): \(CLStatus.describe(status))\(CLStatus.advice(status))")
    }
}
