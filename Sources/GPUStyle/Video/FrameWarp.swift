// FrameWarp.swift — a previous frame's result carried along the optical flow, and where that flow can be trusted.

extension RGBImage {
    /// This image seen through `flow` (computed for a frame of this size into this image's frame): pixel x takes the
    /// colour at x + flow(x), bicubic (Catmull-Rom: a painted stroke keeps more of its edge than bilinear would leave
    /// it), positions outside clamped to the edge, values to [0, 1].
    public func warped(by flow: FlowField) -> RGBImage {
        precondition(flow.width == width && flow.height == height, "a flow of \(flow.width)×\(flow.height) over a \(width)×\(height) image")
        let plane = width * height
        var out = [Float](repeating: 0, count: 3 * plane)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let (px, py) = (Float(x) + flow.u[i], Float(y) + flow.v[i])
                let (x0, y0) = (Int(px.rounded(.down)), Int(py.rounded(.down)))
                let (wx, wy) = (Self.catmullRom(px - Float(x0)), Self.catmullRom(py - Float(y0)))
                for c in 0..<3 {
                    var sum: Float = 0
                    for j in 0..<4 {
                        let row = c * plane + min(max(y0 - 1 + j, 0), height - 1) * width
                        var across: Float = 0
                        for k in 0..<4 { across += wx[k] * pixels[row + min(max(x0 - 1 + k, 0), width - 1)] }
                        sum += wy[j] * across
                    }
                    out[c * plane + i] = min(max(sum, 0), 1)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The four Catmull-Rom weights of the samples at −1, 0, 1, 2 for a position `t` ∈ [0, 1) past sample 0.
    static func catmullRom(_ t: Float) -> SIMD4<Float> {
        let (t2, t3) = (t * t, t * t * t)
        return SIMD4(0.5 * (-t3 + 2 * t2 - t), 0.5 * (3 * t3 - 5 * t2 + 2), 0.5 * (-3 * t3 + 4 * t2 + t), 0.5 * (t3 - t2))
    }
}

extension FlowField {
    /// Where this flow (of frame B into frame A) can be trusted, given `reverse` (of A into B), as Ruder, Dosovitskiy &
    /// Brox ("Artistic style transfer for videos", 2016) after Sundaram et al. 2010: 1 where following the flow and then
    /// the reverse flow comes back to the start, 0 at disocclusions (it does not come back, or leaves the frame) and at
    /// motion boundaries (where the flow changes fast). Row-major, one weight per pixel.
    public func consistencyWeights(reverse: FlowField) -> [Float] {
        precondition(reverse.width == width && reverse.height == height, "flows of different sizes")
        let reverseU = FlowPlane(width: width, height: height, values: reverse.u)
        let reverseV = FlowPlane(width: width, height: height, values: reverse.v)
        var weights = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let (u, v) = (self.u[i], self.v[i])
                let (tx, ty) = (Float(x) + u, Float(y) + v)
                guard tx >= 0, ty >= 0, tx <= Float(width - 1), ty <= Float(height - 1) else { continue }
                let (ru, rv) = (reverseU.sample(tx, ty), reverseV.sample(tx, ty))
                let (su, sv) = (u + ru, v + rv)
                let lengths = u * u + v * v + ru * ru + rv * rv
                if su * su + sv * sv > 0.01 * lengths + 0.5 { continue }  // disoccluded: the way back ends elsewhere
                let ux = x < width - 1 ? self.u[i + 1] - u : 0, vx = x < width - 1 ? self.v[i + 1] - v : 0
                let uy = y < height - 1 ? self.u[i + width] - u : 0, vy = y < height - 1 ? self.v[i + width] - v : 0
                if ux * ux + uy * uy + vx * vx + vy * vy > 0.01 * (u * u + v * v) + 0.002 { continue }  // a motion boundary
                weights[i] = 1
            }
        }
        return weights
    }
}
