// OpenCLBackend+Losses.swift — content, style and TV losses on OpenCL: two-stage reductions written into losses[slot] on the device.

extension OpenCLBackend {
    public func contentLoss(features: DeviceBuffer, target: DeviceBuffer, count: Int, lossWeight: Float,
                            gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let f = try cl(features), p = try cl(target), g = try cl(gradient), l = try cl(losses)
        try expect(count >= 0 && f.count >= count && p.count >= count && g.count >= count,
                   "contentLoss over \(count) elements of buffers of \(f.count), \(p.count), \(g.count)")
        try reduceToSlot("content_loss_partial", count: count, [
            .buffer(f.mem), .buffer(p.mem), .int(Int32(count)), .float(gradientWeight * 2 / Float(count)), .buffer(g.mem),
        ], scale: Float(Double(lossWeight) / Double(count)), losses: l, slot: slot)
    }

    public func weightedContentLoss(features: DeviceBuffer, target: DeviceBuffer, weights: DeviceBuffer, count: Int, lossWeight: Float,
                                    gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let f = try cl(features), p = try cl(target), w = try cl(weights), g = try cl(gradient), l = try cl(losses)
        try expect(count >= 0 && f.count >= count && p.count >= count && w.count >= count && g.count >= count,
                   "weightedContentLoss over \(count) elements of buffers of \(f.count), \(p.count), \(w.count), \(g.count)")
        try reduceToSlot("weighted_content_loss_partial", count: count, [
            .buffer(f.mem), .buffer(p.mem), .buffer(w.mem), .int(Int32(count)), .float(gradientWeight * 2 / Float(count)), .buffer(g.mem),
        ], scale: Float(Double(lossWeight) / Double(count)), losses: l, slot: slot)
    }

    public func styleLoss(gram: DeviceBuffer, target: DeviceBuffer, channels: Int, lossWeight: Float,
                          gradGram: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let g = try cl(gram), a = try cl(target), dg = try cl(gradGram), l = try cl(losses)
        let n = try elements(channels, channels, what: "styleLoss Gram")
        try expect(g.count >= n && a.count >= n && dg.count >= n, "styleLoss buffers too small for \(channels)×\(channels)")
        try reduceToSlot("style_loss_partial", count: n, [
            .buffer(g.mem), .buffer(a.mem), .int(Int32(n)), .float(gradientWeight * 2 / Float(n)), .buffer(dg.mem),
        ], scale: Float(Double(lossWeight) / Double(n)), losses: l, slot: slot)
    }

    public func tvLoss(image: DeviceBuffer, channels: Int, height: Int, width: Int, lossWeight: Float,
                       gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {
        let x = try cl(image), g = try cl(gradient), l = try cl(losses)
        let n = try elements(channels, height, width, what: "tvLoss image")
        try expect(x.count >= n && g.count >= n, "tvLoss buffers too small for \(channels)×\(height)×\(width)")
        try reduceToSlot("tv_loss_partial", count: n, [
            .buffer(x.mem), .int(Int32(channels)), .int(Int32(height)), .int(Int32(width)), .float(gradientWeight), .buffer(g.mem),
        ], scale: lossWeight, losses: l, slot: slot)
    }

    /// Work-groups of a reduction's first stage over `count` elements (each item sums at least four).
    func reductionGroups(_ count: Int) -> Int {
        min(maxReductionGroups, max(1, (count + 4 * reduceGroupSize - 1) / (4 * reduceGroupSize)))
    }

    /// Runs `kernel` (its arguments followed by the partials buffer) over `count` elements in grid-stride
    /// work-groups, then `reduce_to_slot`: losses[slot] = scale · Σ partials. No host round trip.
    /// losses[slot] = scale · Σ of `kernel`'s per-group partials (the kernel's last argument), in two launches, no wait.
    func reduceToSlot(_ kernel: String, in family: KernelFamily = .loss, count: Int, _ arguments: [KernelArgument], scale: Float,
                      losses: OpenCLBuffer, slot: Int) throws {
        try expect(slot >= 0 && slot < losses.count, "loss slot \(slot) outside a losses buffer of \(losses.count)")
        let groups = reductionGroups(count)
        let partials = try scratch("reduction partials", count: maxReductionGroups)
        try launch(kernel, in: family, items: [groups * reduceGroupSize], local: [reduceGroupSize], arguments + [.buffer(partials)])
        try launch("reduce_to_slot", in: .loss, items: [reduceGroupSize], local: [reduceGroupSize], [
            .buffer(partials), .int(Int32(count > 0 ? groups : 0)), .float(scale), .buffer(losses.mem), .int(Int32(slot)),
        ])
    }
}
