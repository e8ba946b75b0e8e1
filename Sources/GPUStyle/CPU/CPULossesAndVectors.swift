// CPULossesAndVectors.swift — the CPU backend's loss functions and optimiser vector operations.
import CBLAS

extension CPUBackend {
    // MARK: Losses

    public func contentLoss(features: DeviceBuffer, target: DeviceBuffer, count: Int, lossWeight: Float,
                            gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let f = try cpu(features).pointer, p = try cpu(target).pointer, g = try cpu(gradient).pointer
        var sum = 0.0
        let scale = gradientWeight * 2 / Float(count)
        for i in 0..<count {
            let d = f[i] - p[i]
            sum += Double(d) * Double(d)
            g[i] += scale * d
        }
        try cpu(losses).pointer[slot] = Float(Double(lossWeight) * sum / Double(count))
    }

    public func styleLoss(gram: DeviceBuffer, target: DeviceBuffer, channels: Int, lossWeight: Float,
                          gradGram: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let g = try cpu(gram).pointer, a = try cpu(target).pointer, dg = try cpu(gradGram).pointer
        let n = channels * channels
        var sum = 0.0
        let scale = gradientWeight * 2 / Float(n)
        for i in 0..<n {
            let d = g[i] - a[i]
            sum += Double(d) * Double(d)
            dg[i] = scale * d
        }
        try cpu(losses).pointer[slot] = Float(Double(lossWeight) * sum / Double(n))
    }

    public func tvLoss(image: DeviceBuffer, channels: Int, height: Int, width: Int, lossWeight: Float,
                       gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let x = try cpu(image).pointer, g = try cpu(gradient).pointer
        var sum = 0.0
        for c in 0..<channels {
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
        }
        try cpu(losses).pointer[slot] = Float(Double(lossWeight) * sum)
    }

    // MARK: Vector ops

    public func axpy(alpha: Float, x: DeviceBuffer, y: DeviceBuffer) throws {
        let a = try cpu(x), b = try cpu(y)
        try expect(a.count <= b.count, "axpy of \(a.count) elements into \(b.count)")
        cblas_saxpy(Int32(a.count), alpha, a.pointer, 1, b.pointer, 1)
    }

    public func scale(_ x: DeviceBuffer, by alpha: Float) throws {
        let a = try cpu(x)
        cblas_sscal(Int32(a.count), alpha, a.pointer, 1)
    }

    public func dot(_ a: DeviceBuffer, _ b: DeviceBuffer) throws -> Double {
        let x = try cpu(a), y = try cpu(b)
        try expect(x.count == y.count, "dot over \(x.count) and \(y.count) elements")
        return CPUBackend.doubleDot(x.pointer, y.pointer, count: x.count)
    }

    public func sumAbs(_ x: DeviceBuffer) throws -> Double {
        let a = try cpu(x)
        var sum = 0.0
        for i in 0..<a.count { sum += Double(abs(a.pointer[i])) }
        return sum
    }

    public func adamStep(x: DeviceBuffer, gradient: DeviceBuffer, m: DeviceBuffer, v: DeviceBuffer,
                         stepSize: Float, beta1: Float, beta2: Float, epsilon: Float) throws {
        let xp = try cpu(x).pointer, g = try cpu(gradient).pointer, mp = try cpu(m).pointer, vp = try cpu(v).pointer
        for i in 0..<x.count {
            mp[i] = beta1 * mp[i] + (1 - beta1) * g[i]
            vp[i] = beta2 * vp[i] + (1 - beta2) * g[i] * g[i]
            xp[i] -= stepSize * mp[i] / (vp[i].squareRoot() + epsilon)
        }
    }

    public func makeVectorBank(rows: Int, length: Int) throws -> VectorBank {
        CPUVectorBank(rows: rows, length: length, tracker: tracker)
    }

    public func bankDots(_ bank: VectorBank, rows: [Int]) throws -> [[Double]] {
        let b = try cpuBank(bank)
        return rows.map { i in
            (0..<b.rows).map { r in CPUBackend.doubleDot(b.rowPointer(i), b.rowPointer(r), count: b.length) }
        }
    }

    public func bankCombine(_ bank: VectorBank, coefficients: [Float], into output: DeviceBuffer) throws {
        let b = try cpuBank(bank), out = try cpu(output)
        try expect(coefficients.count == b.rows && out.count == b.length, "bankCombine shape mismatch")
        let own = (0..<b.rows).first { b.rowPointer($0) == out.pointer }
        cblas_sscal(Int32(out.count), own.map { coefficients[$0] } ?? 0, out.pointer, 1)
        for r in 0..<b.rows where r != own && coefficients[r] != 0 {
            cblas_saxpy(Int32(b.length), coefficients[r], b.rowPointer(r), 1, out.pointer, 1)
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
