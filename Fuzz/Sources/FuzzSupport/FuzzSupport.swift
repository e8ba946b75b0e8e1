// FuzzSupport.swift — what every fuzz target checks: a reader may throw, but only a one-line GPUStyleError naming the input.
import CFuzzerDriver
@_exported import GPUStyle

#if canImport(Glibc)
import Glibc
#endif

/// The name the fuzz targets give their input; every error message must contain it.
public let fuzzInputName = "fuzz-input"

/// Runs `body` on the fuzz input. Returning or throwing a well-formed `GPUStyleError` is fine; anything
/// else (another error type, `.internal`, a message over several lines or not naming the input) aborts,
/// so libFuzzer records the input as a crash.
public func fuzzCheck(_ body: () throws -> Void) {
    do {
        try body()
    } catch let error as GPUStyleError {
        if error.kind == .internal { fail("internal error: \(error.message)") }
        if error.message.contains("\n") { fail("message over several lines: \(error.message)") }
        if !error.message.contains(fuzzInputName) { fail("message does not name the input: \(error.message)") }
    } catch {
        fail("not a GPUStyleError: \(error)")
    }
}

/// Copies the fuzz input into an array (an empty input has no pointer).
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

private func fail(_ text: String) -> Never {
    let line = Array("fuzz check failed: \(text)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// Decodes the fuzz input as an image (pixel limit 4 MP) and checks what comes out.
public func fuzzImageDecode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    fuzzCheck {
        let image = try ImageIO.decode(data: bytes, name: fuzzInputName, maxPixels: 1 << 22)
        precondition(image.pixels.count == 3 * image.width * image.height && image.width > 0 && image.height > 0)
        precondition(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "decoded pixel outside [0, 1]")
    }
    return 0
}

/// Reads the fuzz input as a weight file of `format` and, when that works, assembles what it holds.
public func fuzzWeights(_ data: UnsafePointer<UInt8>?, _ size: Int, as format: WeightFormat) -> Int32 {
    let bytes = fuzzBytes(data, size)
    fuzzCheck {
        let file = try bytes.withUnsafeBytes { try WeightReaders.read(bytes: $0, path: fuzzInputName, as: format) }
        for tensor in file.tensors {
            precondition(tensor.values.allSatisfy(\.isFinite), "a non-finite value passed the reader")
        }
        _ = try ModelAssembler.assemble(file, name: fuzzInputName, allowTruncated: true)
    }
    return 0
}

public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

/// The target `runFuzzer` was given (set once, before libFuzzer starts).
nonisolated(unsafe) private var currentTarget: FuzzCallback?

/// The entry point libFuzzer's runtime links against; calls the target given to `runFuzzer`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    currentTarget?(data, size) ?? 0
}

/// Starts libFuzzer on `target` with this process's command line (SwiftPM executables need a Swift
/// `main`, so libFuzzer's own is not used) and exits with libFuzzer's exit code.
public func runFuzzer(_ target: FuzzCallback) -> Never {
    currentTarget = target
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
}
