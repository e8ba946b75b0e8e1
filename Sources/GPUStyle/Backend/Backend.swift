// Backend.swift — the one seam between the algorithm and the hardware: buffers plus one method per op.

/// Float32 storage owned by a backend. Feature maps are CHW (one image, NCHW with N = 1).
/// Each backend subclasses this; passing a buffer to another backend is a programming error.
public class DeviceBuffer: @unchecked Sendable {
    /// Number of Float32 elements.
    public let count: Int
    init(count: Int) { self.count = count }
}

/// A 3×3 convolution's frozen weights after the backend has prepared them (transposed, transformed, uploaded).
public class PreparedConv: @unchecked Sendable {
    public let inChannels: Int
    public let outChannels: Int
    init(inChannels: Int, outChannels: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
    }
}

/// `rows` vectors of `length` Float32 each, stored so that many dot products or one long linear
/// combination over them run as a single launch (the L-BFGS history lives here).
public class VectorBank: @unchecked Sendable {
    public let rows: Int
    public let length: Int
    init(rows: Int, length: Int) {
        self.rows = rows
        self.length = length
    }
    /// Row `index` as a buffer of `length` elements that every vector op accepts (it aliases the bank).
    public func row(_ index: Int) -> DeviceBuffer { fatalError("VectorBank.row must be overridden") }
}

/// 2×2, stride-2 pooling. Odd sizes round down: the output is ⌊H/2⌋ × ⌊W/2⌋, the last row or column of an
/// odd-sized input is dropped in the forward pass and receives zero gradient.
public enum PoolingMode: String, Sendable, CaseIterable {
    /// Maximum of each 2×2 window; ties go to the first in scan order (top-left, top-right, bottom-left, bottom-right).
    case max
    /// Mean of each 2×2 window.
    case avg
}

/// A layer's ReLU seen from its backward pass: which elements of the gradient at its output pass (those where the
/// forward output was positive).
public enum ReLUGate {
    /// The layer's post-ReLU output, kept in FP32 (what `reluBackward` reads).
    case output(DeviceBuffer)
    /// The 1-bit mask `packPositiveMask` made of it (what `applyPositiveMask` reads).
    case mask(DeviceBuffer)
}

/// Bytes allocated through a backend now and at most since the last reset.
public struct MemoryStats: Sendable, Equatable {
    public var currentBytes: Int = 0
    public var peakBytes: Int = 0
}

/// What a backend's device can hold: all of its memory, and the largest single buffer.
public struct MemoryLimits: Sendable, Equatable {
    /// Device memory in bytes (`CL_DEVICE_GLOBAL_MEM_SIZE`; physical RAM for the CPU backend).
    public var totalBytes: Int
    /// The largest single buffer in bytes (`CL_DEVICE_MAX_MEM_ALLOC_SIZE`, capped by the kernels' 32-bit indexing).
    public var maxBufferBytes: Int
    /// Offsets of `makeView` must be multiples of this many bytes (`CL_DEVICE_MEM_BASE_ADDR_ALIGN`).
    public var viewAlignmentBytes: Int
    /// Scratch the backend's convolutions may hold beyond the buffers the engine allocates (the planner sets it aside).
    public var workspaceBytes: Int

    public init(totalBytes: Int, maxBufferBytes: Int, viewAlignmentBytes: Int = 64, workspaceBytes: Int = 0) {
        self.totalBytes = totalBytes
        self.maxBufferBytes = maxBufferBytes
        self.viewAlignmentBytes = viewAlignmentBytes
        self.workspaceBytes = workspaceBytes
    }
}

