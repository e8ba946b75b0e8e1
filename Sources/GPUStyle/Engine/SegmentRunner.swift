// SegmentRunner.swift — runs a run of network steps forward and back on one image or band, storing what the backward pass needs.

/// Runs steps `range` of a network on inputs of any height, with buffers from a `BufferPool`.
///
/// Storage policy: with `keepAll`, every step's FP32 output stays until the backward pass has used it (the
/// reference, and what the banded front does within a band). Otherwise (compact) only loss layers and the last
/// output stay in FP32; a ReLU's output is reduced to a 1-bit mask and a max pool records 2-bit argmax codes,
/// and every other activation is released as soon as the next step has read it.
final class SegmentRunner {
    let steps: [NetworkStep]
    let range: Range<Int>
    let keepAll: Bool
    let lossSteps: Set<Int>
    let pooling: PoolingMode
    private let ops: Backend
    private let pool: BufferPool
    private var shapes: [Int: (input: FeatureShape, output: FeatureShape)] = [:]
    private var input: DeviceBuffer?
    private var outputs: [Int: DeviceBuffer] = [:], masks: [Int: DeviceBuffer] = [:], argmaxes: [Int: DeviceBuffer] = [:]

    init(steps: [NetworkStep], range: Range<Int>, keepAll: Bool, lossSteps: Set<Int>, pooling: PoolingMode,
         ops: Backend, pool: BufferPool) {
        self.steps = steps
        self.range = range
        self.keepAll = keepAll
        self.lossSteps = lossSteps
        self.pooling = pooling
        self.ops = ops
        self.pool = pool
    }

    /// Runs the steps on `input` (shaped as the first step's input). `visit(step, features, shape)` sees every loss
    /// step's output right after it is computed. Returns the last output, held until `backward` or `releaseAll`.
    @discardableResult
    func forward(_ input: DeviceBuffer, shape: FeatureShape, visit: (Int, DeviceBuffer, FeatureShape) throws -> Void) throws -> DeviceBuffer {
        releaseAll()
        self.input = input
        let shapeList = try stepShapes(steps[range], input: shape)
        var current = input
        for (offset, index) in range.enumerated() {
            let step = steps[index]
            let (inShape, outShape) = shapeList[offset]
            shapes[index] = (inShape, outShape)
            let output = try pool.acquire(outShape.count)
            switch step.op {
            case .conv(let conv, let fused):
                try ops.conv3x3(input: current, conv: conv, output: output, height: inShape.height, width: inShape.width, relu: fused)
            case .relu:
                try ops.relu(input: current, output: output, count: outShape.count)
            case .pool where !keepAll && pooling == .max:
                let argmax = try pool.acquire(PackedSizes.argmax(codes: outShape.count))
                try ops.maxPool2x2RecordingArgmax(input: current, output: output, argmax: argmax, channels: inShape.channels,
                                                  height: inShape.height, width: inShape.width)
                argmaxes[index] = argmax
            case .pool:
                try ops.pool2x2(input: current, output: output, channels: inShape.channels, height: inShape.height,
                                width: inShape.width, mode: pooling)
            }
            let keep = keepAll || lossSteps.contains(index) || index == range.upperBound - 1
            if step.appliesReLU && !keep {
                let mask = try pool.acquire(PackedSizes.mask(bits: outShape.count))
                try ops.packPositiveMask(values: output, mask: mask, count: outShape.count)
                masks[index] = mask
            }
            if lossSteps.contains(index) { try visit(index, output, outShape) }
            if !keepAll && current !== input && outputs[index - 1] == nil { pool.release(current) }
            if keep { outputs[index] = output }
            current = output
        }
        return current
    }

    /// Back-propagates `gradient` (at the last step's output; it is consumed) to the segment's input, written into
    /// `gradInput`. `inject(step, features, shape, gradient)` must add the loss gradients at a loss step's output.
    func backward(gradient: DeviceBuffer, into gradInput: DeviceBuffer,
                  inject: (Int, DeviceBuffer, FeatureShape, DeviceBuffer) throws -> Void) throws {
        var g = gradient
        for index in range.reversed() {
            let step = steps[index]
            guard let (inShape, outShape) = shapes[index] else {
                throw GPUStyleError(.internal, "SegmentRunner.backward without a forward pass")
            }
            if lossSteps.contains(index), let features = outputs[index] { try inject(index, features, outShape, g) }
            // The step's ReLU: from its kept output or its mask; a convolution's own goes into its input gradient.
            let mask = step.appliesReLU ? masks.removeValue(forKey: index) : nil
            let gate = step.appliesReLU ? (outputs[index].map(ReLUGate.output) ?? mask.map(ReLUGate.mask)) : nil
            if let gate, !step.isConv { try ops.applyReLUGate(gate, to: g, count: outShape.count) }
            let target = index == range.lowerBound ? gradInput : nil
            switch step.op {
            case .conv(let conv, _):
                let destination = try target ?? pool.acquire(inShape.count)
                try ops.conv3x3InputGradient(gradOutput: g, conv: conv, gradInput: destination,
                                             height: inShape.height, width: inShape.width, gate: gate)
                pool.release(g)
                g = destination
            case .relu:
                guard index > range.lowerBound else { throw GPUStyleError(.internal, "a segment cannot start with a ReLU") }
            case .pool:
                let destination = try target ?? pool.acquire(inShape.count)
                if let argmax = argmaxes.removeValue(forKey: index) {
                    try ops.maxPool2x2Backward(gradOutput: g, argmax: argmax, gradInput: destination, channels: inShape.channels,
                                               height: inShape.height, width: inShape.width)
                    pool.release(argmax)
                } else {
                    // Average pooling reads no input; max pooling with every activation kept reads the previous output.
                    let poolInput = index == range.lowerBound ? input! : (outputs[index - 1] ?? destination)
                    try ops.pool2x2Backward(gradOutput: g, input: poolInput, gradInput: destination, channels: inShape.channels,
                                            height: inShape.height, width: inShape.width, mode: pooling)
                }
                pool.release(g)
                g = destination
            }
            if let output = outputs.removeValue(forKey: index) { pool.release(output) }
            if let mask { pool.release(mask) }
        }
        input = nil
    }

    /// Returns everything a forward pass holds (when no backward follows).
    func releaseAll() {
        for buffer in Array(outputs.values) + Array(masks.values) + Array(argmaxes.values) { pool.release(buffer) }
        outputs.removeAll()
        masks.removeAll()
        argmaxes.removeAll()
        input = nil
    }
}
