// CPUMemoryPlanOps.swift — the CPU backend's memory-plan ops: packed ReLU masks, max-pool argmax, row copies, limits.
import Foundation

extension CPUBackend {
    /// Physical RAM (or the cgroup's memory limit when lower); buffers are bounded only by that. Workspace: one band
    /// of Winograd scratch.
    public var memoryLimits: MemoryLimits {
        var total = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
            total = min(total, limit)
        }
        return MemoryLimits(totalBytes: total, maxBufferBytes: total,
                            workspaceBytes: convolution == .winograd ? 4 * (WinogradConvolution.bandBudget + 16) : 0)
    }

    public func makeView(of buffer: DeviceBuffer, offset: Int, count: Int) throws -> DeviceBuffer {
        let b = try cpu(buffer)
        try expect(offset >= 0 && count >= 0 && offset + count <= b.count, "view of \(count) at \(offset) in a buffer of \(b.count)")
        return CPUBufferView(parent: b, offset: offset, count: count)
    }

    public func packPositiveMask(values: DeviceBuffer, mask: DeviceBuffer, count: Int) throws {
        let (x, words) = try maskOperands(values, mask, count: count, what: "packPositiveMask")
        parallel.forRanges(PackedSizes.mask(bits: count), grain: 1 << 11) { _, range in
            for word in range {
                var bits: UInt32 = 0
                let base = word * 32
                for bit in 0..<min(32, count - base) where x[base + bit] > 0 { bits |= 1 << UInt32(bit) }
                words[word] = bits
            }
        }
    }

    public func applyPositiveMask(gradient: DeviceBuffer, mask: DeviceBuffer, count: Int) throws {
        let (y, words) = try maskOperands(gradient, mask, count: count, what: "applyPositiveMask")
        parallel.forRanges(PackedSizes.mask(bits: count), grain: 1 << 11) { _, range in
            for word in range {
                let bits = words[word], base = word * 32, n = min(32, count - base)
                if bits == .max && n == 32 { continue }
                if bits == 0 { (y + base).update(repeating: 0, count: n); continue }
                for bit in 0..<n where bits & (1 << UInt32(bit)) == 0 { y[base + bit] = 0 }
            }
        }
    }

    public func maxPool2x2RecordingArgmax(input: DeviceBuffer, output: DeviceBuffer, argmax: DeviceBuffer,
                                          channels: Int, height: Int, width: Int) throws {
        let x = try cpu(input), a = try cpu(argmax)
        let outputs = try checkArgmaxPool(full: x, pooled: try cpu(output), argmax: a, channels: channels, height: height, width: width,
                                          what: "maxPool2x2RecordingArgmax")
        try pool2x2(input: input, output: output, channels: channels, height: height, width: width, mode: .max)
        let words = UnsafeMutableRawPointer(a.pointer).assumingMemoryBound(to: UInt32.self)
        let offsets = (0, 1, width, width + 1)
        forEachWindow(outputs: outputs, height: height, width: width) { o, base in
            let p = x.pointer + base
            var best = 0, bestValue = p[offsets.0]
            if p[offsets.1] > bestValue { best = 1; bestValue = p[offsets.1] }
            if p[offsets.2] > bestValue { best = 2; bestValue = p[offsets.2] }
            if p[offsets.3] > bestValue { best = 3 }
            if o & 15 == 0 { words[o >> 4] = 0 }
            words[o >> 4] |= UInt32(best) << UInt32(2 * (o & 15))
        }
    }

    public func maxPool2x2Backward(gradOutput: DeviceBuffer, argmax: DeviceBuffer, gradInput: DeviceBuffer,
                                   channels: Int, height: Int, width: Int) throws {
        let dy = try cpu(gradOutput), a = try cpu(argmax), dx = try cpu(gradInput)
        let outputs = try checkArgmaxPool(full: dx, pooled: dy, argmax: a, channels: channels, height: height, width: width,
                                          what: "maxPool2x2Backward")
        let zeroed = dx.pointer
        parallel.forRanges(channels * height * width) { _, range in (zeroed + range.lowerBound).update(repeating: 0, count: range.count) }
        let words = UnsafeMutableRawPointer(a.pointer).assumingMemoryBound(to: UInt32.self)
        forEachWindow(outputs: outputs, height: height, width: width) { o, base in
            let best = Int((words[o >> 4] >> UInt32(2 * (o & 15))) & 3)
            dx.pointer[base + (best >> 1) * width + (best & 1)] = dy.pointer[o]
        }
    }

    public func copyRows(from source: DeviceBuffer, sourceHeight: Int, sourceRow: Int, to destination: DeviceBuffer,
                         destinationHeight: Int, destinationRow: Int, rows: Int, channels: Int, width: Int) throws {
        let s = try cpu(source), d = try cpu(destination)
        try expect(s !== d && rows >= 0 && sourceRow >= 0 && destinationRow >= 0
                   && sourceRow + rows <= sourceHeight && destinationRow + rows <= destinationHeight
                   && s.count >= channels * sourceHeight * width && d.count >= channels * destinationHeight * width,
                   "copyRows of rows \(sourceRow)..<\(sourceRow + rows) (of \(sourceHeight)) to row \(destinationRow) (of \(destinationHeight)), \(channels)×\(width), buffers of \(s.count) and \(d.count)")
        parallel.forEach(channels) { c in
            (d.pointer + (c * destinationHeight + destinationRow) * width)
                .update(from: s.pointer + (c * sourceHeight + sourceRow) * width, count: rows * width)
        }
    }

    /// The floats and the mask words of a mask op, after checking the buffers hold `count` floats and their bits.
    private func maskOperands(_ floats: DeviceBuffer, _ mask: DeviceBuffer, count: Int, what: String) throws
        -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<UInt32>) {
        let f = try cpu(floats), m = try cpu(mask)
        try expect(count >= 0 && f.count >= count && m.count >= PackedSizes.mask(bits: count),
                   "\(what) over \(count) elements of buffers of \(f.count) and \(m.count)")
        return (f.pointer, UnsafeMutableRawPointer(m.pointer).assumingMemoryBound(to: UInt32.self))
    }

    /// The pool's output count, after checking the buffers (input-sized, output-sized, argmax) hold what they must.
    private func checkArgmaxPool(full: CPUBuffer, pooled: CPUBuffer, argmax: CPUBuffer, channels: Int, height: Int, width: Int,
                                 what: String) throws -> Int {
        let outputs = channels * (height / 2) * (width / 2)
        try expect(full.count >= channels * height * width && pooled.count >= outputs && argmax.count >= PackedSizes.argmax(codes: outputs),
                   "\(what) buffers too small for \(channels)×\(height)×\(width)")
        return outputs
    }

    /// Calls `body(outputIndex, base)` for every 2×2 window of the `outputs` outputs, in parallel over whole 16-output
    /// argmax words (so no two threads share a word); `base` is the input index of the window's top-left tap, and
    /// code k (0…3, scan order) names the tap at base + (k / 2)·width + k % 2.
    private func forEachWindow(outputs: Int, height: Int, width: Int, _ body: (Int, Int) -> Void) {
        let oh = height / 2, ow = width / 2
        parallel.forRanges(PackedSizes.argmax(codes: outputs), grain: 1 << 10) { _, words in
            var o = words.lowerBound * 16
            var j = o % ow, i = (o / ow) % oh, c = o / (ow * oh)
            while o < min(outputs, words.upperBound * 16) {
                body(o, (c * height + 2 * i) * width + 2 * j)
                o += 1
                j += 1
                if j == ow { j = 0; i += 1; if i == oh { i = 0; c += 1 } }
            }
        }
    }
}

/// A view that keeps its parent buffer alive.
final class CPUBufferView: CPUBuffer, @unchecked Sendable {
    let parent: CPUBuffer
    init(parent: CPUBuffer, offset: Int, count: Int) {
        self.parent = parent
        super.init(view: parent.pointer + offset, count: count)
    }
}
