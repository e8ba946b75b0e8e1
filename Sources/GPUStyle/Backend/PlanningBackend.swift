// PlanningBackend.swift — a backend that allocates nothing and computes nothing, only counts bytes: the memory planner's simulator.

/// Runs the engine's real code paths with every op a no-op, so the allocations a rendering would make (and their
/// peak) are known in microseconds, before any device memory is touched. Downloads and reductions return zeros.
/// Prepared weights count nothing: the real backend already holds them.
final class PlanningBackend: Backend {
    let kind = "planning"
    let deviceName = "memory planner"
    let memoryLimits: MemoryLimits
    private let tracker = MemoryTracker()

    init(limits: MemoryLimits) { memoryLimits = limits }

    var memory: MemoryStats { tracker.current }
    func resetPeakMemory() { tracker.resetPeak() }

    func makeBuffer(count: Int) throws -> DeviceBuffer {
        guard count >= 0 else { throw GPUStyleError(.internal, "negative buffer size \(count)") }
        guard 4 * count <= memoryLimits.maxBufferBytes else {
            throw TooLarge(bytes: 4 * count)
        }
        return PlanningBuffer(count: count, tracker: tracker)
    }

    /// Thrown where a single buffer would exceed the device's largest allocation (the planner then tries a leaner plan).
    struct TooLarge: Error { let bytes: Int }

    func upload(_ values: [Float], to buffer: DeviceBuffer) throws {}
    func download(_ buffer: DeviceBuffer) throws -> [Float] { [Float](repeating: 0, count: buffer.count) }
    func fill(_ buffer: DeviceBuffer, value: Float) throws {}
    func copy(_ source: DeviceBuffer, to destination: DeviceBuffer) throws {}
    func finish() throws {}

    func prepareConv(weights: [Float], bias: [Float], inChannels: Int, outChannels: Int) throws -> PreparedConv {
        PreparedConv(inChannels: inChannels, outChannels: outChannels)
    }
    func conv3x3(input: DeviceBuffer, conv: PreparedConv, output: DeviceBuffer, height: Int, width: Int, relu: Bool) throws {}
    func conv3x3InputGradient(gradOutput: DeviceBuffer, conv: PreparedConv, gradInput: DeviceBuffer, height: Int, width: Int,
                              gate: ReLUGate?) throws {}
    func relu(input: DeviceBuffer, output: DeviceBuffer, count: Int) throws {}
    func reluBackward(gradient: DeviceBuffer, output: DeviceBuffer, count: Int) throws {}
    func pool2x2(input: DeviceBuffer, output: DeviceBuffer, channels: Int, height: Int, width: Int, mode: PoolingMode) throws {}
    func pool2x2Backward(gradOutput: DeviceBuffer, input: DeviceBuffer, gradInput: DeviceBuffer,
                         channels: Int, height: Int, width: Int, mode: PoolingMode) throws {}
    func gram(features: DeviceBuffer, gram: DeviceBuffer, channels: Int, pixels: Int) throws {}
    func gramBackward(gradGram: DeviceBuffer, features: DeviceBuffer, gradFeatures: DeviceBuffer, channels: Int, pixels: Int) throws {}

    func contentLoss(features: DeviceBuffer, target: DeviceBuffer, count: Int, lossWeight: Float,
                     gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {}
    func weightedContentLoss(features: DeviceBuffer, target: DeviceBuffer, weights: DeviceBuffer, count: Int, lossWeight: Float,
                             gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {}
    func styleLoss(gram: DeviceBuffer, target: DeviceBuffer, channels: Int, lossWeight: Float,
                   gradGram: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {}
    func tvLoss(image: DeviceBuffer, channels: Int, height: Int, width: Int, lossWeight: Float,
                gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws {}

    func axpy(alpha: Float, x: DeviceBuffer, y: DeviceBuffer) throws {}
    func scale(_ x: DeviceBuffer, by alpha: Float) throws {}
    func dot(_ a: DeviceBuffer, _ b: DeviceBuffer) throws -> Double { 0 }
    func sumAbs(_ x: DeviceBuffer) throws -> Double { 0 }
    func sumAbs(_ x: DeviceBuffer, losses: DeviceBuffer, slot: Int) throws {}
    func adamStep(x: DeviceBuffer, gradient: DeviceBuffer, m: DeviceBuffer, v: DeviceBuffer,
                  stepSize: Float, beta1: Float, beta2: Float, epsilon: Float) throws {}
    func makeVectorBank(rows: Int, length: Int) throws -> VectorBank {
        guard 4 * length <= memoryLimits.maxBufferBytes else { throw TooLarge(bytes: 4 * length) }
        return PlanningVectorBank(rows: rows, length: length, tracker: tracker)
    }
    func bankDots(_ bank: VectorBank, rows: [Int]) throws -> [[Double]] {
        rows.map { _ in [Double](repeating: 0, count: bank.rows) }
    }
    func bankCombine(_ bank: VectorBank, coefficients: [Float], into output: DeviceBuffer) throws {}

    func packPositiveMask(values: DeviceBuffer, mask: DeviceBuffer, count: Int) throws {}
    func applyPositiveMask(gradient: DeviceBuffer, mask: DeviceBuffer, count: Int) throws {}
    func maxPool2x2RecordingArgmax(input: DeviceBuffer, output: DeviceBuffer, argmax: DeviceBuffer,
                                   channels: Int, height: Int, width: Int) throws {}
    func maxPool2x2Backward(gradOutput: DeviceBuffer, argmax: DeviceBuffer, gradInput: DeviceBuffer,
                            channels: Int, height: Int, width: Int) throws {}
    func makeView(of buffer: DeviceBuffer, offset: Int, count: Int) throws -> DeviceBuffer {
        PlanningBuffer(count: count, tracker: nil)
    }
    func copyRows(from source: DeviceBuffer, sourceHeight: Int, sourceRow: Int, to destination: DeviceBuffer,
                  destinationHeight: Int, destinationRow: Int, rows: Int, channels: Int, width: Int) throws {}
    func multiplyPixels(_ features: DeviceBuffer, by weights: DeviceBuffer, into output: DeviceBuffer, channels: Int, pixels: Int) throws {}
}

/// A counted allocation without storage.
private final class PlanningBuffer: DeviceBuffer, @unchecked Sendable {
    private let tracker: MemoryTracker?
    init(count: Int, tracker: MemoryTracker?) {
        self.tracker = tracker
        tracker?.allocated(4 * count)
        super.init(count: count)
    }
    deinit { tracker?.released(4 * count) }
}

/// A bank counted as `rows × length` floats (rows are uncounted views).
private final class PlanningVectorBank: VectorBank, @unchecked Sendable {
    private let views: [DeviceBuffer]
    private let tracker: MemoryTracker
    init(rows: Int, length: Int, tracker: MemoryTracker) {
        views = (0..<rows).map { _ in PlanningBuffer(count: length, tracker: nil) }
        self.tracker = tracker
        tracker.allocated(4 * rows * length)
        super.init(rows: rows, length: length)
    }
    deinit { tracker.released(4 * rows * length) }
    override func row(_ index: Int) -> DeviceBuffer { views[index] }
}
