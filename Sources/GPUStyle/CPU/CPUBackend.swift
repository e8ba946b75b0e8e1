// CPUBackend.swift — the reference backend: plain loops plus OpenBLAS GEMM, FP32, on the host.
import CBLAS
import Foundation

/// The CPU backend: simple enough to be obviously right, and the reference every OpenCL kernel is
/// tested against. Convolutions are im2col + OpenBLAS SGEMM over bands of rows, so scratch stays small.
public final class CPUBackend: Backend {
    public let kind = "cpu"
    public let deviceName: String
    let tracker = MemoryTracker()

    /// - Parameter threads: BLAS threads; `nil` keeps OpenBLAS's default (the core count).
    public init(threads: Int? = nil) {
        if let threads { openblas_set_num_threads(Int32(max(1, threads))) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        deviceName = "host CPU (\(cores) cores, OpenBLAS \(openblas_get_num_threads()) threads)"
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
        return CPUPreparedConv(weights: weights, bias: bias, inChannels: inChannels, outChannels: outChannels)
    }

    public func conv3x3(input: DeviceBuffer, conv: PreparedConv, output: DeviceBuffer, height: Int, width: Int, relu: Bool) throws {
        let c = try cpuConv(conv), x = try cpu(input), y = try cpu(output)
        try expect(x.count >= c.inChannels * height * width && y.count >= c.outChannels * height * width,
                   "conv3x3 buffers too small for \(c.inChannels)→\(c.outChannels) × \(height)×\(width)")
        CPUConvolution.convolve(input: x.pointer, inChannels: c.inChannels, height: height, width: width,
                                weights: c.forward, bias: c.bias, outChannels: c.outChannels, output: y.pointer)
        if relu {
            let n = c.outChannels * height * width
            for i in 0..<n where y.pointer[i] < 0 { y.pointer[i] = 0 }
        }
    }

    public func conv3x3InputGradient(gradOutput: DeviceBuffer, conv: PreparedConv, gradInput: DeviceBuffer, height: Int, width: Int) throws {
        let c = try cpuConv(conv), dy = try cpu(gradOutput), dx = try cpu(gradInput)
        try expect(dy.count >= c.outChannels * height * width && dx.count >= c.inChannels * height * width,
                   "conv3x3InputGradient buffers too small")
        CPUConvolution.convolve(input: dy.pointer, inChannels: c.outChannels, height: height, width: width,
                                weights: c.transposedRotated, bias: c.zeroBias, outChannels: c.inChannels, output: dx.pointer)
    }

    public func relu(input: DeviceBuffer, output: DeviceBuffer, count: Int) throws {
        let x = try cpu(input).pointer, y = try cpu(output).pointer
        for i in 0..<count { y[i] = max(x[i], 0) }
    }

    public func reluBackward(gradient: DeviceBuffer, output: DeviceBuffer, count: Int) throws {
        let g = try cpu(gradient).pointer, y = try cpu(output).pointer
        for i in 0..<count where !(y[i] > 0) { g[i] = 0 }
    }

    // MARK: Pooling

    public func pool2x2(input: DeviceBuffer, output: DeviceBuffer, channels: Int, height: Int, width: Int, mode: PoolingMode) throws {
        let x = try cpu(input).pointer, y = try cpu(output).pointer
        let oh = height / 2, ow = width / 2
        for c in 0..<channels {
            for i in 0..<oh {
                for j in 0..<ow {
                    let base = (c * height + 2 * i) * width + 2 * j
                    let a = x[base], b = x[base + 1], d = x[base + width], e = x[base + width + 1]
                    y[(c * oh + i) * ow + j] = mode == .max ? max(max(a, b), max(d, e)) : (a + b + d + e) * 0.25
                }
            }
        }
    }

    public func pool2x2Backward(gradOutput: DeviceBuffer, input: DeviceBuffer, gradInput: DeviceBuffer,
                                channels: Int, height: Int, width: Int, mode: PoolingMode) throws {
        let dy = try cpu(gradOutput).pointer, x = try cpu(input).pointer, dx = try cpu(gradInput).pointer
        dx.update(repeating: 0, count: channels * height * width)
        let oh = height / 2, ow = width / 2
        for c in 0..<channels {
            for i in 0..<oh {
                for j in 0..<ow {
                    let g = dy[(c * oh + i) * ow + j]
                    let base = (c * height + 2 * i) * width + 2 * j
                    let taps = [base, base + 1, base + width, base + width + 1]
                    if mode == .avg {
                        for t in taps { dx[t] = 0.25 * g }
                    } else {
                        var best = taps[0]
                        for t in taps.dropFirst() where x[t] > x[best] { best = t }
                        dx[best] = g
                    }
                }
            }
        }
    }

    // MARK: Gram

    public func gram(features: DeviceBuffer, gram: DeviceBuffer, channels: Int, pixels: Int) throws {
        let f = try cpu(features).pointer, g = try cpu(gram).pointer
        let alpha = 1 / Float(channels * pixels)
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(channels), Int32(pixels),
                    alpha, f, Int32(pixels), 0, g, Int32(channels))
        for i in 0..<channels { for j in 0..<i { g[i * channels + j] = g[j * channels + i] } }
    }

    public func gramBackward(gradGram: DeviceBuffer, features: DeviceBuffer, gradFeatures: DeviceBuffer, channels: Int, pixels: Int) throws {
        let dg = try cpu(gradGram).pointer, f = try cpu(features).pointer, df = try cpu(gradFeatures).pointer
        var sym = [Float](repeating: 0, count: channels * channels)
        for i in 0..<channels { for j in 0..<channels { sym[i * channels + j] = dg[i * channels + j] + dg[j * channels + i] } }
        let alpha = 1 / Float(channels * pixels)
        cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(channels), Int32(pixels), alpha,
                    sym, Int32(channels), f, Int32(pixels), 1, df, Int32(pixels))
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