/// The operations style transfer needs, in FP32. Every method is asynchronous with respect to the host
/// except those that return values to the host (`download`, `dot`, `sumAbs(_:)`, `bankDots`) and `finish`.
///
/// Buffers may be longer than an op needs: ops with explicit sizes touch only that prefix.
/// Loss methods overwrite `losses[slot]` with the weighted loss and **add** `gradientWeight · ∂loss/∂input`
/// (the gradient of the *unweighted* loss) into `gradient`, so the caller decides how gradients are scaled.
public protocol Backend: AnyObject {
    /// "cpu" or "opencl".
    var kind: String { get }
    /// The device in words, e.g. "NVIDIA H100 80GB HBM3 (NVIDIA CUDA, driver 580.65)".
    var deviceName: String { get }
    /// Device memory allocated through this backend (buffers, banks and prepared weights).
    var memory: MemoryStats { get }
    /// Restarts the peak-memory high-water mark at the current allocation.
    func resetPeakMemory()
    /// How much the device holds (the memory plan sizes everything to fit).
    var memoryLimits: MemoryLimits { get }

    // MARK: Buffers
    /// A zero-filled buffer of `count` Float32 elements.
    func makeBuffer(count: Int) throws -> DeviceBuffer
    /// Copies `values` (exactly `buffer.count` of them) into `buffer`.
    func upload(_ values: [Float], to buffer: DeviceBuffer) throws
    /// Reads the whole buffer back to the host (waits for queued work).
    func download(_ buffer: DeviceBuffer) throws -> [Float]
    /// Sets every element to `value`.
    func fill(_ buffer: DeviceBuffer, value: Float) throws
    /// Copies `source` into `destination` (same count).
    func copy(_ source: DeviceBuffer, to destination: DeviceBuffer) throws
    /// Waits until all queued work has finished and reports any asynchronous failure.
    func finish() throws

    // MARK: Network ops
    /// Prepares OIHW weights (`outChannels × inChannels × 3 × 3`) and a bias of `outChannels`.
    func prepareConv(weights: [Float], bias: [Float], inChannels: Int, outChannels: Int) throws -> PreparedConv
    /// output[k] = bias[k] + Σ_c W[k][c] ⋆ input[c], zero padding 1 ("same"); ReLU applied when `relu`.
    func conv3x3(input: DeviceBuffer, conv: PreparedConv, output: DeviceBuffer, height: Int, width: Int, relu: Bool) throws
    /// gradInput = ∂(Σ gradOutput·conv(input))/∂input, i.e. the convolution of gradOutput with the
    /// transposed, 180°-rotated weights. Overwrites gradInput. The bias plays no part. With a `gate`, gradOutput is
    /// first gated by the layer's ReLU (as `reluBackward` or `applyPositiveMask` would), fused where the backend can;
    /// gradOutput may then be left gated or not.
    func conv3x3InputGradient(gradOutput: DeviceBuffer, conv: PreparedConv, gradInput: DeviceBuffer, height: Int, width: Int,
                              gate: ReLUGate?) throws
    /// output = max(input, 0) over `count` elements (may alias).
    func relu(input: DeviceBuffer, output: DeviceBuffer, count: Int) throws
    /// gradient[i] = 0 wherever output[i] ≤ 0 (output is the ReLU's forward result), in place.
    func reluBackward(gradient: DeviceBuffer, output: DeviceBuffer, count: Int) throws
    /// 2×2 stride-2 pooling of `channels × height × width` into `channels × ⌊height/2⌋ × ⌊width/2⌋`.
    func pool2x2(input: DeviceBuffer, output: DeviceBuffer, channels: Int, height: Int, width: Int, mode: PoolingMode) throws
    /// Gradient of `pool2x2` with respect to its input (the forward input is given); overwrites gradInput.
    func pool2x2Backward(gradOutput: DeviceBuffer, input: DeviceBuffer, gradInput: DeviceBuffer,
                         channels: Int, height: Int, width: Int, mode: PoolingMode) throws
    /// gram (channels × channels) = F Fᵀ / (channels · pixels), F = features viewed as channels × pixels.
    func gram(features: DeviceBuffer, gram: DeviceBuffer, channels: Int, pixels: Int) throws
    /// gradFeatures += (gradGram + gradGramᵀ) · F / (channels · pixels): the chain rule through `gram`.
    func gramBackward(gradGram: DeviceBuffer, features: DeviceBuffer, gradFeatures: DeviceBuffer, channels: Int, pixels: Int) throws

