// CPUBackend.swift — the CPU backend: Winograd or im2col convolutions on OpenBLAS SGEMM, threaded loops, FP32.
import CBLAS
import Foundation

/// The CPU backend and the reference every OpenCL kernel is tested against. Convolutions default to Winograd
/// F(4×4, 3×3) (checked in the tests against the plain im2col path and a textbook loop); every op splits its
/// work over `threads` threads itself, with OpenBLAS single-threaded inside each task.
public final class CPUBackend: Backend {
    public let kind = "cpu"
    public let deviceName: String
    /// Threads every op uses (the core count unless set).
    public let threads: Int
    /// How every convolution this backend prepares is computed.
    public let convolution: CPUConvolutionAlgorithm
    let tracker = MemoryTracker()
    let parallel: CPUParallel
    lazy var scratch = CPUScratch(tracker: tracker)

    /// - Parameters:
    ///   - threads: worker threads; `nil` means one per active core.
    ///   - convolution: `.winograd` (fast) or `.im2col` (the plain reference).
    public init(threads: Int? = nil, convolution: CPUConvolutionAlgorithm = .winograd) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        self.threads = max(1, threads ?? cores)
        self.convolution = convolution
        parallel = CPUParallel(threads: self.threads)
        // The backend parallelises around BLAS calls; OpenBLAS' own threads would compete (and spin) with it.
        openblas_set_num_threads(1)
        deviceName = "host CPU (\(cores) cores, \(self.threads) threads, \(convolution.rawValue) convolutions)"
    }

    public var memory: MemoryStats { tracker.current }
    public func resetPeakMemory() { tracker.resetPeak() }

    // MARK: Buffers

    public func makeBuffer(count: Int) throws -> DeviceBuffer {
        guard count >= 0 else { throw GPUStyleError(.internal, "negative buffer size \(count)") }
        return CPUBuffer(count: count, tracker: tracker)
    }

    public func upload(_ values: [Float], to buffer: DeviceBuffer) throws {
        let b = try cpu(buffer)
        try expect(values.count == b.count, "upload of \(values.count) values into a buffer of \(b.count)")
        values.withUnsafeBufferPointer { b.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    public func download(_ buffer: DeviceBuffer) throws -> [Float] {
        Array(try cpu(buffer).buffer)
    }

    public func fill(_ buffer: DeviceBuffer, value: Float) throws {
        try cpu(buffer).buffer.update(repeating: value)
    }

    public func copy(_ source: DeviceBuffer, to destination: DeviceBuffer) throws {
        let s = try cpu(source), d = try cpu(destination)
        try expect(s.count == d.count, "copy between buffers of \(s.count) and \(d.count)")
        d.pointer.update(from: s.pointer, count: s.count)
    }

    public func finish() throws {}

    // MARK: Convolution

    public func prepareConv(weights: [Float], bias: [Float], inChannels: Int, outChannels: Int) throws -> PreparedConv {
        try expect(weights.count == outChannels * inChannels * 9 && bias.count == outChannels,
                   "conv weights \(weights.count) / bias \(bias.count) do not match \(outChannels)×\(inChannels)×3×3")
        return CPUPreparedConv(weights: weights, bias: bias, inChannels: inChannels, outChannels: outChannels, algorithm: convolution,
                               parallel: parallel, tracker: tracker)
    }

    public func conv3x3(input: DeviceBuffer, conv: PreparedConv, output: DeviceBuffer, height: Int, width: Int, relu: Bool) throws {
        let c = try cpuConv(conv), x = try cpu(input), y = try cpu(output)
        try expect(x.count >= c.inChannels * height * width && y.count >= c.outChannels * height * width,
                   "conv3x3 buffers too small for \(c.inChannels)→\(c.outChannels) × \(height)×\(width)")
        switch c.kernels {
        case .im2col(let forward, _):
            CPUConvolution.convolve(input: x.pointer, inChannels: c.inChannels, height: height, width: width, weights: forward,
                                    bias: c.bias, outChannels: c.outChannels, output: y.pointer, parallel: parallel)
            if relu { try self.relu(input: output, output: output, count: c.outChannels * height * width) }
        case .winograd(let forward, _):
            winograd(input: x.pointer, height: height, width: width, weights: forward, bias: c.bias, relu: relu, output: y.pointer)
        }
    }

    /// The gate, if any, is applied to gradOutput in place first.
    public func conv3x3InputGradient(gradOutput: DeviceBuffer, conv: PreparedConv, gradInput: DeviceBuffer, height: Int, width: Int,
                                     gate: ReLUGate?) throws {
        let c = try cpuConv(conv), dy = try cpu(gradOutput), dx = try cpu(gradInput)
        try expect(dy.count >= c.outChannels * height * width && dx.count >= c.inChannels * height * width,
                   "conv3x3InputGradient buffers too small")
        if let gate { try applyReLUGate(gate, to: gradOutput, count: c.outChannels * height * width) }
        switch c.kernels {
        case .im2col(_, let transposedRotated):
            CPUConvolution.convolve(input: dy.pointer, inChannels: c.outChannels, height: height, width: width,
                                    weights: transposedRotated, bias: c.zeroBias, outChannels: c.inChannels, output: dx.pointer,
                                    parallel: parallel)
        case .winograd(_, let backward):
            winograd(input: dy.pointer, height: height, width: width, weights: backward, bias: c.zeroBias, relu: false, output: dx.pointer)
        }
    }

    private func winograd(input: UnsafePointer<Float>, height: Int, width: Int, weights: WinogradWeights, bias: [Float],
                          relu: Bool, output: UnsafeMutablePointer<Float>) {
        let work = scratch.floats(WinogradConvolution.scratchCount(inChannels: weights.inChannels, outChannels: weights.outChannels,
                                                                   height: height, width: width))
        bias.withUnsafeBufferPointer { b in
            WinogradConvolution.convolve(input: input, height: height, width: width, weights: weights, bias: b.baseAddress!,
                                         relu: relu, output: output, scratch: work, parallel: parallel)
        }
    }

    public func relu(input: DeviceBuffer, output: DeviceBuffer, count: Int) throws {
        let x = try cpu(input).pointer, y = try cpu(output).pointer
        parallel.forRanges(count) { _, range in
            for i in range { y[i] = max(x[i], 0) }
        }
    }

    public func reluBackward(gradient: DeviceBuffer, output: DeviceBuffer, count: Int) throws {
        let g = try cpu(gradient).pointer, y = try cpu(output).pointer
        parallel.forRanges(count) { _, range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(g + i).storeBytes(of: gv.replacing(with: 0, where: .!(yv .> 0)), as: SIMD8<Float>.self)
                i += 8
            }
            for k in i..<range.upperBound where !(y[k] > 0) { g[k] = 0 }
        }
    }

    // MARK: Gram

    /// F Fᵀ by SSYRK (upper triangle, then mirrored): over pieces of the pixels, whose partial Grams are added in
    /// piece order, when there are many pixels; over 8 × 8 blocks of channels (SGEMM above the diagonal) otherwise.
    public func gram(features: DeviceBuffer, gram: DeviceBuffer, channels: Int, pixels: Int) throws {
        let f = try cpu(features).pointer, g = try cpu(gram).pointer
        let c = channels, alpha = 1 / Float(channels * pixels)
        let pieces = min(8, pixels / 16384)
        if pieces >= 2 {
            let partial = scratch.floats(pieces * c * c), step = (pixels + pieces - 1) / pieces
            parallel.forEach(pieces) { p in
                let lo = p * step, n = min(pixels, lo + step) - lo
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(n), alpha, f + lo, Int32(pixels),
                            0, partial + p * c * c, Int32(c))
            }
            parallel.forRanges(c, grain: max(1, 4096 / c)) { _, rows in
                for i in rows {
                    for j in i..<c {
                        var sum: Float = 0
                        for p in 0..<pieces { sum += partial[p * c * c + i * c + j] }
                        g[i * c + j] = sum
                    }
                }
            }
        } else {
            // Blocks fixed by the channels, not the threads: which entries SSYRK or SGEMM computes (their rounding
            // differs) must not depend on --threads, or a seed would give another image on another core count.
            let blocks = min(c, 8), size = (c + blocks - 1) / blocks
            let pairs = (0..<blocks).flatMap { i in (i..<blocks).map { (i, $0) } }
            parallel.forEach(pairs.count) { p in
                let (i, j) = pairs[p]
                let r0 = i * size, c0 = j * size
                let rows = min(size, c - r0), cols = min(size, c - c0)
                guard rows > 0, cols > 0 else { return }
                if i == j {
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(pixels), alpha, f + r0 * pixels,
                                Int32(pixels), 0, g + r0 * c + r0, Int32(c))
                } else {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(pixels), alpha,
                                f + r0 * pixels, Int32(pixels), f + c0 * pixels, Int32(pixels), 0, g + r0 * c + c0, Int32(c))
                }
            }
        }
        for i in 0..<c { for j in 0..<i { g[i * c + j] = g[j * c + i] } }
    }

    /// (dG + dGᵀ) F by SGEMM over column ranges of the pixels, in parallel.
    public func gramBackward(gradGram: DeviceBuffer, features: DeviceBuffer, gradFeatures: DeviceBuffer, channels: Int, pixels: Int) throws {
        let dg = try cpu(gradGram).pointer, f = try cpu(features).pointer, df = try cpu(gradFeatures).pointer
        var sym = [Float](repeating: 0, count: channels * channels)
        for i in 0..<channels { for j in 0..<channels { sym[i * channels + j] = dg[i * channels + j] + dg[j * channels + i] } }
        let alpha = 1 / Float(channels * pixels)
        sym.withUnsafeBufferPointer { a in
            parallel.forRanges(pixels, grain: max(256, (1 << 18) / max(1, channels))) { _, range in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(channels), Int32(range.count), Int32(channels), alpha,
                            a.baseAddress, Int32(channels), f + range.lowerBound, Int32(pixels), 1,
                            df + range.lowerBound, Int32(pixels))
            }
        }
    }

    // MARK: Helpers

    func cpu(_ buffer: DeviceBuffer) throws -> CPUBuffer {
        guard let b = buffer as? CPUBuffer else {
            throw GPUStyleError(.internal, "a \(type(of: buffer)) was passed to the CPU backend")
        }
        return b
    }

    func cpuConv(_ conv: PreparedConv) throws -> CPUPreparedConv {
        guard let c = conv as? CPUPreparedConv else {
            throw GPUStyleError(.internal, "a \(type(of: conv)) was passed to the CPU backend")
        }
        return c
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw GPUStyleError(.internal, "CPU backend: " + message()) }
    }
}
