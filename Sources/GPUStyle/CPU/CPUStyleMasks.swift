// CPUStyleMasks.swift — the CPU backend's per-pixel weighting of a feature map (style masks).

extension CPUBackend {
    public func multiplyPixels(_ features: DeviceBuffer, by weights: DeviceBuffer, into output: DeviceBuffer, channels: Int, pixels: Int) throws {
        let f = try cpu(features), w = try cpu(weights), o = try cpu(output)
        try expect(f !== o && channels >= 0 && pixels >= 0 && f.count >= channels * pixels && o.count >= channels * pixels && w.count >= pixels,
                   "multiplyPixels of \(channels)×\(pixels) with buffers of \(f.count), \(w.count) and \(o.count)")
        let (x, m, y) = (f.pointer, w.pointer, o.pointer)
        parallel.forEach(channels) { c in
            let base = c * pixels
            for p in 0..<pixels { y[base + p] = x[base + p] * m[p] }
        }
    }
}
