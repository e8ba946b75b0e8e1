// OpenCLTestSupport.swift — the shared OpenCL test backend (skipping where there is no platform) and CPU/OpenCL pairs.
import XCTest
@testable import GPUStyle

enum OpenCLTestDevice {
    /// One backend for the whole test run, so each kernel family is compiled (or loaded from the cache) once.
    nonisolated(unsafe) private static var cached: OpenCLBackend?
    private static let lock = NSLock()

    /// The default OpenCL device, or `XCTSkip` when this machine has no OpenCL platform.
    static func backend() throws -> OpenCLBackend {
        try lock.withLock {
            if let cached { return cached }
            let devices = try OpenCLDevices.list()
            guard !devices.isEmpty else {
                throw XCTSkip("no OpenCL platform: the ICD loader lists no device (install pocl-opencl-icd to run these tests)")
            }
            let backend = try OpenCLBackend(deviceIndex: nil)
            cached = backend
            return backend
        }
    }
}

/// The CPU reference and an OpenCL backend, fed the same host data.
struct BackendPair {
    let cpu: CPUBackend
    let gpu: OpenCLBackend

    init(cpu: CPUBackend = CPUBackend(), gpu: OpenCLBackend? = nil) throws {
        self.cpu = cpu
        self.gpu = try gpu ?? OpenCLTestDevice.backend()
    }

    /// The same values in a buffer of each backend.
    func buffers(_ values: [Float]) throws -> (cpu: DeviceBuffer, gpu: DeviceBuffer) {
        let c = try cpu.makeBuffer(count: values.count), g = try gpu.makeBuffer(count: values.count)
        try cpu.upload(values, to: c)
        try gpu.upload(values, to: g)
        return (c, g)
    }

    /// Both buffers' contents.
    func download(_ pair: (cpu: DeviceBuffer, gpu: DeviceBuffer)) throws -> (cpu: [Float], gpu: [Float]) {
        (try cpu.download(pair.cpu), try gpu.download(pair.gpu))
    }

    /// For each (inChannels, outChannels, height, width): forward with and without ReLU and the input gradient agree
    /// within 1e-5 of the largest magnitude. `inspect` sees each OpenCL-prepared convolution first.
    func checkConvolutions(_ shapes: [(Int, Int, Int, Int)], seed base: UInt64, label: String = "conv",
                           inspect: (Int, Int, PreparedConv) throws -> Void = { _, _, _ in },
                           file: StaticString = #filePath, line: UInt = #line) throws {
        for (index, (c, k, h, w)) in shapes.enumerated() {
            let seed = base + UInt64(index)
            let weights = randomValues(k * c * 9, seed: seed), bias = randomValues(k, seed: seed + 1)
            let cpuConv = try cpu.prepareConv(weights: weights, bias: bias, inChannels: c, outChannels: k)
            let gpuConv = try gpu.prepareConv(weights: weights, bias: bias, inChannels: c, outChannels: k)
            try inspect(c, k, gpuConv)
            let input = try buffers(randomValues(c * h * w, seed: seed + 2))
            for relu in [false, true] {
                let output = try buffers(randomValues(k * h * w, seed: seed + 3))
                try cpu.conv3x3(input: input.cpu, conv: cpuConv, output: output.cpu, height: h, width: w, relu: relu)
                try gpu.conv3x3(input: input.gpu, conv: gpuConv, output: output.gpu, height: h, width: w, relu: relu)
                let (expected, actual) = try download(output)
                assertClose(actual, expected, tolerance: 1e-5, "\(label) \(c)→\(k) \(h)×\(w) relu \(relu)", file: file, line: line)
                if relu { XCTAssertFalse(actual.contains { $0 < 0 }, "ReLU output has negatives", file: file, line: line) }
            }
            let gradOutput = try buffers(randomValues(k * h * w, seed: seed + 4))
            let gradInput = try buffers(randomValues(c * h * w, seed: seed + 5))
            try cpu.conv3x3InputGradient(gradOutput: gradOutput.cpu, conv: cpuConv, gradInput: gradInput.cpu, height: h, width: w)
            try gpu.conv3x3InputGradient(gradOutput: gradOutput.gpu, conv: gpuConv, gradInput: gradInput.gpu, height: h, width: w)
            let (expected, actual) = try download(gradInput)
            assertClose(actual, expected, tolerance: 1e-5, "\(label) input gradient \(c)→\(k) \(h)×\(w)", file: file, line: line)
        }
    }
}

