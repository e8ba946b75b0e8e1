// BandLayout.swift — horizontal bands of the image for the banded front: owned rows, and the halo that makes them exact.

/// A horizontal band of the input image. The band owns `owned` (its rows count in the losses once, and it writes
/// the input gradient there); `computed` ⊇ `owned` adds a halo so that every activation whose gradient reaches
/// an owned row is exact although the band's outer rows see zero padding instead of their neighbours.
struct Band: Equatable, Sendable {
    /// Position among the bands, top first.
    let index: Int
    let owned: Range<Int>
    let computed: Range<Int>
}

enum BandLayout {
    /// Rows that band boundaries must be multiples of, so that every 2×2 pool of the band sees the windows of the
    /// whole image: 2 to the number of pools in `steps`.
    static func alignment(of steps: ArraySlice<NetworkStep>) -> Int {
        1 << steps.filter(\.isPool).count
    }

    /// Splits `height` rows into bands of `rowsPerBand` owned rows (rounded up to the alignment), each with its halo.
    static func bands(steps: ArraySlice<NetworkStep>, height: Int, rowsPerBand: Int) -> [Band] {
        let align = alignment(of: steps)
        let wanted = min(rowsPerBand, height)  // more rows than the image has: one band (and no overflow below)
        let rows = max(align, (wanted + align - 1) / align * align)
        return stride(from: 0, to: height, by: rows).enumerated().map { index, start in
            let owned = start..<min(height, start + rows)
            return Band(index: index, owned: owned, computed: computedRows(owned: owned, steps: steps, height: height))
        }
    }

    /// The input rows a band owning `owned` must compute. Rows influenced by the owned rows are found going forward
    /// (a conv widens by one row each side, a pool halves); every such row must be exact, which going backward needs
    /// one more row each side per conv and both rows of each pooled pair. Rounded out to the alignment.
    static func computedRows(owned: Range<Int>, steps: ArraySlice<NetworkStep>, height: Int) -> Range<Int> {
        guard !owned.isEmpty else { return owned }
        var heights = [height]
        for step in steps { heights.append(step.isPool ? heights.last! / 2 : heights.last!) }
        // Influence, forward: influenced[k] = rows of step k's output (k = 0: the input) that depend on `owned`.
        var influenced: [ClosedRange<Int>?] = [owned.lowerBound...(owned.upperBound - 1)]
        for (k, step) in steps.enumerated() {
            guard let rows = influenced[k] else { influenced.append(nil); continue }
            let widened = step.isPool ? (rows.lowerBound / 2)...(rows.upperBound / 2)
                : isConv(step) ? (rows.lowerBound - 1)...(rows.upperBound + 1) : rows
            influenced.append(clip(widened, to: heights[k + 1]))
        }
        // Exactness, backward: needed rows of each output, mapped to the rows of its input.
        var needed = influenced.last!
        for (k, step) in steps.enumerated().reversed() {
            if let rows = needed {
                let input = step.isPool ? (2 * rows.lowerBound)...(2 * rows.upperBound + 1)
                    : isConv(step) ? (rows.lowerBound - 1)...(rows.upperBound + 1) : rows
                needed = clip(input, to: heights[k])
            }
            needed = hull(needed, influenced[k])
        }
        let align = alignment(of: steps)
        guard let rows = needed else { return owned }
        let lower = rows.lowerBound / align * align
        let upper = min(height, (rows.upperBound + 1 + align - 1) / align * align)
        return lower..<upper
    }

    private static func isConv(_ step: NetworkStep) -> Bool {
        if case .conv = step.op { return true } else { return false }
    }

    private static func clip(_ rows: ClosedRange<Int>, to height: Int) -> ClosedRange<Int>? {
        let lower = max(0, rows.lowerBound), upper = min(height - 1, rows.upperBound)
        return lower <= upper ? lower...upper : nil
    }

    private static func hull(_ a: ClosedRange<Int>?, _ b: ClosedRange<Int>?) -> ClosedRange<Int>? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a.lowerBound, b.lowerBound)...max(a.upperBound, b.upperBound)
    }
}
