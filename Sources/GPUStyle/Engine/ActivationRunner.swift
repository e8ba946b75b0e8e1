// ActivationRunner.swift — the network forward and back for one image size, following the memory plan's activation layout.

/// How an evaluation stores activations: the memory plan's main choice.
public enum ActivationLayout: Sendable, Equatable, CustomStringConvertible {
    /// Every activation in FP32 until the backward pass used it (the reference; most memory).
    case keepAll
    /// FP32 only at loss layers; elsewhere 1-bit ReLU masks and 2-bit max-pool argmax.
    case compact
    /// Compact from the second pool on; the layers before it (the full-resolution front, where most memory goes)
    /// run in horizontal bands of `rows` image rows with halos: once forward for the Gram matrices, and again,
    /// recomputed band by band, for the gradient.
    case banded(rows: Int)

    public var description: String {
        switch self {
        case .keepAll: return "every activation kept"
        case .compact: return "compact activations"
        case .banded(let rows): return "compact activations, front in bands of \(rows) rows"
        }
    }
}

/// A loss layer's activation as the objective sees it: the whole map, or one band of it.
struct LayerSlice {
    let names: [String]
    let features: DeviceBuffer
    /// Shape of `features`: the band's (or the whole map's).
    let shape: FeatureShape
    let fullShape: FeatureShape
    /// Row of the whole map that `features` starts at.
    let firstRow: Int
    /// Rows of `features` this band counts in the losses (all of them for the whole map).
    let ownedRows: Range<Int>
    /// The band's index (0 for the whole map).
    let band: Int
    /// Whether this is the whole map and owns all of it (a band's halo may cover the whole map too, but it owns only its rows).
    var isWhole: Bool { shape == fullShape && ownedRows == 0..<fullShape.height }
    var ownedCount: Int { shape.channels * ownedRows.count * shape.width }
}

/// Runs the network on `3 × height × width` images: `forward` shows the loss layers to the objective,
/// `backward` collects their gradients into the image gradient. Buffers come from a pool planned at init.
final class ActivationRunner {
    let height: Int, width: Int
    let layout: ActivationLayout
    let steps: [NetworkStep]
    /// Steps `0 ..< frontCount` run in `bands` (keep-all within a band); the rest run compact on the whole image.
    let frontCount: Int
    let bands: [Band]
    /// Whether `backward` recomputes the front bands once more before the gradient pass (normalised gradients of
    /// loss layers in a banded front).
    let revisitsFront: Bool
    let pool: BufferPool
    private let ops: Backend
    private let fullShapes: [(input: FeatureShape, output: FeatureShape)]
    private let front: SegmentRunner?, back: SegmentRunner?
    private var lastInput: DeviceBuffer?

    /// - Parameters:
    ///   - lossLayers: layer names the objective reads (their steps keep FP32 outputs).
    ///   - ops: where to run (default: the network's backend); the pool's plan is recorded on a `PlanningBackend` first.
    init(network: PreparedNetwork, height: Int, width: Int, lossLayers: Set<String>, layout: ActivationLayout,
         revisitsFront: Bool = false, ops: Backend? = nil, recording: Bool = false) throws {
        let ops = ops ?? network.backend
        self.height = height
        self.width = width
        self.layout = layout
        self.ops = ops
        let steps = network.steps(exposed: lossLayers)
        self.steps = steps
        fullShapes = try stepShapes(steps[...], input: FeatureShape(channels: 3, height: height, width: width))
        let lossSteps = Set(steps.indices.filter { !lossLayers.isDisjoint(with: steps[$0].names) })
        switch layout {
        case .keepAll:
            (frontCount, bands) = (steps.count, [])
        case .compact:
            (frontCount, bands) = (0, [])
        case .banded(let rows):
            let pools = steps.indices.filter { steps[$0].isPool }
            let end = pools.count >= 2 ? pools[1] + 1 : steps.count
            let split = BandLayout.bands(steps: steps[..<end], height: height, rowsPerBand: rows)
            (frontCount, bands) = split.count > 1 ? (end, split) : (0, [])
        }
        // Only loss layers in the front need the extra pass.
        let frontEnd = frontCount
        self.revisitsFront = revisitsFront && !bands.isEmpty && lossSteps.contains { $0 < frontEnd }
        if recording {
            pool = BufferPool(recordingOn: ops)
        } else {
            let twin = try ActivationRunner(network: network, height: height, width: width, lossLayers: lossLayers, layout: layout,
                                            revisitsFront: revisitsFront, ops: PlanningBackend(limits: ops.memoryLimits), recording: true)
            try twin.recordCycle()
            pool = try BufferPool(backend: ops, trace: twin.pool.trace)
        }
        let pooling = network.poolingMode
        front = frontCount == 0 ? nil : SegmentRunner(steps: steps, range: 0..<frontCount, keepAll: true, lossSteps: lossSteps,
                                                      pooling: pooling, ops: ops, pool: pool)
        back = frontCount == steps.count ? nil : SegmentRunner(steps: steps, range: frontCount..<steps.count, keepAll: false,
                                                               lossSteps: lossSteps, pooling: pooling, ops: ops, pool: pool)
    }