extension BackendPair {
    /// For each (channels, pixels): the Gram matches the CPU within 1e-5 and is exactly symmetric; its gradient matches.
    func checkGram(shapes: [(Int, Int)], file: StaticString = #filePath, line: UInt = #line) throws {
        for (c, p) in shapes {
            let seed = UInt64(c * 7 + p)
            let features = try buffers(randomValues(c * p, seed: seed))
            let gram = try buffers([Float](repeating: 5, count: c * c))
            try cpu.gram(features: features.cpu, gram: gram.cpu, channels: c, pixels: p)
            try gpu.gram(features: features.gpu, gram: gram.gpu, channels: c, pixels: p)
            var (expected, actual) = try download(gram)
            assertClose(actual, expected, tolerance: 1e-5, "gram \(c)×\(p)", file: file, line: line)
            let asymmetric = (0..<c * c).filter { actual[$0] != actual[($0 % c) * c + $0 / c] }
            XCTAssertEqual(asymmetric.count, 0, "gram \(c)×\(p) not symmetric at \(asymmetric.prefix(3))", file: file, line: line)
            let gradGram = try buffers(randomValues(c * c, seed: seed + 1))
            let gradFeatures = try buffers(randomValues(c * p, seed: seed + 2, in: -0.001...0.001))
            try cpu.gramBackward(gradGram: gradGram.cpu, features: features.cpu, gradFeatures: gradFeatures.cpu, channels: c, pixels: p)
            try gpu.gramBackward(gradGram: gradGram.gpu, features: features.gpu, gradFeatures: gradFeatures.gpu, channels: c, pixels: p)
            (expected, actual) = try download(gradFeatures)
            assertClose(actual, expected, tolerance: 1e-5, "gram backward \(c)×\(p)", file: file, line: line)
        }
    }
}

/// A 5×6 convolution from `inChannels` to `outChannels` into a buffer 40 floats longer than its output: the kernels
/// must not write past the output's C×H×W, so the tail keeps its fill.
func assertConvolutionLeavesTheBufferTail(_ gpu: OpenCLBackend, inChannels c: Int, outChannels k: Int,
                                          file: StaticString = #filePath, line: UInt = #line) throws {
    let conv = try gpu.prepareConv(weights: randomValues(k * c * 9, seed: 7), bias: randomValues(k, seed: 8), inChannels: c, outChannels: k)
    let input = try gpu.makeBuffer(count: c * 5 * 6), output = try gpu.makeBuffer(count: k * 5 * 6 + 40)
    try gpu.upload(randomValues(c * 5 * 6, seed: 9), to: input)
    try gpu.fill(output, value: 42)
    try gpu.conv3x3(input: input, conv: conv, output: output, height: 5, width: 6, relu: false)
    XCTAssertEqual(Array(try gpu.download(output).suffix(40)), [Float](repeating: 42, count: 40), file: file, line: line)
}

/// Asserts `a` and `b` are bit-for-bit equal (NaN equal to NaN).
func assertIdentical(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): length", file: file, line: line)
    guard a.count == b.count else { return }
    if let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern && !(a[$0].isNaN && b[$0].isNaN) }) {
        XCTFail("\(what): element \(i) is \(a[i]), expected \(b[i])", file: file, line: line)
    }
}

/// |a − b| ≤ tolerance · max(|b|, 1e-30), with a message.
func assertRelative(_ a: Double, _ b: Double, _ tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(a - b), tolerance * max(abs(b), 1e-30), "\(what): \(a), expected \(b)", file: file, line: line)
}
