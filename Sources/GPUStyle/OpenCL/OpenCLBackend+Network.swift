// OpenCLBackend+Network.swift — the network ops on OpenCL: convolution both ways, ReLU, pooling, Gram and its gradient.
import COpenCL

extension OpenCLBackend {
    // MARK: Convolution

    public func prepareConv(weights: [Float], bias: [Float], inChannels: Int, outChannels: Int) throws -> PreparedConv {
        let count = try elements(outChannels, inChannels, 9, what: "conv weights \(outChannels)×\(inChannels)×3×3")
        try expect(weights.count == count && bias.count == outChannels,
                   "conv weights \(weights.count) / bias \(bias.count) do not match \(outChannels)×\(inChannels)×3×3")
        func upload(transposedRotated: Bool) throws -> OpenCLConvWeights {
            let (kernelIn, kernelOut) = transposedRotated ? (outChannels, inChannels) : (inChannels, outChannels)
            let winograd = convTuning.usesWinograd(inChannels: kernelIn, outChannels: kernelOut)
            let what = (winograd ? "Winograd " : "") + (transposedRotated ? "transposed conv weights" : "conv weights")
            let narrow = !winograd && convTuning.usesNarrowOutput(outChannels: kernelOut)
            let direct = narrow ? convTuning.narrowOutput : convTuning
            let (inPad, outPad) = winograd ? convTuning.winogradPaddedCounts(inChannels: kernelIn, outChannels: kernelOut)
                                           : direct.paddedCounts(inChannels: kernelIn, outChannels: kernelOut)
            _ = try elements(inPad, winograd ? 36 : 9, outPad, what: "padded \(what) \(kernelOut)×\(kernelIn)×3×3")
            let values = winograd
                ? convTuning.arrangeWinograd(weights: weights, inChannels: inChannels, outChannels: outChannels, transposedRotated: transposedRotated)
                : direct.arrange(weights: weights, inChannels: inChannels, outChannels: outChannels, transposedRotated: transposedRotated).values
            let mem = try allocate(count: values.count, what: what)
            try write(values, to: mem)
            return OpenCLConvWeights(mem: mem, inPad: inPad, outPad: outPad, winograd: winograd, narrow: narrow)
        }
        let forward = try upload(transposedRotated: false), backward = try upload(transposedRotated: true)
        let biasMem = try allocate(count: outChannels, what: "conv bias")
        try write(bias, to: biasMem)
        return OpenCLPreparedConv(inChannels: inChannels, outChannels: outChannels, forward: forward, backward: backward,
                                  bias: biasMem, tuning: convTuning)
    }

    public func conv3x3(input: DeviceBuffer, conv: PreparedConv, output: DeviceBuffer, height: Int, width: Int, relu: Bool) throws {
        let c = try clConv(conv), x = try cl(input), y = try cl(output)
        let inCount = try elements(c.inChannels, height, width, what: "conv3x3 input")
        let outCount = try elements(c.outChannels, height, width, what: "conv3x3 output")
        try expect(x.count >= inCount && y.count >= outCount,
                   "conv3x3 buffers too small for \(c.inChannels)→\(c.outChannels) × \(height)×\(width)")
        try runConv(input: x.mem, inChannels: c.inChannels, weights: c.forward, bias: c.bias, outChannels: c.outChannels,
                    flags: relu ? 3 : 1, output: y.mem, height: height, width: width,
                    shape: ConvShape(gradient: false, inChannels: c.inChannels, outChannels: c.outChannels, width: width, height: height))
    }

