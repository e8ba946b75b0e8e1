// StyleObjective+Slices.swift — the loss terms on a whole feature map or on one band of it (Gram sums over bands, rescaled gradients).

extension StyleObjective {
    /// Adds the slice's owned rows (each pixel weighted by `mask`, a style mask at the layer's full size, if given) to
    /// `gram`: the whole Gram for a whole map, else this band's share, Σ F_owned F_ownedᵀ / (C · all pixels).
    func accumulateGram(_ term: StyleTerm, _ slice: LayerSlice, into gram: DeviceBuffer, mask: DeviceBuffer?) throws {
        let c = term.shape.channels
        guard !slice.isWhole else {
            let features = try weighted(slice.features, by: mask, firstRow: 0, rows: slice.shape.height, of: slice)
            return try backend.gram(features: features, gram: gram, channels: c, pixels: slice.shape.pixels)
        }
        let owned = try weighted(try ownedRows(of: slice, purpose: "band features"), by: mask,
                                 firstRow: slice.firstRow + slice.ownedRows.lowerBound, rows: slice.ownedRows.count, of: slice)
        let pixels = slice.ownedRows.count * slice.shape.width
        try backend.gram(features: owned, gram: term.bandGram, channels: c, pixels: pixels)
        // A style image's map may differ in size from the output's (`term.shape`).
        try backend.axpy(alpha: Float(Double(pixels) / Double(slice.fullShape.pixels)), x: term.bandGram, y: gram)
    }

    /// The scratch buffers `weighted` uses: a band's rows of a mask, and the features times the mask.
    static let maskRowsScratch = "mask rows", maskedFeaturesScratch = "masked features"

    /// `features` (`rows` rows of the slice's map, from row `firstRow` of the full map on) with each pixel times
    /// `mask`'s (a full-map mask) — in a scratch buffer; `features` itself when there is no mask.
    private func weighted(_ features: DeviceBuffer, by mask: DeviceBuffer?, firstRow: Int, rows: Int, of slice: LayerSlice) throws -> DeviceBuffer {
        guard let mask else { return features }
        let (width, fullHeight) = (slice.shape.width, slice.fullShape.height)
        var weights = mask
        if rows != fullHeight {
            weights = try scratch(Self.maskRowsScratch, count: rows * width)
            try backend.copyRows(from: mask, sourceHeight: fullHeight, sourceRow: firstRow, to: weights, destinationHeight: rows,
                                 destinationRow: 0, rows: rows, channels: 1, width: width)
        }
        let output = try scratch(Self.maskedFeaturesScratch, count: slice.shape.channels * rows * width)
        try backend.multiplyPixels(features, by: weights, into: output, channels: slice.shape.channels, pixels: rows * width)
        return output
    }

    /// A band's share of a content loss (its owned rows), in the band's own loss slot.
    func addContentBandLoss(_ term: ContentTerm, _ slice: LayerSlice) throws {
        let (features, target, count) = try ownedContentRows(term, slice)
        try backend.contentLoss(features: features, target: target, count: count,
                                lossWeight: Float(Double(weights.content) * Double(count) / Double(term.shape.count)),
                                gradient: try scratch("band gradient", count: count), gradientWeight: 0,
                                losses: losses, slot: bandSlot(term, slice.band))
    }

    /// For normalised gradients with a banded front: adds a band's owned rows to the L1 norm of each term's
    /// unweighted layer gradient (a style term's needs its final Gram, so this runs after the forward pass).
    func accumulateBandNorms(_ slice: LayerSlice) throws {
        for term in contentTerms where slice.names.contains(term.name) {
            let (features, target, count) = try ownedContentRows(term, slice)
            let g = try zeroedScratch("band gradient", count: count)
            try backend.contentLoss(features: features, target: target, count: count, lossWeight: 0, gradient: g,
                                    gradientWeight: Float(Double(count) / Double(term.shape.count)), losses: losses, slot: junkSlot)
            term.norm += try backend.sumAbs(g)
        }
        for term in styleTerms where slice.names.contains(term.name) {
            let owned = try ownedRows(of: slice, purpose: "band features")
            let pixels = slice.ownedRows.count * slice.shape.width
            for region in term.regions {
                let features = try weighted(owned, by: region.maskSquared, firstRow: slice.firstRow + slice.ownedRows.lowerBound,
                                            rows: slice.ownedRows.count, of: slice)
                let g = try zeroedScratch("band gradient", count: slice.ownedCount)
                try rescaleGradGram(region, of: term, by: Double(pixels) / Double(term.shape.pixels))
                try backend.gramBackward(gradGram: term.bandGradGram, features: features, gradFeatures: g, channels: term.shape.channels, pixels: pixels)
                region.norm += try backend.sumAbs(g)
            }
        }
    }

