// SleepingRead.swift — a device-to-host read that sleeps until the device is done instead of spinning in the driver.
import COpenCL
import Dispatch
import Foundation

/// How the host waits for a read of device results (`GPUSTYLE_HOST_WAIT`). `blocking` (the default) is a blocking
/// `clEnqueueReadBuffer`, which NVIDIA's driver serves by spinning a CPU core for the whole wait; `sleep` enqueues the
/// read without blocking and sleeps on a semaphore that a completion callback signals, leaving the core idle.
public enum HostWait: String, Sendable {
    case blocking, sleep

    /// `GPUSTYLE_HOST_WAIT=sleep|blocking` (default blocking).
    public static var fromEnvironment: HostWait {
        ProcessInfo.processInfo.environment["GPUSTYLE_HOST_WAIT"].flatMap(HostWait.init(rawValue:)) ?? .blocking
    }
}

/// What the completion callback hands back to the waiting thread.
private final class ReadCompletion: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var status: cl_int = CL_COMPLETE
}

private func signalReadCompletion(_ event: cl_event?, _ status: cl_int, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let completion = Unmanaged<ReadCompletion>.fromOpaque(context).takeRetainedValue()
    completion.status = status
    completion.done.signal()
}

/// Reads `bytes.count` bytes of `mem` into `bytes` after the work queued before it, sleeping until it is done;
/// errors name `what` and the OpenCL call.
func sleepingRead(queue: cl_command_queue, mem: cl_mem, into bytes: UnsafeMutableRawBufferPointer, what: String) throws {
    var event: cl_event?
    try clCheck(clEnqueueReadBuffer(queue, mem, cl_bool(CL_FALSE), 0, bytes.count, bytes.baseAddress, 0, nil, &event),
                "clEnqueueReadBuffer(\(what))")
    guard let event else { throw GPUStyleError(.opencl, "clEnqueueReadBuffer(\(what)) returned no event") }
    defer { clReleaseEvent(event) }
    try clCheck(clFlush(queue), "clFlush before reading \(what)")
    let completion = ReadCompletion()
    let context = Unmanaged.passRetained(completion).toOpaque()
    guard clSetEventCallback(event, CL_COMPLETE, signalReadCompletion, context) == CL_SUCCESS else {
        Unmanaged<ReadCompletion>.fromOpaque(context).release()
        return try clCheck(clWaitForEvents(1, [event]), "clWaitForEvents(clEnqueueReadBuffer(\(what)))")
    }
    completion.done.wait()
    // A negative status is the error the read (or a command before it) ended with.
    try clCheck(completion.status == CL_COMPLETE ? CL_SUCCESS : completion.status, "clEnqueueReadBuffer(\(what)), completed")
}
