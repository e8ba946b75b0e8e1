// Canvas.swift — a small RGB raster for contact sheets and loss plots: rectangles, lines, text, pasted images.

/// An RGB drawing surface (colours in [0, 1]) that becomes an `RGBImage`.
struct Canvas {
    typealias Color = (r: Float, g: Float, b: Float)
    static let white: Color = (1, 1, 1), black: Color = (0, 0, 0), gray: Color = (0.8, 0.8, 0.8)

    let width: Int, height: Int
    private(set) var pixels: [Float]

    init(width: Int, height: Int, background: Color = Canvas.white) {
        self.width = width
        self.height = height
        let plane = width * height
        pixels = [Float](repeating: background.r, count: plane) + [Float](repeating: background.g, count: plane)
            + [Float](repeating: background.b, count: plane)
    }

    var image: RGBImage { RGBImage(width: width, height: height, pixels: pixels) }

    mutating func set(_ x: Int, _ y: Int, _ c: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let plane = width * height, i = y * width + x
        pixels[i] = c.r
        pixels[plane + i] = c.g
        pixels[2 * plane + i] = c.b
    }

    /// A filled rectangle, clipped to the canvas (nothing when it lies wholly outside).
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: Color) {
        let (x0, x1, y0, y1) = (max(0, x), min(width, x + w), max(0, y), min(height, y + h))
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// A 1-pixel line (Bresenham).
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Color) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, c)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// `text` in the 5×7 bitmap font, top-left at (x, y), each font pixel drawn `scale × scale`.
    mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: Color = Canvas.black) {
        for (k, ch) in text.enumerated() {
            let rows = BitmapFont.glyph(ch)
            for (row, bits) in rows.enumerated() {
                for col in 0..<BitmapFont.width where bits & (1 << (BitmapFont.width - 1 - col)) != 0 {
                    fill(x: x + (k * BitmapFont.advance + col) * scale, y: y + row * scale, width: scale, height: scale, c)
                }
            }
        }
    }

    /// Copies `image` with its top-left corner at (x, y), clipped to the canvas.
    mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        let plane = width * height, src = image.width * image.height
        for yy in 0..<image.height where y + yy >= 0 && y + yy < height {
            for xx in 0..<image.width where x + xx >= 0 && x + xx < width {
                let i = (y + yy) * width + x + xx, j = yy * image.width + xx
                pixels[i] = image.pixels[j]
                pixels[plane + i] = image.pixels[src + j]
                pixels[2 * plane + i] = image.pixels[2 * src + j]
            }
        }
    }
}
