// LossPlot.swift — `--plot FILE`: content, style and TV loss per iteration on a log scale, as SVG or PNG.
import Foundation

/// Draws loss curves (log₁₀ y axis) from a run's history.
public struct LossPlot {
    public struct Series { let name: String; let color: Canvas.Color; let values: [(Int, Double)] }
    let series: [Series]
    let title: String
    /// The iterations where a coarse-to-fine run moved to a finer scale (drawn as vertical lines).
    let scaleStarts: [Int]

    /// Content, style, TV, temporal and total from `history`; terms that are zero throughout are left out.
    public init(history: [IterationStatus], title: String, scaleStarts: [Int] = []) {
        self.scaleStarts = scaleStarts
        func pick(_ name: String, _ color: Canvas.Color, _ value: (LossBreakdown) -> Double) -> Series? {
            let points = history.map { ($0.iteration, value($0.losses)) }.filter { $0.1 > 0 && $0.1.isFinite }
            return points.isEmpty ? nil : Series(name: name, color: color, values: points)
        }
        series = [pick("total", (0, 0, 0), \.total), pick("content", (0.1, 0.35, 0.85), \.content),
                  pick("style", (0.85, 0.2, 0.15), \.style), pick("tv", (0.2, 0.6, 0.2), \.tv),
                  pick("temporal", (0.55, 0.25, 0.7)) { $0.temporal ?? 0 }].compactMap { $0 }
        self.title = title
    }

    /// Writes an SVG (`.svg`) or PNG (`.png`) plot atomically.
    public func write(to path: String) throws {
        switch (path as NSString).pathExtension.lowercased() {
        case "svg": try writeAtomically(Data(svg().utf8), to: path)
        case "png": try ImageIO.write(raster(), to: path)
        default: throw GPUStyleError(.usage, "--plot \(path): use a .svg or .png name")
        }
    }

    static let size = (width: 640, height: 400), margin = (left: 70, right: 20, top: 30, bottom: 40)

    /// The plot's ranges: iterations on x, log₁₀ loss on y (whole decades).
    private var ranges: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let xs = series.flatMap { $0.values.map { Double($0.0) } }, ys = series.flatMap { $0.values.map { log10($0.1) } }
        let x = (xs.min() ?? 1)...max(xs.max() ?? 2, (xs.min() ?? 1) + 1)
        let lo = (ys.min() ?? 0).rounded(.down), hi = max((ys.max() ?? 1).rounded(.up), lo + 1)
        return (x, lo...hi)
    }

    private func project(_ iteration: Int, _ value: Double) -> (Double, Double) {
        let (xr, yr) = ranges, m = LossPlot.margin, s = LossPlot.size
        let w = Double(s.width - m.left - m.right), h = Double(s.height - m.top - m.bottom)
        return (Double(m.left) + (Double(iteration) - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * w,
                Double(m.top) + (yr.upperBound - log10(value)) / (yr.upperBound - yr.lowerBound) * h)
    }

    func svg() -> String {
        let (xr, yr) = ranges, m = LossPlot.margin, s = LossPlot.size
        func hex(_ c: Canvas.Color) -> String { String(format: "#%02x%02x%02x", Int(c.r * 255), Int(c.g * 255), Int(c.b * 255)) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(s.width)\" height=\"\(s.height)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(m.left)\" y=\"18\">\(title.replacingOccurrences(of: "<", with: "&lt;"))</text>\n"
        for decade in stride(from: yr.lowerBound, through: yr.upperBound, by: 1) {
            let (_, y) = project(Int(xr.lowerBound), pow(10, decade))
            out += "<line x1=\"\(m.left)\" x2=\"\(s.width - m.right)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(m.left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">1e\(Int(decade))</text>\n"
        }
        for start in scaleStarts {
            let (x, _) = project(start, pow(10, yr.lowerBound))
            out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(m.top)\" y2=\"\(s.height - m.bottom)\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
        }
        out += "<text x=\"\(s.width / 2)\" y=\"\(s.height - 8)\" text-anchor=\"middle\">iteration (\(Int(xr.lowerBound))–\(Int(xr.upperBound)))</text>\n"
        for (k, serie) in series.enumerated() {
            let points = serie.values.map { project($0.0, $0.1) }.map { String(format: "%.1f,%.1f", $0.0, $0.1) }
            out += "<polyline fill=\"none\" stroke=\"\(hex(serie.color))\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
            out += "<text x=\"\(s.width - m.right - 70)\" y=\"\(m.top + 14 + 14 * k)\" fill=\"\(hex(serie.color))\">\(serie.name)</text>\n"
        }
        return out + "</svg>\n"
    }

    func raster() -> RGBImage {
        let (xr, yr) = ranges, m = LossPlot.margin, s = LossPlot.size
        var canvas = Canvas(width: s.width, height: s.height)
        canvas.text(title, x: m.left, y: 8, scale: 2)
        for decade in stride(from: yr.lowerBound, through: yr.upperBound, by: 1) {
            let y = Int(project(Int(xr.lowerBound), pow(10, decade)).1)
            canvas.line(m.left, y, s.width - m.right, y, Canvas.gray)
            let label = "1e\(Int(decade))"
            canvas.text(label, x: m.left - 6 - BitmapFont.width(of: label), y: y - 3)
        }
        for start in scaleStarts {
            let x = Int(project(start, pow(10, yr.lowerBound)).0)
            canvas.line(x, m.top, x, s.height - m.bottom, Canvas.gray)
        }
        canvas.line(m.left, m.top, m.left, s.height - m.bottom, Canvas.black)
        canvas.line(m.left, s.height - m.bottom, s.width - m.right, s.height - m.bottom, Canvas.black)
        let xLabel = "iteration \(Int(xr.lowerBound)) to \(Int(xr.upperBound))"
        canvas.text(xLabel, x: (s.width - BitmapFont.width(of: xLabel)) / 2, y: s.height - 20)
        for (k, serie) in series.enumerated() {
            let points = serie.values.map { project($0.0, $0.1) }
            for (a, b) in zip(points, points.dropFirst()) { canvas.line(Int(a.0), Int(a.1), Int(b.0), Int(b.1), serie.color) }
            canvas.text(serie.name, x: s.width - m.right - 70, y: m.top + 8 + 12 * k, serie.color)
        }
        return canvas.image
    }
}
