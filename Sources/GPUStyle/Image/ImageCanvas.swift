// ImageCanvas.swift — growing an image by mirroring its edges, and cropping it back.

extension RGBImage {
    /// This image in the top-left corner of a `width × height` canvas (at least as large), the rest filled by
    /// mirroring about the last row and column (… c b a | b c …, edge pixels not repeated; clamped for canvases
    /// more than twice the size).
    public func mirrorPadded(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth >= width && newHeight >= height, "mirrorPadded cannot shrink \(width)×\(height) to \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        func source(_ i: Int, _ size: Int) -> Int { i < size ? i : max(0, 2 * (size - 1) - i) }
        let columns = (0..<newWidth).map { source($0, width) }
        var out = [Float](repeating: 0, count: 3 * newWidth * newHeight)
        for c in 0..<3 {
            for y in 0..<newHeight {
                let from = c * width * height + source(y, height) * width, to = (c * newHeight + y) * newWidth
                for x in 0..<newWidth { out[to + x] = pixels[from + columns[x]] }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// The top-left `width × height` part of this image.
    public func cropped(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth <= width && newHeight <= height, "cropped cannot grow \(width)×\(height) to \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        var out = [Float](); out.reserveCapacity(3 * newWidth * newHeight)
        for c in 0..<3 {
            for y in 0..<newHeight {
                let from = c * width * height + y * width
                out.append(contentsOf: pixels[from..<(from + newWidth)])
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }
}