    /// One forward and backward pass with no losses, to record the pool's requests.
    private func recordCycle() throws {
        let x = try ops.makeBuffer(count: 3 * height * width), gradient = try ops.makeBuffer(count: 3 * height * width)
        try forward(x) { _ in }
        try backward(into: gradient, revisit: { _ in }, inject: { _, _ in })
    }

    /// Runs the network on `x` (preprocessed, `3 × height × width`); `visit` sees each loss layer once per band
    /// (once in all without bands). `x` must not change before `backward`.
    func forward(_ x: DeviceBuffer, visit: (LayerSlice) throws -> Void) throws {
        pool.beginCycle()
        lastInput = x
        var backInput = x
        if let front {
            if bands.isEmpty {
                backInput = try front.forward(x, shape: fullShapes[0].input) { try visit(whole($0, $1, $2)) }
            } else {
                // The back segment reads the front's whole output, assembled from the bands' owned rows.
                let output = back == nil ? nil : try pool.acquire(fullShapes[frontCount - 1].output.count)
                try runFrontBands(x) { band, last, lastShape in
                    guard let output else { return }
                    let owned = ownedRows(band, step: frontCount - 1)
                    try ops.copyRows(from: last, sourceHeight: lastShape.height, sourceRow: owned.lowerBound, to: output,
                                     destinationHeight: fullShapes[frontCount - 1].output.height,
                                     destinationRow: levelFirstRow(band, step: frontCount - 1) + owned.lowerBound,
                                     rows: owned.count, channels: lastShape.channels, width: lastShape.width)
                } visit: { try visit($0) }
                backInput = output ?? x
            }
        }
        if let back {
            try back.forward(backInput, shape: fullShapes[frontCount].input) { try visit(whole($0, $1, $2)) }
            if backInput !== x { pool.release(backInput) }
        }
    }

    /// Writes the gradient of the losses with respect to the last forward's input into `gradient`. For banded
    /// fronts with `revisitsFront`, `revisit` first sees every front loss layer once more (band by band) before any
    /// front gradient is injected. `inject(slice, gradient)` adds a loss layer's gradient over the whole slice.
    func backward(into gradient: DeviceBuffer, revisit: (LayerSlice) throws -> Void,
                  inject: (LayerSlice, DeviceBuffer) throws -> Void) throws {
        guard let x = lastInput else { throw GPUStyleError(.internal, "ActivationRunner.backward before forward") }
        let wholeInject: (Int, DeviceBuffer, FeatureShape, DeviceBuffer) throws -> Void = { try inject(self.whole($0, $1, $2), $3) }
        guard let front else {
            let g = try zeroGradient(count: fullShapes.last!.output.count)
            return try back!.backward(gradient: g, into: gradient, inject: wholeInject)
        }
        let frontShape = fullShapes[frontCount - 1].output
        let frontGradient = try pool.acquire(frontShape.count)
        if let back {
            try back.backward(gradient: try zeroGradient(count: fullShapes.last!.output.count), into: frontGradient, inject: wholeInject)
        } else {
            try ops.fill(frontGradient, value: 0)
        }
        if bands.isEmpty { return try front.backward(gradient: frontGradient, into: gradient, inject: wholeInject) }
        if revisitsFront { try runFrontBands(x, each: { _, _, _ in }, visit: revisit) }
        for band in bands {
            let rows = band.computed.count
            let bandInput = try bandInput(band, from: x)
            try front.forward(bandInput, shape: FeatureShape(channels: 3, height: rows, width: width)) { _, _, _ in }
            let lastShape = bandShape(band, step: frontCount - 1)
            let g = try pool.acquire(lastShape.count)
            try ops.copyRows(from: frontGradient, sourceHeight: frontShape.height, sourceRow: levelFirstRow(band, step: frontCount - 1),
                             to: g, destinationHeight: lastShape.height, destinationRow: 0, rows: lastShape.height,
                             channels: lastShape.channels, width: lastShape.width)
            let bandGradient = try pool.acquire(3 * rows * width)
            try front.backward(gradient: g, into: bandGradient) { try inject(self.slice($0, $1, $2, band), $3) }
            try ops.copyRows(from: bandGradient, sourceHeight: rows, sourceRow: band.owned.lowerBound - band.computed.lowerBound,
                             to: gradient, destinationHeight: height, destinationRow: band.owned.lowerBound,
                             rows: band.owned.count, channels: 3, width: width)
            pool.release(bandGradient)
            pool.release(bandInput)
        }
        pool.release(frontGradient)
    }

