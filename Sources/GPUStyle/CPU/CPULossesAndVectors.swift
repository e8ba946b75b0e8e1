// CPULossesAndVectors.swift — the CPU backend's loss functions and optimiser vector operations.
import CBLAS

extension CPUBackend {
    // MARK: Losses

    public func contentLoss(features: DeviceBuffer, target: DeviceBuffer, count: Int, lossWeight: Float,
                            gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let f = try cpu(features).pointer, p = try cpu(target).pointer, g = try cpu(gradient).pointer
        let scale = gradientWeight * 2 / Float(count)
        let sum = parallel.sum(count) { range in
            var sum = 0.0
            for i in range {
                let d = f[i] - p[i]
                sum += Double(d) * Double(d)
                g[i] += scale * d
            }
            return sum
        }
        try cpu(losses).pointer[slot] = Float(Double(lossWeight) * sum / Double(count))
    }

    public func weightedContentLoss(features: DeviceBuffer, target: DeviceBuffer, weights: DeviceBuffer, count: Int, lossWeight: Float,
                                    gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let f = try cpu(features).pointer, p = try cpu(target).pointer, w = try cpu(weights).pointer, g = try cpu(gradient).pointer
        let scale = gradientWeight * 2 / Float(count)
        let sum = parallel.sum(count) { range in
            var sum = 0.0
            for i in range {
                let d = f[i] - p[i]
                sum += Double(w[i]) * Double(d) * Double(d)
                g[i] += scale * w[i] * d
            }
            return sum
        }
        try cpu(losses).pointer[slot] = Float(Double(lossWeight) * sum / Double(count))
    }

    public func styleLoss(gram: DeviceBuffer, target: DeviceBuffer, channels: Int, lossWeight: Float,
                          gradGram: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let g = try cpu(gram).pointer, a = try cpu(target).pointer, dg = try cpu(gradGram).pointer
        let n = channels * channels
        let scale = gradientWeight * 2 / Float(n)
        let sum = parallel.sum(n) { range in
            var sum = 0.0
            for i in range {
                let d = g[i] - a[i]
                sum += Double(d) * Double(d)
                dg[i] = scale * d
            }
            return sum
        }
        try cpu(losses).pointer[slot] = Float(Double(lossWeight) * sum / Double(n))
    }

    public func tvLoss(image: DeviceBuffer, channels: Int, height: Int, width: Int, lossWeight: Float,
                       gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let x = try cpu(image).pointer, g = try cpu(gradient).pointer
        // One task per channel (their gradients do not overlap); the sums are added in channel order.
        var sums = [Double](repeating: 0, count: channels)
        sums.withUnsafeMutableBufferPointer { sums in
            parallel.forEach(channels) { c in
                var sum = 0.0
                for i in 0..<max(0, height - 1) {
                    for j in 0..<max(0, width - 1) {
                        let at = (c * height + i) * width + j
                        let dx = x[at] - x[at + 1], dy = x[at] - x[at + width]
                        sum += 0.5 * (Double(dx) * Double(dx) + Double(dy) * Double(dy))
                        g[at] += gradientWeight * (dx + dy)
                        g[at + 1] -= gradientWeight * dx
                        g[at + width] -= gradientWeight * dy
                    }
                }
                sums[c] = sum
            }
        }
        try cpu(losses).pointer[slot] = Float(Double(lossWeight) * sums.reduce(0, +))
    }

    // MARK: Vector ops

    public func axpy(alpha: Float, x: DeviceBuffer, y: DeviceBuffer) throws {
        let a = try cpu(x), b = try cpu(y)
        try expect(a.count <= b.count, "axpy of \(a.count) elements into \(b.count)")
        parallel.forRanges(a.count) { _, r in
            cblas_saxpy(Int32(r.count), alpha, a.pointer + r.lowerBound, 1, b.pointer + r.lowerBound, 1)
        }
    }

    public func scale(_ x: DeviceBuffer, by alpha: Float) throws {
        let a = try cpu(x)
        parallel.forRanges(a.count) { _, r in cblas_sscal(Int32(r.count), alpha, a.pointer + r.lowerBound, 1) }
    }

    public func dot(_ a: DeviceBuffer, _ b: DeviceBuffer) throws -> Double {
        let x = try cpu(a), y = try cpu(b)
        try expect(x.count == y.count, "dot over \(x.count) and \(y.count) elements")
        return parallel.sum(x.count) { r in CPUBackend.doubleDot(x.pointer + r.lowerBound, y.pointer + r.lowerBound, count: r.count) }
    }

