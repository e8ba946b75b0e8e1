// CPUPooling.swift — the CPU backend's 2×2 pooling and its gradient, row by row, four outputs per SIMD step.

extension CPUBackend {
    public func pool2x2(input: DeviceBuffer, output: DeviceBuffer, channels: Int, height: Int, width: Int, mode: PoolingMode) throws {
        let x = try cpu(input).pointer, y = try cpu(output).pointer
        let oh = height / 2, ow = width / 2
        parallel.forRanges(channels * oh, grain: max(1, 8192 / max(1, ow))) { _, range in
            for row in range {
                let top = x + (row / oh * height + 2 * (row % oh)) * width
                CPUPooling.forwardRow(top: top, bottom: top + width, into: y + row * ow, count: ow, mode: mode)
            }
        }
    }

    public func pool2x2Backward(gradOutput: DeviceBuffer, input: DeviceBuffer, gradInput: DeviceBuffer,
                                channels: Int, height: Int, width: Int, mode: PoolingMode) throws {
        let dy = try cpu(gradOutput).pointer, x = try cpu(input).pointer, dx = try cpu(gradInput).pointer
        let oh = height / 2, ow = width / 2
        parallel.forRanges(channels, grain: max(1, 8192 / max(1, height * width))) { _, range in
            for c in range {
                let plane = c * height * width
                for i in 0..<oh {
                    let top = plane + 2 * i * width
                    CPUPooling.backwardRow(dy + (c * oh + i) * ow, top: x + top, bottom: x + top + width,
                                           gradTop: dx + top, gradBottom: dx + top + width, count: ow, mode: mode)
                    if width % 2 == 1 { dx[top + width - 1] = 0; dx[top + 2 * width - 1] = 0 }
                }
                // An odd last row is dropped by the forward pass: zero gradient.
                if height % 2 == 1 { (dx + plane + (height - 1) * width).update(repeating: 0, count: width) }
            }
        }
    }
}

/// Row kernels: a 2×2 window's top pair from `top`, bottom pair from `bottom`.
enum CPUPooling {
    typealias Four = SIMD4<Float>

    /// Swift's `max(x, y)` lane by lane (`y >= x ? y : x`), so both paths agree exactly.
    @inline(__always) static func maximum(_ x: Four, _ y: Four) -> Four { x.replacing(with: y, where: y .>= x) }

    @inline(__always) static func pairs(_ p: UnsafePointer<Float>, _ j: Int) -> (Four, Four) {
        let v = UnsafeRawPointer(p + 2 * j).loadUnaligned(as: SIMD8<Float>.self)
        return (v.evenHalf, v.oddHalf)
    }

    @inline(__always) static func storePairs(_ left: Four, _ right: Four, _ p: UnsafeMutablePointer<Float>, _ j: Int) {
        var v = SIMD8<Float>()
        v.evenHalf = left
        v.oddHalf = right
        UnsafeMutableRawPointer(p + 2 * j).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    static func forwardRow(top: UnsafePointer<Float>, bottom: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           count: Int, mode: PoolingMode) {
        var j = 0
        while j + 4 <= count {
            let (a, b) = pairs(top, j), (d, e) = pairs(bottom, j)
            let v = mode == .max ? maximum(maximum(a, b), maximum(d, e)) : (a + b + d + e) * 0.25
            UnsafeMutableRawPointer(out + j).storeBytes(of: v, as: Four.self)
            j += 4
        }
        while j < count {
            let a = top[2 * j], b = top[2 * j + 1], d = bottom[2 * j], e = bottom[2 * j + 1]
            out[j] = mode == .max ? max(max(a, b), max(d, e)) : (a + b + d + e) * 0.25
            j += 1
        }
    }

    /// Writes all four gradient entries of each window: the output gradient to the window's maximum (ties to
    /// the first in scan order: top-left, top-right, bottom-left, bottom-right) or a quarter of it to each.
    static func backwardRow(_ dy: UnsafePointer<Float>, top: UnsafePointer<Float>, bottom: UnsafePointer<Float>,
                            gradTop: UnsafeMutablePointer<Float>, gradBottom: UnsafeMutablePointer<Float>,
                            count: Int, mode: PoolingMode) {
        var j = 0
        while j + 4 <= count {
            let g = UnsafeRawPointer(dy + j).loadUnaligned(as: Four.self)
            if mode == .avg {
                let q = g * 0.25
                storePairs(q, q, gradTop, j)
                storePairs(q, q, gradBottom, j)
            } else {
                let (a, b) = pairs(top, j), (d, e) = pairs(bottom, j)
                let toB = b .> a, m1 = a.replacing(with: b, where: toB)
                let toD = d .> m1, m2 = m1.replacing(with: d, where: toD)
                let toE = e .> m2
                let zero = Four.zero
                storePairs(g.replacing(with: 0, where: toB .| toD .| toE), zero.replacing(with: g, where: toB .& .!(toD .| toE)), gradTop, j)
                storePairs(zero.replacing(with: g, where: toD .& .!toE), zero.replacing(with: g, where: toE), gradBottom, j)
            }
            j += 4
        }
        while j < count {
            let g = dy[j], taps = (2 * j, 2 * j + 1)
            if mode == .avg {
                gradTop[taps.0] = 0.25 * g; gradTop[taps.1] = 0.25 * g
                gradBottom[taps.0] = 0.25 * g; gradBottom[taps.1] = 0.25 * g
            } else {
                let a = top[taps.0], b = top[taps.1], d = bottom[taps.0], e = bottom[taps.1]
                var best = 0, m = a
                if b > m { best = 1; m = b }
                if d > m { best = 2; m = d }
                if e > m { best = 3 }
                gradTop[taps.0] = best == 0 ? g : 0; gradTop[taps.1] = best == 1 ? g : 0
                gradBottom[taps.0] = best == 2 ? g : 0; gradBottom[taps.1] = best == 3 ? g : 0
            }
            j += 1
        }
    }
}
