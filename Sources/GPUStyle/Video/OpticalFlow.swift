// OpticalFlow.swift — dense optical flow between two frames: TV-L1 (Zach, Pock & Bischof 2007), coarse to fine with warping.
import Foundation

/// Per-pixel displacement of one frame into another: pixel (x, y) of the frame it was computed for is seen at
/// (x + u, y + v) in the other (pixel units, row-major `width × height`).
public struct FlowField: Sendable, Equatable {
    public let width: Int, height: Int
    public var u: [Float], v: [Float]

    /// A flow of zero everywhere.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, u: [Float](repeating: 0, count: width * height), v: [Float](repeating: 0, count: width * height))
    }

    public init(width: Int, height: Int, u: [Float], v: [Float]) {
        precondition(u.count == width * height && v.count == width * height, "a flow field has one u and one v per pixel")
        (self.width, self.height, self.u, self.v) = (width, height, u, v)
    }

    /// The mean length of the displacements, in pixels.
    public var meanMagnitude: Double {
        guard !u.isEmpty else { return 0 }
        return zip(u, v).reduce(0.0) { $0 + Double(($1.0 * $1.0 + $1.1 * $1.1).squareRoot()) } / Double(u.count)
    }
}

/// TV-L1 optical flow (the duality-based solver of Zach, Pock & Bischof, "A Duality Based Approach for Realtime TV-L1
/// Optical Flow", 2007, as described by Sánchez, Meinhardt-Llopis & Facciolo, IPOL 2013): an L1 brightness-constancy
/// term, which tolerates outliers, and a total-variation smoothness term, which keeps motion boundaries sharp,
/// solved on a pyramid from coarse to fine with repeated warping, so displacements of many pixels are found.
public struct TVL1Flow: Sendable {
    /// Time step of the dual variables (≤ 0.25 converges).
    public var tau: Float = 0.25
    /// Weight of the data term against smoothness, for intensities on a 0…255 scale.
    public var lambda: Float = 0.15
    /// Coupling between the two halves of the splitting.
    public var theta: Float = 0.3
    /// Warps per scale, and iterations per warp at most (fewer once the flow changes by less than `epsilon`).
    public var warps = 5, maxIterations = 150
    /// Stop a warp's iterations once the flow's mean squared change per pixel falls below `epsilon`².
    public var epsilon: Float = 0.01
    /// Each coarser scale is this factor of the next; scales stop before a side falls under `coarsestSide`.
    public var zoom: Float = 0.5, coarsestSide = 16, maxScales = 8
    /// Threads for the per-pixel loops (results do not depend on it).
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    /// The flow of `frame` into `other` (both the same size): `frame`(x) ≈ `other`(x + flow(x)), on their luma.
    public func flow(of frame: RGBImage, into other: RGBImage) throws -> FlowField {
        guard frame.width == other.width, frame.height == other.height else {
            throw GPUStyleError(.internal, "optical flow between frames of different sizes (\(frame.width)×\(frame.height), \(other.width)×\(other.height))")
        }
        guard frame.width >= 1, frame.height >= 1 else { return FlowField(width: frame.width, height: frame.height) }
        guard zoom > 0 && zoom < 1, warps >= 1, maxIterations >= 1 else {
            throw GPUStyleError(.internal, "TV-L1 settings out of range: zoom \(zoom) (0 < zoom < 1), \(warps) warps, \(maxIterations) iterations (≥ 1)")
        }
        let parallel = CPUParallel(threads: threads)
        // A light blur first (IPOL's pre-smoothing), then the pyramid, each level blurred against aliasing.
        var first = [FlowPlane.luma(frame).blurred(sigma: 0.8, parallel)]
        var second = [FlowPlane.luma(other).blurred(sigma: 0.8, parallel)]
        let sigma = 0.6 * (1 / (zoom * zoom) - 1).squareRoot()
        while first.count < maxScales {
            let last = first[first.count - 1]
            let (w, h) = (Int((Float(last.width) * zoom).rounded(.up)), Int((Float(last.height) * zoom).rounded(.up)))
            guard min(w, h) >= coarsestSide, w < last.width || h < last.height else { break }
            first.append(last.blurred(sigma: sigma, parallel).resampled(width: w, height: h))
            second.append(second[second.count - 1].blurred(sigma: sigma, parallel).resampled(width: w, height: h))
        }
        var flow = FlowField(width: first.last!.width, height: first.last!.height)
        for level in first.indices.reversed() {
            let (fixed, moving) = (first[level], second[level])
            if flow.width != fixed.width || flow.height != fixed.height { flow = Self.upsampled(flow, width: fixed.width, height: fixed.height) }
            refine(&flow, fixed: fixed, moving: moving, parallel)
        }
        return flow
    }