    public func sumAbs(_ x: DeviceBuffer) throws -> Double {
        let a = try cpu(x).pointer
        return parallel.sum(x.count) { r in
            var sum = 0.0
            for i in r { sum += Double(abs(a[i])) }
            return sum
        }
    }

    public func sumAbs(_ x: DeviceBuffer, losses: DeviceBuffer, slot: Int) throws {
        let l = try cpu(losses)
        try expect(slot >= 0 && slot < l.count, "loss slot \(slot) outside a losses buffer of \(l.count)")
        l.pointer[slot] = Float(try sumAbs(x))
    }

    public func adamStep(x: DeviceBuffer, gradient: DeviceBuffer, m: DeviceBuffer, v: DeviceBuffer,
                         stepSize: Float, beta1: Float, beta2: Float, epsilon: Float) throws {
        let xp = try cpu(x).pointer, g = try cpu(gradient).pointer, mp = try cpu(m).pointer, vp = try cpu(v).pointer
        parallel.forRanges(x.count) { _, r in
            for i in r {
                mp[i] = beta1 * mp[i] + (1 - beta1) * g[i]
                vp[i] = beta2 * vp[i] + (1 - beta2) * g[i] * g[i]
                xp[i] -= stepSize * mp[i] / (vp[i].squareRoot() + epsilon)
            }
        }
    }

    public func makeVectorBank(rows: Int, length: Int) throws -> VectorBank {
        CPUVectorBank(rows: rows, length: length, tracker: tracker)
    }

    /// One pass over the bank: each piece of the length computes its part of every requested dot product
    /// while its slice of the requested rows stays in cache; the parts are added in piece order.
    public func bankDots(_ bank: VectorBank, rows: [Int]) throws -> [[Double]] {
        let b = try cpuBank(bank)
        let pieces = CPUParallel.pieces(b.length, grain: 1 << 15), width = rows.count * b.rows
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: pieces * width)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0)
        parallel.forRanges(b.length) { p, range in
            for r in 0..<b.rows {
                for (k, i) in rows.enumerated() {
                    partial[p * width + k * b.rows + r] = CPUBackend.doubleDot(b.rowPointer(i) + range.lowerBound,
                                                                               b.rowPointer(r) + range.lowerBound, count: range.count)
                }
            }
        }
        return rows.indices.map { k in
            (0..<b.rows).map { r in (0..<pieces).reduce(0.0) { $0 + partial[$1 * width + k * b.rows + r] } }
        }
    }

    public func bankCombine(_ bank: VectorBank, coefficients: [Float], into output: DeviceBuffer) throws {
        let b = try cpuBank(bank), out = try cpu(output)
        try expect(coefficients.count == b.rows && out.count == b.length, "bankCombine shape mismatch")
        let own = (0..<b.rows).first { b.rowPointer($0) == out.pointer }
        parallel.forRanges(b.length) { _, range in
            let o = out.pointer + range.lowerBound, n = Int32(range.count)
            // A zero coefficient never reads its row (garbage there, NaN included, must not leak in): the own row too.
            if let own, coefficients[own] != 0 { cblas_sscal(n, coefficients[own], o, 1) } else { o.update(repeating: 0, count: range.count) }
            for r in 0..<b.rows where r != own && coefficients[r] != 0 {
                cblas_saxpy(n, coefficients[r], b.rowPointer(r) + range.lowerBound, 1, o, 1)
            }
        }
    }

    /// Σ a·b with Double accumulation (OpenBLAS' dsdot accumulates in float on some kernels).
    static func doubleDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= count {
            s0 += Double(a[i]) * Double(b[i])
            s1 += Double(a[i + 1]) * Double(b[i + 1])
            s2 += Double(a[i + 2]) * Double(b[i + 2])
            s3 += Double(a[i + 3]) * Double(b[i + 3])
            i += 4
        }
        while i < count { s0 += Double(a[i]) * Double(b[i]); i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    func cpuBank(_ bank: VectorBank) throws -> CPUVectorBank {
        guard let b = bank as? CPUVectorBank else {
            throw GPUStyleError(.internal, "a \(type(of: bank)) was passed to the CPU backend")
        }
        return b
    }
}
