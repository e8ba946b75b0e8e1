// CPUBuffer.swift — host-memory buffers, banks and prepared convolutions of the CPU backend.

/// A buffer in host memory; owns its storage unless it is a row of a bank.
class CPUBuffer: DeviceBuffer, @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    private let tracker: MemoryTracker?

    /// Allocates `count` zeroed floats, counted by `tracker`.
    init(count: Int, tracker: MemoryTracker) {
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.tracker = tracker
        tracker.allocated(count * MemoryLayout<Float>.stride)
        super.init(count: count)
    }

    /// A view of storage owned by someone else (a bank row).
    init(view pointer: UnsafeMutablePointer<Float>, count: Int) {
        self.pointer = pointer
        self.tracker = nil
        super.init(count: count)
    }

    deinit {
        if let tracker {
            pointer.deallocate()
            tracker.released(count * MemoryLayout<Float>.stride)
        }
    }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

/// Bank rows stored back to back in one allocation.
final class CPUVectorBank: VectorBank, @unchecked Sendable {
    let storage: CPUBuffer
    private let views: [CPUBuffer]

    init(rows: Int, length: Int, tracker: MemoryTracker) {
        storage = CPUBuffer(count: rows * length, tracker: tracker)
        let base = storage.pointer
        views = (0..<rows).map { CPUBuffer(view: base + $0 * length, count: length) }
        super.init(rows: rows, length: length)
    }

    override func row(_ index: Int) -> DeviceBuffer { views[index] }
    func rowPointer(_ index: Int) -> UnsafeMutablePointer<Float> { views[index].pointer }
}

/// Weights as GEMM operands: forward `outChannels × (inChannels·9)` and the transposed, rotated set
/// `inChannels × (outChannels·9)` for the input gradient.
final class CPUPreparedConv: PreparedConv, @unchecked Sendable {
    let forward: [Float]
    let transposedRotated: [Float]
    let bias: [Float]
    let zeroBias: [Float]

    init(weights: [Float], bias: [Float], inChannels: Int, outChannels: Int) {
        forward = weights
        var t = [Float](repeating: 0, count: weights.count)
        for k in 0..<outChannels {
            for c in 0..<inChannels {
                for tap in 0..<9 {
                    t[(c * outChannels + k) * 9 + (8 - tap)] = weights[(k * inChannels + c) * 9 + tap]
                }
            }
        }
        transposedRotated = t
        self.bias = bias
        zeroBias = [Float](repeating: 0, count: inChannels)
        super.init(inChannels: inChannels, outChannels: outChannels)
    }
}
