// MemoryPlanOpsTests.swift — packed ReLU masks, max-pool argmax and row copies: CPU against their definitions, OpenCL against the CPU.
import XCTest
@testable import GPUStyle

final class MemoryPlanOpsTests: XCTestCase {
    /// Values with NaN, ±0, ±∞ and many exact ties (a small set of integers).
    func awkwardValues(_ count: Int, seed: UInt64) -> [Float] {
        var values = randomValues(count, seed: seed).map { ($0 * 3).rounded() }
        for (i, v) in [(3, Float.nan), (4, -0.0), (5, 0), (6, -.infinity), (7, .infinity)] where i < count { values[i] = v }
        return values
    }

    func upload(_ backend: Backend, _ values: [Float]) throws -> DeviceBuffer {
        let buffer = try backend.makeBuffer(count: values.count)
        try backend.upload(values, to: buffer)
        return buffer
    }

    /// The masked gradient equals `reluBackward` with the FP32 output, bit for bit, for counts off the 32-bit words.
    func testPackedMaskGivesTheReLUBackward() throws {
        try forEachBackend { backend in
            for count in [1, 31, 32, 33, 1000, 1025] {
                let values = awkwardValues(count, seed: UInt64(count))
                let output = try upload(backend, values), mask = try backend.makeBuffer(count: PackedSizes.mask(bits: count))
                try backend.packPositiveMask(values: output, mask: mask, count: count)
                let gradient = randomValues(count, seed: 99)
                let masked = try upload(backend, gradient), reference = try upload(backend, gradient)
                try backend.applyPositiveMask(gradient: masked, mask: mask, count: count)
                try backend.reluBackward(gradient: reference, output: output, count: count)
                assertIdentical(try backend.download(masked), try backend.download(reference), "\(backend.kind) mask of \(count)")
            }
        }
    }

    /// Max pooling with argmax gives pool2x2's outputs and pool2x2Backward's gradient exactly (odd sizes, ties, NaN).
    func testArgmaxPoolingMatchesThePoolOps() throws {
        try forEachBackend { backend in
            for (c, h, w) in [(3, 7, 9), (17, 8, 6), (1, 1, 5), (5, 13, 2), (2, 16, 16)] {
                let input = try upload(backend, awkwardValues(c * h * w, seed: UInt64(c * 100 + h)))
                let outputs = c * (h / 2) * (w / 2)
                let output = try upload(backend, [Float](repeating: 7, count: outputs))
                let reference = try upload(backend, [Float](repeating: 7, count: outputs))
                let argmax = try backend.makeBuffer(count: PackedSizes.argmax(codes: outputs))
                try backend.maxPool2x2RecordingArgmax(input: input, output: output, argmax: argmax, channels: c, height: h, width: w)
                try backend.pool2x2(input: input, output: reference, channels: c, height: h, width: w, mode: .max)
                assertIdentical(try backend.download(output), try backend.download(reference), "\(backend.kind) pool \(c)×\(h)×\(w)")
                let gradOutput = try upload(backend, randomValues(outputs, seed: 5))
                let fromArgmax = try upload(backend, [Float](repeating: 3, count: c * h * w))
                let fromInput = try upload(backend, [Float](repeating: 3, count: c * h * w))
                try backend.maxPool2x2Backward(gradOutput: gradOutput, argmax: argmax, gradInput: fromArgmax, channels: c, height: h, width: w)
                try backend.pool2x2Backward(gradOutput: gradOutput, input: input, gradInput: fromInput, channels: c, height: h, width: w, mode: .max)
                assertIdentical(try backend.download(fromArgmax), try backend.download(fromInput), "\(backend.kind) pool backward \(c)×\(h)×\(w)")
            }
        }
    }

    /// copyRows moves exactly the named rows of every channel and leaves the rest of the destination alone.
    func testCopyRowsMovesOnlyTheRows() throws {
        try forEachBackend { backend in
            let (c, sh, dh, w) = (3, 7, 5, 4)
            let source = (0..<(c * sh * w)).map(Float.init)
            let s = try upload(backend, source), d = try upload(backend, [Float](repeating: -1, count: c * dh * w + 3))
            try backend.copyRows(from: s, sourceHeight: sh, sourceRow: 2, to: d, destinationHeight: dh, destinationRow: 1, rows: 3, channels: c, width: w)
            var expected = [Float](repeating: -1, count: c * dh * w + 3)
            for ch in 0..<c { for r in 0..<3 { for x in 0..<w { expected[(ch * dh + 1 + r) * w + x] = source[(ch * sh + 2 + r) * w + x] } } }
            assertIdentical(try backend.download(d), expected, "\(backend.kind) copyRows")
            XCTAssertThrowsError(try backend.copyRows(from: s, sourceHeight: sh, sourceRow: 5, to: d, destinationHeight: dh, destinationRow: 0,
                                                      rows: 3, channels: c, width: w), "rows past the source's end")
        }
    }

    /// OpenCL's masks and argmax words are bit-identical to the CPU's (the packed formats are the same).
    func testPackedFormatsAgreeAcrossBackends() throws {
        let pair = try BackendPair()
        let (c, h, w) = (5, 11, 13)
        let values = awkwardValues(c * h * w, seed: 3)
        let input = try pair.buffers(values)
        let maskCount = PackedSizes.mask(bits: values.count)
        let mask = try pair.buffers([Float](repeating: 0, count: maskCount))
        try pair.cpu.packPositiveMask(values: input.cpu, mask: mask.cpu, count: values.count)
        try pair.gpu.packPositiveMask(values: input.gpu, mask: mask.gpu, count: values.count)
        var (expected, actual) = try pair.download(mask)
        XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern), "mask words")
        let outputs = c * (h / 2) * (w / 2)
        let output = try pair.buffers([Float](repeating: 0, count: outputs))
        let argmax = try pair.buffers([Float](repeating: 0, count: PackedSizes.argmax(codes: outputs)))
        try pair.cpu.maxPool2x2RecordingArgmax(input: input.cpu, output: output.cpu, argmax: argmax.cpu, channels: c, height: h, width: w)
        try pair.gpu.maxPool2x2RecordingArgmax(input: input.gpu, output: output.gpu, argmax: argmax.gpu, channels: c, height: h, width: w)
        (expected, actual) = try pair.download(argmax)
        XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern), "argmax words")
    }

    func testBackendsReportTheirMemory() throws {
        let cpu = CPUBackend().memoryLimits
        XCTAssertGreaterThan(cpu.totalBytes, 1 << 28)
        let gpu = try OpenCLTestDevice.backend()
        XCTAssertEqual(gpu.memoryLimits.totalBytes, gpu.device.globalMemoryBytes)
        XCTAssertLessThanOrEqual(gpu.memoryLimits.maxBufferBytes, gpu.device.maxAllocationBytes)
    }

    /// Runs `body` on the CPU backend, then on OpenCL where there is a platform.
    private func forEachBackend(_ body: (Backend) throws -> Void) throws {
        try body(CPUBackend())
        guard !(try OpenCLDevices.list()).isEmpty else { return }
        try body(try OpenCLTestDevice.backend())
    }
}