    /// A gate is fused into the Winograd input transform on GPUs (gradOutput stays as it was); otherwise gradOutput is
    /// gated in place first.
    public func conv3x3InputGradient(gradOutput: DeviceBuffer, conv: PreparedConv, gradInput: DeviceBuffer, height: Int, width: Int,
                                     gate: ReLUGate?) throws {
        let c = try clConv(conv), dy = try cl(gradOutput), dx = try cl(gradInput)
        let outCount = try elements(c.outChannels, height, width, what: "conv3x3InputGradient gradOutput")
        let inCount = try elements(c.inChannels, height, width, what: "conv3x3InputGradient gradInput")
        try expect(dy.count >= outCount && dx.count >= inCount, "conv3x3InputGradient buffers too small")
        var fused: WinogradGate?
        switch gate {
        case nil: break
        case let gate? where !c.backward.winograd || !fusesReLUGates: try applyReLUGate(gate, to: gradOutput, count: outCount)
        case .output(let output)?:
            let y = try cl(output)
            try expect(y.count >= outCount, "conv3x3InputGradient: the ReLU output gate holds \(y.count) of \(outCount) values")
            fused = WinogradGate(mem: y.mem, kind: 1)
        case .mask(let mask)?:
            let m = try cl(mask)
            try expect(m.count >= PackedSizes.mask(bits: outCount), "conv3x3InputGradient: the ReLU mask holds \(m.count) words for \(outCount) bits")
            fused = WinogradGate(mem: m.mem, kind: 2)
        }
        try runConv(input: dy.mem, inChannels: c.outChannels, weights: c.backward, bias: c.bias, outChannels: c.inChannels,
                    flags: 0, output: dx.mem, height: height, width: width,
                    shape: ConvShape(gradient: true, inChannels: c.inChannels, outChannels: c.outChannels, width: width, height: height),
                    gate: fused)
    }

    /// `shape` labels the launches in kernel profiles; `gate` (Winograd only) gates the input by a ReLU.
    private func runConv(input: CLMem, inChannels: Int, weights: OpenCLConvWeights, bias: CLMem, outChannels: Int,
                         flags: Int32, output: CLMem, height: Int, width: Int, shape: ConvShape, gate: WinogradGate? = nil) throws {
        if weights.winograd {
            return try runWinograd(input: input, inChannels: inChannels, weights: weights, bias: bias, outChannels: outChannels,
                                   flags: flags, output: output, height: height, width: width, shape: shape, gate: gate)
        }
        try expect(gate == nil, "a ReLU gate for the direct convolution kernel")
        let t = weights.narrow ? convTuning.narrowOutput : convTuning, outPad = weights.outPad
        let tilesX = (width + t.tileWidth - 1) / t.tileWidth, tilesY = (height + t.tileHeight - 1) / t.tileHeight
        let groups = try elements(tilesX, tilesY, t.threads, what: "conv3x3 launch")
        try launch("conv3x3", in: weights.narrow ? .convNarrow : .conv, items: [groups, outPad / t.tileOutChannels], local: [t.threads, 1], [
            .buffer(input), .int(Int32(inChannels)), .int(Int32(height)), .int(Int32(width)),
            .buffer(weights.mem), .int(Int32(outPad)), .buffer(bias), .int(Int32(outChannels)), .int(flags),
            .buffer(output), .int(Int32(tilesX)),
        ], shape: shape)
    }

    // MARK: ReLU

    public func relu(input: DeviceBuffer, output: DeviceBuffer, count: Int) throws {
        let x = try cl(input), y = try cl(output)
        try expect(count >= 0 && x.count >= count && y.count >= count, "relu over \(count) elements of buffers of \(x.count) and \(y.count)")
        try launch("relu_forward", in: .elementwise, items: [count], local: [elementGroupSize],
                   [.buffer(x.mem), .buffer(y.mem), .int(Int32(count))])
    }

    public func reluBackward(gradient: DeviceBuffer, output: DeviceBuffer, count: Int) throws {
        let g = try cl(gradient), y = try cl(output)
        try expect(count >= 0 && g.count >= count && y.count >= count, "reluBackward over \(count) elements of buffers of \(g.count) and \(y.count)")
        try launch("relu_backward", in: .elementwise, items: [count], local: [elementGroupSize],
                   [.buffer(g.mem), .buffer(y.mem), .int(Int32(count))])
    }

    // MARK: Pooling

    public func pool2x2(input: DeviceBuffer, output: DeviceBuffer, channels: Int, height: Int, width: Int, mode: PoolingMode) throws {
        let x = try cl(input), y = try cl(output)
        let inCount = try elements(channels, height, width, what: "pool2x2 input")
        let outCount = try elements(channels, height / 2, width / 2, what: "pool2x2 output")
        try expect(x.count >= inCount && y.count >= outCount, "pool2x2 buffers too small for \(channels)×\(height)×\(width)")
        try launch("pool2x2_forward", in: .pool, items: [outCount], local: [elementGroupSize], [
            .buffer(x.mem), .buffer(y.mem), .int(Int32(channels)), .int(Int32(height)), .int(Int32(width)), .int(mode == .max ? 0 : 1),
        ])
    }