    /// `flow` resampled to `width × height`, its displacements scaled with the size.
    static func upsampled(_ flow: FlowField, width: Int, height: Int) -> FlowField {
        let (sx, sy) = (Float(width) / Float(flow.width), Float(height) / Float(flow.height))
        let u = FlowPlane(width: flow.width, height: flow.height, values: flow.u).resampled(width: width, height: height).values.map { $0 * sx }
        let v = FlowPlane(width: flow.width, height: flow.height, values: flow.v).resampled(width: width, height: height).values.map { $0 * sy }
        return FlowField(width: width, height: height, u: u, v: v)
    }

    /// The warps and iterations of one scale, starting from `flow` (the coarser scale's, upsampled).
    private func refine(_ flow: inout FlowField, fixed: FlowPlane, moving: FlowPlane, _ parallel: CPUParallel) {
        let (w, h) = (fixed.width, fixed.height), n = w * h
        let (gx, gy) = moving.centralGradients()
        let (uStore, vStore) = (FloatStore(flow.u), FloatStore(flow.v))
        // Dual variables of the two flow components (x and y parts), zero at the start of every scale.
        let (p11s, p12s, p21s, p22s) = (FloatStore(count: n), FloatStore(count: n), FloatStore(count: n), FloatStore(count: n))
        let (ixs, iys, rhos, gs) = (FloatStore(count: n), FloatStore(count: n), FloatStore(count: n), FloatStore(count: n))
        let (u, v, p11, p12, p21, p22) = (uStore.pointer, vStore.pointer, p11s.pointer, p12s.pointer, p21s.pointer, p22s.pointer)
        let (warpedX, warpedY, rhoConstant, gradSquared) = (ixs.pointer, iys.pointer, rhos.pointer, gs.pointer)
        let (lambdaTheta, tauOverTheta, theta) = (lambda * theta, tau / theta, self.theta)
        let rowGrain = max(1, 8192 / w)
        // The stores own the memory the loops write through their pointers: kept alive until the loops are done.
        withExtendedLifetime((p11s, p12s, p21s, p22s, ixs, iys, rhos, gs)) {
            for _ in 0..<warps {
                // Linearise the data term around the current flow: ρ(u) = I₁(x+u₀) + ∇I₁(x+u₀)·(u − u₀) − I₀(x).
                parallel.forRanges(h, grain: rowGrain) { _, rows in
                    for y in rows {
                        for x in 0..<w {
                            let i = y * w + x
                            let (px, py) = (Float(x) + u[i], Float(y) + v[i])
                            let (value, dx, dy) = (moving.sample(px, py), gx.sample(px, py), gy.sample(px, py))
                            warpedX[i] = dx
                            warpedY[i] = dy
                            gradSquared[i] = dx * dx + dy * dy
                            rhoConstant[i] = value - dx * u[i] - dy * v[i] - fixed.values[i]
                        }
                    }
                }
                for _ in 0..<maxIterations {
                    // The data step (a pointwise thresholding) and the primal step u = v + θ div p, in one pass.
                    let change = parallel.sum(h, grain: rowGrain) { rows in
                        var change = 0.0
                        for y in rows {
                            for x in 0..<w {
                                let i = y * w + x
                                let (u1, u2, ix, iy, g) = (u[i], v[i], warpedX[i], warpedY[i], gradSquared[i])
                                let rho = rhoConstant[i] + ix * u1 + iy * u2
                                var (d1, d2): (Float, Float) = (0, 0)
                                if rho < -lambdaTheta * g { (d1, d2) = (lambdaTheta * ix, lambdaTheta * iy) }
                                else if rho > lambdaTheta * g { (d1, d2) = (-lambdaTheta * ix, -lambdaTheta * iy) }
                                else if g > 1e-10 { (d1, d2) = (-rho * ix / g, -rho * iy / g) }
                                // div p: the negative adjoint of the forward differences below (zero past the last column and row).
                                var div1 = x < w - 1 ? p11[i] : 0, div2 = x < w - 1 ? p21[i] : 0
                                if x > 0 { div1 -= p11[i - 1]; div2 -= p21[i - 1] }
                                if y < h - 1 { div1 += p12[i]; div2 += p22[i] }
                                if y > 0 { div1 -= p12[i - w]; div2 -= p22[i - w] }
                                let (n1, n2) = (u1 + d1 + theta * div1, u2 + d2 + theta * div2)
                                change += Double((n1 - u1) * (n1 - u1) + (n2 - u2) * (n2 - u2))
                                u[i] = n1
                                v[i] = n2
                            }
                        }
                        return change
                    }
                    // The dual step: p = (p + τ/θ ∇u) / (1 + τ/θ |∇u|), per flow component.
                    parallel.forRanges(h, grain: rowGrain) { _, rows in
                        for y in rows {
                            for x in 0..<w {
                                let i = y * w + x
                                let (u1x, u2x) = x < w - 1 ? (u[i + 1] - u[i], v[i + 1] - v[i]) : (0, 0)
                                let (u1y, u2y) = y < h - 1 ? (u[i + w] - u[i], v[i + w] - v[i]) : (0, 0)
                                let n1 = 1 + tauOverTheta * (u1x * u1x + u1y * u1y).squareRoot()
                                let n2 = 1 + tauOverTheta * (u2x * u2x + u2y * u2y).squareRoot()
                                p11[i] = (p11[i] + tauOverTheta * u1x) / n1
                                p12[i] = (p12[i] + tauOverTheta * u1y) / n1
                                p21[i] = (p21[i] + tauOverTheta * u2x) / n2
                                p22[i] = (p22[i] + tauOverTheta * u2y) / n2
                            }
                        }
                    }
                    if change / Double(n) < Double(epsilon * epsilon) { break }
                }
            }
        }
        (flow.u, flow.v) = (uStore.array, vStore.array)
    }
}