    /// Adds the content loss (whole map: value and gradient; band: gradient over the whole band) into `grad`.
    func addContent(_ term: ContentTerm, _ slice: LayerSlice, into grad: DeviceBuffer) throws {
        guard slice.isWhole else {
            let target = try scratch("band target", count: slice.shape.count)
            try backend.copyRows(from: term.target, sourceHeight: term.shape.height, sourceRow: slice.firstRow, to: target,
                                 destinationHeight: slice.shape.height, destinationRow: 0, rows: slice.shape.height,
                                 channels: slice.shape.channels, width: slice.shape.width)
            let weight = weights.normalizeGradients ? Double(weights.content) / (term.norm + 1e-8) : Double(weights.content)
            return try backend.contentLoss(features: slice.features, target: target, count: slice.shape.count, lossWeight: 0, gradient: grad,
                                           gradientWeight: Float(weight * Double(slice.shape.count) / Double(term.shape.count)),
                                           losses: losses, slot: junkSlot)
        }
        guard weights.normalizeGradients else {
            return try backend.contentLoss(features: slice.features, target: term.target, count: term.shape.count, lossWeight: weights.content,
                                           gradient: grad, gradientWeight: weights.content, losses: losses, slot: term.slot)
        }
        // neural-style's -normalize_gradients: the layer gradient divided by its L1 norm (+1e-8) before weighting.
        let scratch = try zeroedScratch("normalize", count: term.shape.count)
        try backend.contentLoss(features: slice.features, target: term.target, count: term.shape.count, lossWeight: weights.content,
                                gradient: scratch, gradientWeight: 1, losses: losses, slot: term.slot)
        let weight = Double(weights.content) / (try backend.sumAbs(scratch) + 1e-8)
        try backend.contentLoss(features: slice.features, target: term.target, count: term.shape.count, lossWeight: weights.content,
                                gradient: grad, gradientWeight: Float(weight), losses: losses, slot: term.slot)
    }

    /// Adds the style loss's gradient (from the gradGram of the evaluation's Gram) into `grad`, region by region.
    /// A masked region's Gram is that of F·M, so its gradient is gramBackward on F·M² (M per pixel commutes with it).
    func addStyle(_ term: StyleTerm, _ slice: LayerSlice, into grad: DeviceBuffer) throws {
        for region in term.regions {
            let features = try weighted(slice.features, by: region.maskSquared, firstRow: slice.firstRow, rows: slice.shape.height, of: slice)
            try addStyle(region, of: term, slice, features: features, into: grad)
        }
    }

    private func addStyle(_ region: StyleRegion, of term: StyleTerm, _ slice: LayerSlice, features: DeviceBuffer, into grad: DeviceBuffer) throws {
        let c = term.shape.channels
        guard slice.isWhole else {
            let weight = weights.normalizeGradients ? Double(region.normalizedWeight) / (region.norm + 1e-8) : 1
            try rescaleGradGram(region, of: term, by: weight * Double(slice.shape.pixels) / Double(term.shape.pixels))
            return try backend.gramBackward(gradGram: term.bandGradGram, features: features, gradFeatures: grad,
                                            channels: c, pixels: slice.shape.pixels)
        }
        guard weights.normalizeGradients else {
            return try backend.gramBackward(gradGram: region.gradGram, features: features, gradFeatures: grad,
                                            channels: c, pixels: term.shape.pixels)
        }
        let scratch = try zeroedScratch("normalize", count: term.shape.count)
        try backend.gramBackward(gradGram: region.gradGram, features: features, gradFeatures: scratch, channels: c, pixels: term.shape.pixels)
        try rescaleGradGram(region, of: term, by: Double(region.normalizedWeight) / (try backend.sumAbs(scratch) + 1e-8))
        try backend.gramBackward(gradGram: term.bandGradGram, features: features, gradFeatures: grad, channels: c, pixels: term.shape.pixels)
    }

    /// bandGradGram = factor · the region's gradGram: a band's pixels enter gramBackward's 1/(C·pixels) instead of the whole map's.
    private func rescaleGradGram(_ region: StyleRegion, of term: StyleTerm, by factor: Double) throws {
        try backend.copy(region.gradGram, to: term.bandGradGram)
        try backend.scale(term.bandGradGram, by: Float(factor))
    }

    /// The slice's owned rows, packed into a scratch buffer (`channels × owned rows × width`).
    private func ownedRows(of slice: LayerSlice, purpose: String) throws -> DeviceBuffer {
        let packed = try scratch(purpose, count: slice.ownedCount)
        try backend.copyRows(from: slice.features, sourceHeight: slice.shape.height, sourceRow: slice.ownedRows.lowerBound, to: packed,
                             destinationHeight: slice.ownedRows.count, destinationRow: 0, rows: slice.ownedRows.count,
                             channels: slice.shape.channels, width: slice.shape.width)
        return packed
    }

    /// A band's owned rows of the features and of the content target, packed, and their element count.
    private func ownedContentRows(_ term: ContentTerm, _ slice: LayerSlice) throws -> (DeviceBuffer, DeviceBuffer, Int) {
        let features = try ownedRows(of: slice, purpose: "band features")
        let target = try scratch("band target", count: slice.ownedCount)
        try backend.copyRows(from: term.target, sourceHeight: term.shape.height, sourceRow: slice.firstRow + slice.ownedRows.lowerBound,
                             to: target, destinationHeight: slice.ownedRows.count, destinationRow: 0, rows: slice.ownedRows.count,
                             channels: term.shape.channels, width: term.shape.width)
        return (features, target, slice.ownedCount)
    }

    private func zeroedScratch(_ purpose: String, count: Int) throws -> DeviceBuffer {
        let buffer = try scratch(purpose, count: count)
        try backend.fill(buffer, value: 0)
        return buffer
    }

    /// A loss slot nobody reads (for calls that only add gradients).
    private var junkSlot: Int { weights.contentLayers.count + weights.styleLayers.count + 1 }
    /// Σ |gradient|, read back with the losses: whether the gradient is finite, without a wait of its own.
    var gradientNormSlot: Int { weights.contentLayers.count + weights.styleLayers.count + 2 }
    /// The slots before the content bands': per layer, TV, junk, gradient norm.
    var fixedSlots: Int { weights.contentLayers.count + weights.styleLayers.count + 3 }

    private func bandSlot(_ term: ContentTerm, _ band: Int) -> Int {
        fixedSlots + term.slot * max(1, runner.bands.count) + band
    }
}
