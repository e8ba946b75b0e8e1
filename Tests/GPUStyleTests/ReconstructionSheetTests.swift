// ReconstructionSheetTests.swift — `gpustyle reconstruct`'s sheet: layout, finite pixels, content rebuilt from relu1_2.
import XCTest
@testable import GPUStyle

final class ReconstructionSheetTests: XCTestCase {
    func testSheetLayoutAndShallowContentReconstruction() throws {
        // Odd sizes (rendered on a padded canvas, cropped back), a small random VGG16.
        let (w, h) = (24, 19)
        var rng = SplitMix64(seed: 3)
        let content = RGBImage(width: w, height: h, pixels: (0..<(3 * w * h)).map { _ in Float(rng.nextUniform()) })
        let style = RGBImage(width: 20, height: 20, red: 0.8, green: 0.3, blue: 0.1)
        var labels: Set<String> = []
        let sheet = try renderReconstructionSheet(backend: CPUBackend(threads: 1, convolution: .im2col), model: Model.random(.vgg16, seed: 2),
                                                  content: content, style: style, iterations: 10) { label, _ in labels.insert(label) }
        XCTAssertEqual(labels, Set(Reconstruction.paperFigure.map(\.label)))
        XCTAssertEqual([sheet.width, sheet.height], [6 * (w + 4) + 4, 2 * (h + 14 + 4) + 4])
        XCTAssertTrue(sheet.pixels.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })

        // The relu1_2 content tile (row 2, column 2) is much closer to the content than the starting noise is.
        func tile(row: Int, column: Int) -> [Float] {
            let x0 = 4 + column * (w + 4), y0 = 4 + row * (h + 14 + 4) + 14
            var values: [Float] = []
            for c in 0..<3 { for y in 0..<h { for x in 0..<w { values.append(sheet.pixels[(c * sheet.height + y0 + y) * sheet.width + x0 + x]) } } }
            return values
        }
        func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
        var noiseRNG = SplitMix64(seed: 1)
        let noise = (0..<(3 * w * h)).map { _ in Float(noiseRNG.nextUniform()) }
        XCTAssertEqual(tile(row: 1, column: 0), content.pixels, "the content image opens the second row")
        XCTAssertLessThan(distance(tile(row: 1, column: 1), content.pixels), 0.25 * distance(noise, content.pixels))

        XCTAssertThrowsError(try renderReconstructionSheet(backend: CPUBackend(threads: 1), model: Model.random(.vgg16, seed: 2),
                                                           content: RGBImage(width: 12, height: 8, red: 0, green: 0, blue: 0),
                                                           style: style, iterations: 1)) { error in
            XCTAssertTrue("\(error)".contains("at least 16 px"), "\(error)")
        }
    }
}
