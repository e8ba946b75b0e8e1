// BackendFallback.swift — `--backend auto`'s promise: an OpenCL failure mid-run retries the job on the CPU backend.

/// Runs `body` on `backend`. If it fails with an OpenCL error and `fallback` is given, `warn` is told why and `body`
/// runs again on the backend `fallback` makes. Every other error, and any error without a fallback, propagates.
public func runWithFallback<T>(on backend: Backend, fallback: (() throws -> Backend)?, warn: (String) -> Void,
                               _ body: (Backend) throws -> T) throws -> T {
    do {
        return try body(backend)
    } catch let error as GPUStyleError where error.kind == .opencl {
        guard let fallback else { throw error }
        warn("\(error.message); falling back to the CPU backend")
        return try body(try fallback())
    }
}