    // MARK: Losses (neural-style's formulas)
    /// loss = mean((F − P)²) over `count`; losses[slot] = lossWeight·loss; gradient += gradientWeight · 2(F − P)/count.
    func contentLoss(features: DeviceBuffer, target: DeviceBuffer, count: Int, lossWeight: Float,
                     gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws
    /// loss = mean((G − A)²) over the C² entries; losses[slot] = lossWeight·loss;
    /// gradGram = gradientWeight · 2(G − A)/C² (overwritten).
    func styleLoss(gram: DeviceBuffer, target: DeviceBuffer, channels: Int, lossWeight: Float,
                   gradGram: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws
    /// loss = mean(w·(F − P)²) over `count`; losses[slot] = lossWeight·loss; gradient += gradientWeight · 2w(F − P)/count:
    /// `contentLoss` with a weight per element (the temporal loss of Ruder et al.: `weights` 0 where the flow is not trusted).
    func weightedContentLoss(features: DeviceBuffer, target: DeviceBuffer, weights: DeviceBuffer, count: Int, lossWeight: Float,
                             gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws
    /// loss = ½ Σ_{c, i<H−1, j<W−1} [(x[i,j] − x[i,j+1])² + (x[i,j] − x[i+1,j])²] (neural-style's TV);
    /// losses[slot] = lossWeight·loss; gradient += gradientWeight · ∂loss/∂x.
    func tvLoss(image: DeviceBuffer, channels: Int, height: Int, width: Int, lossWeight: Float,
                gradient: DeviceBuffer, gradientWeight: Float, losses: DeviceBuffer, slot: Int) throws

    // MARK: Vector ops for the optimisers
    /// y[i] += alpha·x[i] for i < x.count (y may be longer).
    func axpy(alpha: Float, x: DeviceBuffer, y: DeviceBuffer) throws
    /// x *= alpha.
    func scale(_ x: DeviceBuffer, by alpha: Float) throws
    /// Σ a·b, accumulated in at least FP32 pairwise precision, returned in Double (waits).
    func dot(_ a: DeviceBuffer, _ b: DeviceBuffer) throws -> Double
    /// Σ |x| (the L1 norm; waits).
    func sumAbs(_ x: DeviceBuffer) throws -> Double
    /// losses[slot] = Σ |x| in FP32, without waiting: a finiteness check read back with the losses.
    func sumAbs(_ x: DeviceBuffer, losses: DeviceBuffer, slot: Int) throws
    /// One Adam step as torch7's optim.adam (neural-style): m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
    /// x −= stepSize · m / (√v + ε), where the caller folds the bias corrections into stepSize.
    func adamStep(x: DeviceBuffer, gradient: DeviceBuffer, m: DeviceBuffer, v: DeviceBuffer,
                  stepSize: Float, beta1: Float, beta2: Float, epsilon: Float) throws
    /// A bank of `rows` zero-filled vectors of `length` elements.
    func makeVectorBank(rows: Int, length: Int) throws -> VectorBank
    /// result[i][r] = row(rows[i]) · row(r) for every r in the bank, with one wait.
    func bankDots(_ bank: VectorBank, rows: [Int]) throws -> [[Double]]
    /// output = Σ_r coefficients[r] · row(r) (coefficients.count == bank.rows). `output` may be a row of
    /// the bank, in which case its own coefficient is applied to its old value. Rows with coefficient 0 (the own
    /// row too) are never read, so whatever a fresh row holds (NaN included) cannot leak into the output.
    func bankCombine(_ bank: VectorBank, coefficients: [Float], into output: DeviceBuffer) throws

    // MARK: Memory-plan ops (packed masks, pooling argmax, row bands)
    // Packed buffers hold 32-bit words in Float32-sized elements: a mask of n bits takes ⌈n/32⌉ elements,
    // n 2-bit argmax codes take ⌈n/16⌉. Their contents are only meaningful to these ops.

    /// Bit i%32 of word i/32 of `mask` = (values[i] > 0) for i < count (NaN gives 0, as `reluBackward` treats it).
    func packPositiveMask(values: DeviceBuffer, mask: DeviceBuffer, count: Int) throws
    /// gradient[i] = 0 wherever bit i of `mask` is clear, in place: `reluBackward` from a packed mask.
    func applyPositiveMask(gradient: DeviceBuffer, mask: DeviceBuffer, count: Int) throws
    /// `pool2x2(mode: .max)` that also records each window's argmax (0…3 in scan order, ties to the first, as
    /// `pool2x2Backward` chooses it) as 2 bits: output o's code is bits 2·(o%16)… of word o/16 of `argmax`.
    func maxPool2x2RecordingArgmax(input: DeviceBuffer, output: DeviceBuffer, argmax: DeviceBuffer,
                                   channels: Int, height: Int, width: Int) throws
    /// Gradient of max pooling from the recorded argmax; overwrites gradInput (`channels × height × width`,
    /// zero outside the chosen taps and in a dropped odd row or column).
    func maxPool2x2Backward(gradOutput: DeviceBuffer, argmax: DeviceBuffer, gradInput: DeviceBuffer,
                            channels: Int, height: Int, width: Int) throws
    /// `count` elements of `buffer` from element `offset` on, as a buffer of their own that aliases them (it keeps
    /// `buffer` alive; `buffer` must not itself be a view or a bank row; 4·offset a multiple of `viewAlignmentBytes`).
    func makeView(of buffer: DeviceBuffer, offset: Int, count: Int) throws -> DeviceBuffer
    /// Copies rows `sourceRow ..< sourceRow + rows` of every channel of a `channels × sourceHeight × width` map
    /// into rows `destinationRow…` of a `channels × destinationHeight × width` map (the buffers must differ).
    func copyRows(from source: DeviceBuffer, sourceHeight: Int, sourceRow: Int, to destination: DeviceBuffer,
                  destinationHeight: Int, destinationRow: Int, rows: Int, channels: Int, width: Int) throws

    // MARK: Style masks

    /// output[c·pixels + p] = features[c·pixels + p] · weights[p] for every channel c < `channels` (a mask applied to
    /// every channel of a map; `output` must not be `features`).
    func multiplyPixels(_ features: DeviceBuffer, by weights: DeviceBuffer, into output: DeviceBuffer, channels: Int, pixels: Int) throws
}

/// Sizes of the packed buffers of the memory-plan ops.
enum PackedSizes {
    /// Elements a packed mask of `bits` bits takes.
    static func mask(bits: Int) -> Int { (bits + 31) / 32 }
    /// Elements `codes` 2-bit argmax codes take.
    static func argmax(codes: Int) -> Int { (codes + 15) / 16 }
}

extension Backend {
    /// `conv3x3InputGradient` without a ReLU gate.
    public func conv3x3InputGradient(gradOutput: DeviceBuffer, conv: PreparedConv, gradInput: DeviceBuffer, height: Int, width: Int) throws {
        try conv3x3InputGradient(gradOutput: gradOutput, conv: conv, gradInput: gradInput, height: height, width: width, gate: nil)
    }

    /// Zeroes `gradient` (`count` elements) where `gate` is closed, in place: `reluBackward` or `applyPositiveMask`.
    func applyReLUGate(_ gate: ReLUGate, to gradient: DeviceBuffer, count: Int) throws {
        switch gate {
        case .output(let output): try reluBackward(gradient: gradient, output: output, count: count)
        case .mask(let mask): try applyPositiveMask(gradient: gradient, mask: mask, count: count)
        }
    }
}
