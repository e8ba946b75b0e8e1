// ImageCanvas.swift — growing an image by mirroring its edges, and cropping it back.

extension RGBImage {
    /// This image at (`left`, `top`) of a `width × height` canvas that holds it, the rest filled by mirroring about
    /// the edge rows and columns (… c b | a b c … | b a …, edge pixels not repeated; clamped where a margin is wider
    /// than the image).
    public func mirrorPadded(left: Int = 0, top: Int = 0, width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(left >= 0 && top >= 0 && newWidth >= left + width && newHeight >= top + height,
                     "mirrorPadded cannot fit \(width)×\(height) at (\(left), \(top)) into \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        func source(_ i: Int, _ offset: Int, _ size: Int) -> Int {
            var j = abs(i - offset)
            if j >= size { j = 2 * (size - 1) - j }
            return min(max(j, 0), size - 1)
        }
        let columns = (0..<newWidth).map { source($0, left, width) }
        var out = [Float](repeating: 0, count: 3 * newWidth * newHeight)
        for c in 0..<3 {
            for y in 0..<newHeight {
                let from = c * width * height + source(y, top, height) * width, to = (c * newHeight + y) * newWidth
                for x in 0..<newWidth { out[to + x] = pixels[from + columns[x]] }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// The `width × height` part of this image whose top-left corner is (`x`, `y`).
    public func cropped(x: Int = 0, y: Int = 0, width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && x + newWidth <= width && y + newHeight <= height,
                     "cropped cannot take \(newWidth)×\(newHeight) at (\(x), \(y)) from \(width)×\(height)")
        if newWidth == width && newHeight == height { return self }
        var out = [Float](); out.reserveCapacity(3 * newWidth * newHeight)
        for c in 0..<3 {
            for row in y..<(y + newHeight) {
                let from = c * width * height + row * width + x
                out.append(contentsOf: pixels[from..<(from + newWidth)])
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }
}
