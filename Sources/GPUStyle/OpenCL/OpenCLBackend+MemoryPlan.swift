// OpenCLBackend+MemoryPlan.swift — the memory-plan ops on OpenCL: packed ReLU masks, max-pool argmax, row copies, style-mask weights, limits.

extension OpenCLBackend {
    /// `CL_DEVICE_GLOBAL_MEM_SIZE`, the largest buffer both the device and the kernels' 32-bit indexing allow, and
    /// the part of the Winograd scratch budget not yet allocated (what is allocated counts in `memory` already).
    public var memoryLimits: MemoryLimits {
        MemoryLimits(totalBytes: device.globalMemoryBytes, maxBufferBytes: min(maxAllocationBytes, 4 * Self.maxElements),
                     viewAlignmentBytes: device.baseAddressAlignmentBytes,
                     workspaceBytes: convTuning.algorithm == .winograd
                         ? max(0, winogradScratchBytes - scratchBytes(Self.winogradScratchPurpose)) : 0)
    }

    public func makeView(of buffer: DeviceBuffer, offset: Int, count: Int) throws -> DeviceBuffer {
        let b = try cl(buffer)
        try expect(b.mem.parent == nil && offset >= 0 && count >= 0 && offset + count <= b.count
                   && (4 * offset) % device.baseAddressAlignmentBytes == 0,
                   "view of \(count) floats at \(offset) in a buffer of \(b.count) (alignment \(device.baseAddressAlignmentBytes) bytes)")
        return OpenCLBuffer(mem: try CLMem(subBufferOf: b.mem, offset: 4 * offset, bytes: 4 * count), count: count)
    }

    public func packPositiveMask(values: DeviceBuffer, mask: DeviceBuffer, count: Int) throws {
        let v = try cl(values), m = try cl(mask)
        try expect(count >= 0 && v.count >= count && m.count >= PackedSizes.mask(bits: count),
                   "packPositiveMask of \(count) values into buffers of \(v.count) and \(m.count)")
        _ = try elements(count, what: "packPositiveMask values")
        try launch("pack_positive_mask", in: .elementwise, items: [PackedSizes.mask(bits: count)], local: [elementGroupSize],
                   [.buffer(v.mem), .buffer(m.mem), .int(Int32(count))])
    }

    public func applyPositiveMask(gradient: DeviceBuffer, mask: DeviceBuffer, count: Int) throws {
        let g = try cl(gradient), m = try cl(mask)
        try expect(count >= 0 && g.count >= count && m.count >= PackedSizes.mask(bits: count),
                   "applyPositiveMask over \(count) elements of buffers of \(g.count) and \(m.count)")
        _ = try elements(count, what: "applyPositiveMask gradient")
        try launch("apply_positive_mask", in: .elementwise, items: [count], local: [elementGroupSize],
                   [.buffer(g.mem), .buffer(m.mem), .int(Int32(count))])
    }

    public func maxPool2x2RecordingArgmax(input: DeviceBuffer, output: DeviceBuffer, argmax: DeviceBuffer,
                                          channels: Int, height: Int, width: Int) throws {
        let x = try cl(input), y = try cl(output), a = try cl(argmax)
        let (_, outCount) = try argmaxPoolCounts(full: x, pooled: y, argmax: a, channels: channels, height: height, width: width,
                                                 what: "maxPool2x2RecordingArgmax")
        try launch("max_pool2x2_argmax", in: .pool, items: [PackedSizes.argmax(codes: outCount)], local: [elementGroupSize], [
            .buffer(x.mem), .buffer(y.mem), .buffer(a.mem), .int(Int32(channels)), .int(Int32(height)), .int(Int32(width)),
        ])
    }

    public func maxPool2x2Backward(gradOutput: DeviceBuffer, argmax: DeviceBuffer, gradInput: DeviceBuffer,
                                   channels: Int, height: Int, width: Int) throws {
        let dy = try cl(gradOutput), a = try cl(argmax), dx = try cl(gradInput)
        let (inCount, _) = try argmaxPoolCounts(full: dx, pooled: dy, argmax: a, channels: channels, height: height, width: width,
                                                what: "maxPool2x2Backward")
        try launch("max_pool2x2_backward_argmax", in: .pool, items: [inCount], local: [elementGroupSize], [
            .buffer(dy.mem), .buffer(a.mem), .buffer(dx.mem), .int(Int32(channels)), .int(Int32(height)), .int(Int32(width)),
        ])
    }

    public func copyRows(from source: DeviceBuffer, sourceHeight: Int, sourceRow: Int, to destination: DeviceBuffer,
                         destinationHeight: Int, destinationRow: Int, rows: Int, channels: Int, width: Int) throws {
        let s = try cl(source), d = try cl(destination)
        try expect(s.mem !== d.mem && rows >= 0 && channels >= 0 && width >= 0 && sourceRow >= 0 && destinationRow >= 0
                   && sourceRow + rows <= sourceHeight && destinationRow + rows <= destinationHeight
                   && s.count >= channels * sourceHeight * width && d.count >= channels * destinationHeight * width,
                   "copyRows of rows \(sourceRow)..<\(sourceRow + rows) (of \(sourceHeight)) to row \(destinationRow) (of \(destinationHeight)), \(channels)×\(width), buffers of \(s.count) and \(d.count)")
        let count = try elements(channels, rows, width, what: "copyRows region")
        _ = try elements(channels, max(sourceHeight, destinationHeight), width, what: "copyRows maps")
        try launch("copy_rows", in: .elementwise, items: [count], local: [elementGroupSize], [
            .buffer(s.mem), .int(Int32(sourceHeight)), .int(Int32(sourceRow)), .buffer(d.mem), .int(Int32(destinationHeight)),
            .int(Int32(destinationRow)), .int(Int32(rows)), .int(Int32(width)), .int(Int32(count)),
        ])
    }

    public func multiplyPixels(_ features: DeviceBuffer, by weights: DeviceBuffer, into output: DeviceBuffer, channels: Int, pixels: Int) throws {
        let f = try cl(features), w = try cl(weights), o = try cl(output)
        let count = try elements(channels, pixels, what: "multiplyPixels")
        try expect(f.mem !== o.mem && f.count >= count && o.count >= count && w.count >= pixels,
                   "multiplyPixels of \(channels)×\(pixels) with buffers of \(f.count), \(w.count) and \(o.count)")
        guard count > 0 else { return }
        try launch("multiply_pixels", in: .elementwise, items: [count], local: [elementGroupSize],
                   [.buffer(f.mem), .buffer(w.mem), .buffer(o.mem), .int(Int32(pixels)), .int(Int32(count))])
    }

    /// Element counts of a pool's input and output, after checking the buffers (input-sized, output-sized, argmax) hold them.
    private func argmaxPoolCounts(full: OpenCLBuffer, pooled: OpenCLBuffer, argmax: OpenCLBuffer, channels: Int, height: Int,
                                  width: Int, what: String) throws -> (Int, Int) {
        let inCount = try elements(channels, height, width, what: "\(what) input")
        let outCount = try elements(channels, height / 2, width / 2, what: "\(what) output")
        try expect(full.count >= inCount && pooled.count >= outCount && argmax.count >= PackedSizes.argmax(codes: outCount),
                   "\(what) buffers too small for \(channels)×\(height)×\(width)")
        return (inCount, outCount)
    }
}
