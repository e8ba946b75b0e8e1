// WinogradTransforms.swift — the F(4×4, 3×3) matrices (Lavin & Gray 2015) and their vectorised row kernels.

/// Winograd F(4×4, 3×3): a 4×4 output tile of a 3×3 correlation from a 6×6 input patch as
/// Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, with interpolation points 0, ±1, ±2 and ∞. 36 multiplies per tile and
/// channel pair instead of 144; FP32 error 1–4e-6 relative (DESIGN §4).
enum Winograd {
    typealias Vector = SIMD8<Float>
    typealias Input = UnsafePointer<Float>
    typealias Output = UnsafeMutablePointer<Float>

    /// U = G w Gᵀ for a row-major 3×3 kernel `w`, written as 36 values in row-major 6×6 order, with
    /// G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1] (Double inside).
    static func transformKernel(_ w: UnsafePointer<Float>, into u: (Int, Float) -> Void) {
        /// G·(x, y, z) for one column or row of three.
        func gTimes(_ x: Double, _ y: Double, _ z: Double) -> (Double, Double, Double, Double, Double, Double) {
            let a = -(x + z) / 6, b = x / 24 + z / 6
            return (x / 4, a - y / 6, a + y / 6, b + y / 12, b - y / 12, z)
        }
        func column(_ s: Int) -> (Double, Double, Double, Double, Double, Double) {
            gTimes(Double(w[s]), Double(w[3 + s]), Double(w[6 + s]))
        }
        let c0 = column(0), c1 = column(1), c2 = column(2)  // (G w)[·][s]
        func row(_ a: Int, _ x: Double, _ y: Double, _ z: Double) {
            let r = gTimes(x, y, z)
            u(6 * a, Float(r.0)); u(6 * a + 1, Float(r.1)); u(6 * a + 2, Float(r.2))
            u(6 * a + 3, Float(r.3)); u(6 * a + 4, Float(r.4)); u(6 * a + 5, Float(r.5))
        }
        row(0, c0.0, c1.0, c2.0); row(1, c0.1, c1.1, c2.1); row(2, c0.2, c1.2, c2.2)
        row(3, c0.3, c1.3, c2.3); row(4, c0.4, c1.4, c2.4); row(5, c0.5, c1.5, c2.5)
    }

    /// Bᵀ d for six values d0…d5 (one column or row of a patch).
    @inline(__always)
    static func inputTransform(_ d0: Vector, _ d1: Vector, _ d2: Vector, _ d3: Vector, _ d4: Vector, _ d5: Vector)
        -> (Vector, Vector, Vector, Vector, Vector, Vector) {
        let t = d4 - 4 * d2, u = d3 - 4 * d1, v = d4 - d2, w = 2 * (d3 - d1)
        return (4 * d0 - 5 * d2 + d4, t + u, t - u, v + w, v - w, 4 * d1 - 5 * d3 + d5)
    }

    /// Aᵀ m for six values m0…m5: four outputs.
    @inline(__always)
    static func outputTransform(_ m0: Vector, _ m1: Vector, _ m2: Vector, _ m3: Vector, _ m4: Vector, _ m5: Vector)
        -> (Vector, Vector, Vector, Vector) {
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
        return (m0 + a + c, b + 2 * d, a + 4 * c, b + 8 * d + m5)
    }