    /// Runs the front on every band: `visit` sees its loss layers, then `each(band, lastOutput, lastShape)`.
    private func runFrontBands(_ x: DeviceBuffer, each: (Band, DeviceBuffer, FeatureShape) throws -> Void,
                               visit: (LayerSlice) throws -> Void) throws {
        for band in bands {
            let input = try bandInput(band, from: x)
            let last = try front!.forward(input, shape: FeatureShape(channels: 3, height: band.computed.count, width: width)) {
                try visit(self.slice($0, $1, $2, band))
            }
            try each(band, last, bandShape(band, step: frontCount - 1))
            front!.releaseAll()
            pool.release(input)
        }
    }

    private func bandInput(_ band: Band, from x: DeviceBuffer) throws -> DeviceBuffer {
        let rows = band.computed.count
        let input = try pool.acquire(3 * rows * width)
        try ops.copyRows(from: x, sourceHeight: height, sourceRow: band.computed.lowerBound, to: input, destinationHeight: rows,
                         destinationRow: 0, rows: rows, channels: 3, width: width)
        return input
    }

    private func zeroGradient(count: Int) throws -> DeviceBuffer {
        let g = try pool.acquire(count)
        try ops.fill(g, value: 0)
        return g
    }

    // MARK: Slices

    private func whole(_ step: Int, _ features: DeviceBuffer, _ shape: FeatureShape) -> LayerSlice {
        LayerSlice(names: steps[step].names, features: features, shape: shape, fullShape: fullShapes[step].output,
                   firstRow: 0, ownedRows: 0..<shape.height, band: 0)
    }

    private func slice(_ step: Int, _ features: DeviceBuffer, _ shape: FeatureShape, _ band: Band) -> LayerSlice {
        LayerSlice(names: steps[step].names, features: features, shape: shape, fullShape: fullShapes[step].output,
                   firstRow: levelFirstRow(band, step: step), ownedRows: ownedRows(band, step: step), band: band.index)
    }

    /// Pools up to and including `step`.
    private func level(_ step: Int) -> Int { steps[...step].filter(\.isPool).count }

    /// The row of step `step`'s whole output where the band's output starts (bands start at aligned rows).
    private func levelFirstRow(_ band: Band, step: Int) -> Int { band.computed.lowerBound >> level(step) }

    /// The band's owned rows of step `step`'s output, relative to the band's first row there.
    private func ownedRows(_ band: Band, step: Int) -> Range<Int> {
        let l = level(step)
        let upper = band.owned.upperBound == height ? fullShapes[step].output.height : band.owned.upperBound >> l
        let first = levelFirstRow(band, step: step)
        return ((band.owned.lowerBound >> l) - first)..<(upper - first)
    }

    /// Shape of step `step`'s output within a band.
    private func bandShape(_ band: Band, step: Int) -> FeatureShape {
        var rows = band.computed.count
        for s in steps[...step] where s.isPool { rows /= 2 }
        return FeatureShape(channels: steps[step].outChannels, height: rows, width: fullShapes[step].output.width)
    }
}
