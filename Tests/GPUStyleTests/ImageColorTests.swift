// ImageColorTests.swift — -original_colors: luminance from the generated image, chrominance from the content image.
import XCTest
@testable import GPUStyle

final class ImageColorTests: XCTestCase {
    /// torch's rgb2yuv, written out here independently of the implementation.
    private func yuv(_ r: Double, _ g: Double, _ b: Double) -> (Double, Double, Double) {
        (0.299 * r + 0.587 * g + 0.114 * b,
         -0.14713 * r - 0.28886 * g + 0.436 * b,
         0.615 * r - 0.51499 * g - 0.10001 * b)
    }

    private func pixel(_ image: RGBImage, _ p: Int) -> (Double, Double, Double) {
        let plane = image.width * image.height
        return (Double(image.pixels[p]), Double(image.pixels[plane + p]), Double(image.pixels[2 * plane + p]))
    }

    /// Mid-range values (no clamping): Y of the result is the generated Y, U and V are the content's.
    /// torch's two matrices are inverses only to about 1e-4, hence the tolerance.
    func testLuminanceFromGeneratedChromaFromContent() {
        let w = 8, h = 5
        let generated = RGBImage(width: w, height: h, pixels: randomValues(3 * w * h, seed: 11, in: 0.35...0.65))
        let content = RGBImage(width: w, height: h, pixels: randomValues(3 * w * h, seed: 12, in: 0.35...0.65))
        let result = generated.withOriginalColors(from: content)
        for p in 0..<(w * h) {
            let (ry, ru, rv) = pixel(result, p)
            let out = yuv(ry, ru, rv), gen = yuv(pixel(generated, p).0, pixel(generated, p).1, pixel(generated, p).2)
            let con = yuv(pixel(content, p).0, pixel(content, p).1, pixel(content, p).2)
            XCTAssertEqual(out.0, gen.0, accuracy: 5e-4, "Y at \(p)")
            XCTAssertEqual(out.1, con.1, accuracy: 5e-4, "U at \(p)")
            XCTAssertEqual(out.2, con.2, accuracy: 5e-4, "V at \(p)")
        }
    }

    func testGrayGeneratedTakesTheContentsColour() {
        // Content pure-ish orange, generated a flat gray with the same luminance: the result is the orange.
        let content = RGBImage(width: 2, height: 2, red: 0.8, green: 0.5, blue: 0.2)
        let y = Float(0.299 * 0.8 + 0.587 * 0.5 + 0.114 * 0.2)
        let generated = RGBImage(width: 2, height: 2, red: y, green: y, blue: y)
        let result = generated.withOriginalColors(from: content)
        assertClose(result.pixels, content.pixels, tolerance: 5e-4, "orange restored")
    }

    func testResultIsClampedToTheUnitRange() {
        // Bright generated luminance with strongly saturated content colour overshoots before clamping.
        let generated = RGBImage(width: 3, height: 1, red: 1, green: 1, blue: 1)
        let content = RGBImage(width: 3, height: 1, pixels: [1, 0, 0, 0, 1, 0, 0, 0, 1])
        let result = generated.withOriginalColors(from: content)
        XCTAssertTrue(result.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertEqual(result.pixels[0], 1, "red channel of the red pixel saturates")
    }

    func testContentOfAnotherSizeIsResizedFirst() {
        let generated = RGBImage(width: 6, height: 4, red: 0.5, green: 0.5, blue: 0.5)
        let content = RGBImage(width: 30, height: 20, red: 0.3, green: 0.6, blue: 0.45)
        let result = generated.withOriginalColors(from: content)
        XCTAssertEqual([result.width, result.height], [6, 4])
        let expected = generated.withOriginalColors(from: RGBImage(width: 6, height: 4, red: 0.3, green: 0.6, blue: 0.45))
        XCTAssertEqual(result, expected, "a constant content image resizes exactly")
    }
}
