// StyleMaskPyramid.swift — a style mask at every layer's size: halved by 2×2 means, as the poolings halve the maps.

/// A `height × width` style mask and its 2×2-mean reductions, one per pooling (a pooled map's pixel covers a 2×2
/// cell of the map before it; an odd last row or column is dropped, as the poolings drop it).
struct StyleMaskPyramid {
    private var levels: [(height: Int, width: Int, values: [Float])]

    init(values: [Float], height: Int, width: Int) throws {
        guard values.count == height * width else {
            throw GPUStyleError(.internal, "a style mask of \(values.count) values for a \(width)×\(height) image")
        }
        levels = [(height, width, values)]
    }

    /// The mask at a layer of `height × width` (the image's size, or a pooling's output).
    mutating func mask(height: Int, width: Int) throws -> [Float] {
        while let last = levels.last, last.height > height, last.height / 2 >= height, last.width / 2 >= width {
            levels.append(Self.halved(last))
        }
        guard let level = levels.first(where: { $0.height == height && $0.width == width }) else {
            throw GPUStyleError(.internal, "no style mask for a \(width)×\(height) layer of a \(levels[0].width)×\(levels[0].height) image")
        }
        return level.values
    }

    /// A mask's mean square (its coverage: how much of a Gram it keeps); 0 for no values.
    static func meanSquare(_ values: [Float]) -> Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, values.count))
    }

    private static func halved(_ level: (height: Int, width: Int, values: [Float])) -> (height: Int, width: Int, values: [Float]) {
        let (h, w) = (level.height / 2, level.width / 2)
        var out = [Float](repeating: 0, count: h * w)
        for i in 0..<h {
            for j in 0..<w {
                let at = 2 * i * level.width + 2 * j
                out[i * w + j] = (level.values[at] + level.values[at + 1] + level.values[at + level.width] + level.values[at + level.width + 1]) / 4
            }
        }
        return (h, w, out)
    }
}