    public func pool2x2Backward(gradOutput: DeviceBuffer, input: DeviceBuffer, gradInput: DeviceBuffer,
                                channels: Int, height: Int, width: Int, mode: PoolingMode) throws {
        let dy = try cl(gradOutput), x = try cl(input), dx = try cl(gradInput)
        let inCount = try elements(channels, height, width, what: "pool2x2Backward input")
        let outCount = try elements(channels, height / 2, width / 2, what: "pool2x2Backward gradOutput")
        try expect(x.count >= inCount && dx.count >= inCount && dy.count >= outCount,
                   "pool2x2Backward buffers too small for \(channels)×\(height)×\(width)")
        try launch("pool2x2_backward", in: .pool, items: [inCount], local: [elementGroupSize], [
            .buffer(dy.mem), .buffer(x.mem), .buffer(dx.mem), .int(Int32(channels)), .int(Int32(height)), .int(Int32(width)),
            .int(mode == .max ? 0 : 1),
        ])
    }

    // MARK: Gram

    public func gram(features: DeviceBuffer, gram: DeviceBuffer, channels: Int, pixels: Int) throws {
        let f = try cl(features), g = try cl(gram)
        let count = try elements(channels, pixels, what: "gram features")
        let entries = try elements(channels, channels, what: "gram matrix")
        try expect(f.count >= count && g.count >= entries, "gram buffers too small for \(channels)×\(pixels)")
        guard entries > 0 else { return }
        guard pixels > 0 else { return try fill(g.mem, floats: entries, value: 0) }
        let tiles = (channels + gramTiling.tile - 1) / gramTiling.tile
        let upperTiles = tiles * (tiles + 1) / 2
        var splits = max(1, min((maxReductionGroups + upperTiles - 1) / upperTiles, (pixels + 255) / 256))
        splits = max(1, min(splits, min(GramTiling.maxPartials, maxAllocationBytes / 4) / entries))
        var pixelsPerSplit = (pixels + splits - 1) / splits
        pixelsPerSplit = (pixelsPerSplit + gramTiling.depth - 1) / gramTiling.depth * gramTiling.depth
        splits = (pixels + pixelsPerSplit - 1) / pixelsPerSplit
        let partials = try scratch("gram partials", count: try elements(splits, entries, what: "gram partials"))
        let side = gramTiling.side
        try launch("gram_partial", in: .gram, items: [tiles * side, tiles * side, splits], local: [side, side, 1], [
            .buffer(f.mem), .int(Int32(channels)), .int(Int32(pixels)), .int(Int32(pixelsPerSplit)), .buffer(partials),
        ])
        try launch("gram_reduce", in: .gram, items: [entries], local: [elementGroupSize], [
            .buffer(partials), .int(Int32(channels)), .int(Int32(splits)), .float(1 / Float(channels * pixels)), .buffer(g.mem),
        ])
    }

    public func gramBackward(gradGram: DeviceBuffer, features: DeviceBuffer, gradFeatures: DeviceBuffer, channels: Int, pixels: Int) throws {
        let dg = try cl(gradGram), f = try cl(features), df = try cl(gradFeatures)
        let count = try elements(channels, pixels, what: "gramBackward features")
        let entries = try elements(channels, channels, what: "gramBackward gradGram")
        try expect(f.count >= count && df.count >= count && dg.count >= entries, "gramBackward buffers too small for \(channels)×\(pixels)")
        let side = gramTiling.backwardSide
        let columnTiles = (pixels + side * gramTiling.backwardColumns - 1) / (side * gramTiling.backwardColumns)
        let rowTiles = (channels + side * gramTiling.backwardRows - 1) / (side * gramTiling.backwardRows)
        try launch("gram_backward", in: .gram, items: [columnTiles * side, rowTiles * side], local: [side, side], [
            .buffer(dg.mem), .buffer(f.mem), .int(Int32(channels)), .int(Int32(pixels)),
            .float(1 / Float(channels * pixels)), .buffer(df.mem),
        ])
    }

    func clConv(_ conv: PreparedConv) throws -> OpenCLPreparedConv {
        guard let c = conv as? OpenCLPreparedConv, c.tuning == convTuning else {
            throw GPUStyleError(.internal, "a \(type(of: conv)) prepared elsewhere was passed to this OpenCL backend")
        }
        return c
    }
}
