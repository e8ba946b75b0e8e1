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

/// How the CPU backend computes its 3×3 convolutions.
public enum CPUConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Winograd F(4×4, 3×3) with 36 SGEMMs per band of tiles: the fast default.
    case winograd
    /// im2col + one SGEMM per band of rows: the plain reference.
    case im2col
}

/// A convolution's weights prepared for one algorithm. im2col: forward `outChannels × (inChannels·9)` and the
/// transposed, rotated set `inChannels × (outChannels·9)` for the input gradient. Winograd: both sets transformed.
final class CPUPreparedConv: PreparedConv, @unchecked Sendable {
    enum Kernels {
        case im2col(forward: [Float], transposedRotated: [Float])
        case winograd(forward: WinogradWeights, backward: WinogradWeights)
    }
    let kernels: Kernels
    let bias: [Float]
    let zeroBias: [Float]
    private let tracker: MemoryTracker

    /// Prepares OIHW `weights`; the prepared sets are counted by `tracker` while this object lives.
    init(weights: [Float], bias: [Float], inChannels: Int, outChannels: Int, algorithm: CPUConvolutionAlgorithm,
         parallel: CPUParallel, tracker: MemoryTracker) {
        var t = [Float](repeating: 0, count: weights.count)
        for k in 0..<outChannels {
            for c in 0..<inChannels {
                for tap in 0..<9 {
                    t[(c * outChannels + k) * 9 + (8 - tap)] = weights[(k * inChannels + c) * 9 + tap]
                }
            }
        }
        switch algorithm {
        case .im2col:
            kernels = .im2col(forward: weights, transposedRotated: t)
        case .winograd:
            kernels = .winograd(forward: WinogradWeights(weights: weights, inChannels: inChannels, outChannels: outChannels, parallel: parallel),
                                backward: WinogradWeights(weights: t, inChannels: outChannels, outChannels: inChannels, parallel: parallel))
        }
        self.bias = bias
        zeroBias = [Float](repeating: 0, count: inChannels)
        self.tracker = tracker
        super.init(inChannels: inChannels, outChannels: outChannels)
        tracker.allocated(byteCount)
    }

    deinit { tracker.released(byteCount) }

    /// Bytes held by the prepared weights.
    var byteCount: Int {
        switch kernels {
        case .im2col(let f, let t): return (f.count + t.count) * MemoryLayout<Float>.stride
        case .winograd(let f, let b): return f.byteCount + b.byteCount
        }
    }
}

/// One growing block of scratch floats, reused by every op of a backend (ops run one at a time).
final class CPUScratch: @unchecked Sendable {
    private(set) var pointer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var capacity = 1
    private let tracker: MemoryTracker

    init(tracker: MemoryTracker) {
        self.tracker = tracker
        tracker.allocated(MemoryLayout<Float>.stride)
    }

    /// At least `count` floats, contents undefined.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            tracker.released(capacity * MemoryLayout<Float>.stride)
            pointer = .allocate(capacity: count)
            capacity = count
            tracker.allocated(count * MemoryLayout<Float>.stride)
        }
        return pointer
    }

    deinit {
        pointer.deallocate()
        tracker.released(capacity * MemoryLayout<Float>.stride)
    }
}