/// Float storage that parallel loops write through a pointer (disjoint rows per thread); freed with the object.
final class FloatStore {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.update(from: base, count: values.count) } }
    }
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    deinit { pointer.deallocate() }
}

/// A single-channel image (row-major) on a 0…255 scale, as the flow computation sees a frame.
struct FlowPlane: Sendable {
    let width: Int, height: Int
    var values: [Float]

    /// The Rec. 601 luma of `image`, ×255.
    static func luma(_ image: RGBImage) -> FlowPlane {
        let n = image.width * image.height
        let values = (0..<n).map { p in 255 * (0.299 * image.pixels[p] + 0.587 * image.pixels[n + p] + 0.114 * image.pixels[2 * n + p]) }
        return FlowPlane(width: image.width, height: image.height, values: values)
    }

    /// The value at (x, y), bilinear, positions outside clamped to the edge.
    @inline(__always)
    func sample(_ x: Float, _ y: Float) -> Float {
        let cx = min(max(x, 0), Float(width - 1)), cy = min(max(y, 0), Float(height - 1))
        let (x0, y0) = (Int(cx), Int(cy))
        let (x1, y1) = (min(x0 + 1, width - 1), min(y0 + 1, height - 1))
        let (fx, fy) = (cx - Float(x0), cy - Float(y0))
        let top = values[y0 * width + x0] * (1 - fx) + values[y0 * width + x1] * fx
        let bottom = values[y1 * width + x0] * (1 - fx) + values[y1 * width + x1] * fx
        return top * (1 - fy) + bottom * fy
    }

    /// Central differences in x and y (one-sided halves at the edges).
    func centralGradients() -> (FlowPlane, FlowPlane) {
        var gx = [Float](repeating: 0, count: values.count), gy = gx
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                gx[i] = 0.5 * (values[y * width + min(x + 1, width - 1)] - values[y * width + max(x - 1, 0)])
                gy[i] = 0.5 * (values[min(y + 1, height - 1) * width + x] - values[max(y - 1, 0) * width + x])
            }
        }
        return (FlowPlane(width: width, height: height, values: gx), FlowPlane(width: width, height: height, values: gy))
    }

    /// A separable Gaussian blur of standard deviation `sigma` pixels (edges clamped).
    func blurred(sigma: Float, _ parallel: CPUParallel) -> FlowPlane {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        let raw = (-radius...radius).map { d in exp(-Float(d * d) / (2 * sigma * sigma)) }
        let total = raw.reduce(0, +)
        let taps = raw.map { $0 / total }
        let (acrossStore, outStore) = (FloatStore(count: values.count), FloatStore(count: values.count))
        let (across, out) = (acrossStore.pointer, outStore.pointer)
        let (w, h) = (width, height)
        parallel.forRanges(h, grain: max(1, 8192 / w)) { _, rows in
            for y in rows {
                for x in 0..<w {
                    var sum: Float = 0
                    for (k, t) in taps.enumerated() { sum += t * values[y * w + min(max(x + k - radius, 0), w - 1)] }
                    across[y * w + x] = sum
                }
            }
        }
        parallel.forRanges(h, grain: max(1, 8192 / w)) { _, rows in
            for y in rows {
                for x in 0..<w {
                    var sum: Float = 0
                    for (k, t) in taps.enumerated() { sum += t * across[min(max(y + k - radius, 0), h - 1) * w + x] }
                    out[y * w + x] = sum
                }
            }
        }
        withExtendedLifetime(acrossStore) {}
        return FlowPlane(width: w, height: h, values: outStore.array)
    }

    /// Bilinear resampling to `newWidth × newHeight`, pixel centres aligned.
    func resampled(width newWidth: Int, height newHeight: Int) -> FlowPlane {
        let (sx, sy) = (Float(width) / Float(newWidth), Float(height) / Float(newHeight))
        var out = [Float](repeating: 0, count: newWidth * newHeight)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                out[y * newWidth + x] = sample((Float(x) + 0.5) * sx - 0.5, (Float(y) + 0.5) * sy - 0.5)
            }
        }
        return FlowPlane(width: newWidth, height: newHeight, values: out)
    }
}