    @inline(__always) static func load(_ p: Input, _ i: Int) -> Vector {
        UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ v: Vector, _ p: Output, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Vector.self)
    }

    /// Stores the first `lanes` lanes of `v` (a row's tail).
    static func store(_ v: Vector, _ p: Output, _ i: Int, lanes: Int) {
        for l in 0..<lanes { p[i + l] = v[l] }
    }

    /// out[r][j] = (Bᵀ · (in[0][j] … in[5][j]))[r] for j < count. Inputs may be read up to the next multiple
    /// of 8; outputs are written exactly.
    static func inputRows(_ i: (Input, Input, Input, Input, Input, Input),
                          _ o: (Output, Output, Output, Output, Output, Output), count: Int) {
        var j = 0
        while j + 8 <= count {
            let r = inputTransform(load(i.0, j), load(i.1, j), load(i.2, j), load(i.3, j), load(i.4, j), load(i.5, j))
            store(r.0, o.0, j); store(r.1, o.1, j); store(r.2, o.2, j)
            store(r.3, o.3, j); store(r.4, o.4, j); store(r.5, o.5, j)
            j += 8
        }
        if j < count {
            let n = count - j
            let r = inputTransform(load(i.0, j), load(i.1, j), load(i.2, j), load(i.3, j), load(i.4, j), load(i.5, j))
            store(r.0, o.0, j, lanes: n); store(r.1, o.1, j, lanes: n); store(r.2, o.2, j, lanes: n)
            store(r.3, o.3, j, lanes: n); store(r.4, o.4, j, lanes: n); store(r.5, o.5, j, lanes: n)
        }
    }

    /// out[r][j] = (Aᵀ · (in[0][j] … in[5][j]))[r] for j < count (same reading rule as `inputRows`).
    static func outputRows(_ i: (Input, Input, Input, Input, Input, Input),
                           _ o: (Output, Output, Output, Output), count: Int) {
        var j = 0
        while j + 8 <= count {
            let r = outputTransform(load(i.0, j), load(i.1, j), load(i.2, j), load(i.3, j), load(i.4, j), load(i.5, j))
            store(r.0, o.0, j); store(r.1, o.1, j); store(r.2, o.2, j); store(r.3, o.3, j)
            j += 8
        }
        if j < count {
            let n = count - j
            let r = outputTransform(load(i.0, j), load(i.1, j), load(i.2, j), load(i.3, j), load(i.4, j), load(i.5, j))
            store(r.0, o.0, j, lanes: n); store(r.1, o.1, j, lanes: n); store(r.2, o.2, j, lanes: n); store(r.3, o.3, j, lanes: n)
        }
    }

    /// Splits `source[4j + q]` into four phase rows `phases + q·stride` (j < count, count a multiple of 4).
    static func deinterleave(_ source: Input, into phases: Output, stride: Int, count: Int) {
        var j = 0
        while j < count {
            let v = UnsafeRawPointer(source + 4 * j).loadUnaligned(as: SIMD16<Float>.self)
            let even = v.evenHalf, odd = v.oddHalf
            UnsafeMutableRawPointer(phases + j).storeBytes(of: even.evenHalf, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(phases + stride + j).storeBytes(of: odd.evenHalf, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(phases + 2 * stride + j).storeBytes(of: even.oddHalf, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(phases + 3 * stride + j).storeBytes(of: odd.oddHalf, as: SIMD4<Float>.self)
            j += 4
        }
    }

    /// destination[4j + q] = f(phases[q·stride + j] + bias) for 4j + q < width, f = ReLU when `relu`.
    /// Phases may be read up to 4 entries past ⌈width/4⌉.
    static func interleave(_ phases: Input, stride: Int, into destination: Output, width: Int, bias: Float, relu: Bool) {
        let b = SIMD4<Float>(repeating: bias)
        func phase(_ q: Int, _ j: Int) -> SIMD4<Float> {
            let v = UnsafeRawPointer(phases + q * stride + j).loadUnaligned(as: SIMD4<Float>.self) + b
            return relu ? v.replacing(with: 0, where: v .< 0) : v
        }
        var j = 0
        while 4 * j < width {
            // Four phase vectors of four tiles → 16 consecutive pixels (a 4×4 transpose).
            var even = SIMD8<Float>(), odd = SIMD8<Float>(), v = SIMD16<Float>()
            even.evenHalf = phase(0, j)
            odd.evenHalf = phase(1, j)
            even.oddHalf = phase(2, j)
            odd.oddHalf = phase(3, j)
            v.evenHalf = even
            v.oddHalf = odd
            if 4 * j + 16 <= width {
                UnsafeMutableRawPointer(destination + 4 * j).storeBytes(of: v, as: SIMD16<Float>.self)
            } else {
                for l in 0..<(width - 4 * j) { destination[4 * j + l] = v[l] }
            }
            j += 4
        }
    }
}
