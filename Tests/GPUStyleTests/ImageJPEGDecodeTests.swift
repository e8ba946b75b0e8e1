// ImageJPEGDecodeTests.swift — baseline, progressive, arithmetic, grayscale, CMYK and YCCK JPEGs decode to the expected pixels.
import XCTest
@testable import GPUStyle

final class ImageJPEGDecodeTests: XCTestCase {
    /// Mean and largest |a − b| over all values.
    private func errors(_ a: [Float], _ b: [Float]) -> (mean: Float, max: Float) {
        let differences = zip(a, b).map { abs($0 - $1) }
        return (differences.reduce(0, +) / Float(max(differences.count, 1)), differences.max() ?? 0)
    }

    /// JPEG is lossy: at quality 95 without chroma subsampling a smooth picture comes back within
    /// 1.5/255 on average and 8/255 at worst (measured with libjpeg-turbo 2.1.5: 0.55/255 and 3/255).
    func testBaselineProgressiveAndArithmeticRGB() throws {
        let width = 45, height = 30
        let source = Fixture.smoothRGB8(width: width, height: height)
        let expected = Fixture.planar(rgb8: source, width: width, height: height)
        var decoded: [String: RGBImage] = [:]
        for (label, progressive, arithmetic) in [("baseline", false, false), ("progressive", true, false),
                                                 ("arithmetic", false, true), ("progressive arithmetic", true, true)] {
            let jpeg = try Fixture.jpeg(source, width: width, height: height, components: 3,
                                        progressive: progressive, arithmetic: arithmetic)
            let image = try Fixture.decode(jpeg)
            XCTAssertEqual(image.width, width, label)
            XCTAssertEqual(image.height, height, label)
            let (mean, worst) = errors(image.pixels, expected)
            XCTAssertLessThan(mean, 1.5 / 255, "\(label): mean error")
            XCTAssertLessThan(worst, 8 / 255, "\(label): largest error")
            decoded[label] = image
        }
        // The entropy coding is lossless: every variant decodes to the same pixels.
        XCTAssertEqual(decoded["progressive"], decoded["baseline"])
        XCTAssertEqual(decoded["arithmetic"], decoded["baseline"])
    }

    func testGrayscaleIsExpandedToEqualChannels() throws {
        let width = 32, height = 16
        // Two flat 16×16 blocks: JPEG reproduces flat blocks within a level or two.
        let gray = (0..<(width * height)).map { UInt8($0 % width < 16 ? 60 : 200) }
        let image = try Fixture.decode(try Fixture.jpeg(gray, width: width, height: height, components: 1))
        let plane = width * height
        XCTAssertEqual(Array(image.pixels[0..<plane]), Array(image.pixels[plane..<(2 * plane)]), "R = G")
        XCTAssertEqual(Array(image.pixels[0..<plane]), Array(image.pixels[(2 * plane)...]), "R = B")
        XCTAssertEqual(image.pixels[8 * width + 8], 60 / 255, accuracy: 2 / 255)
        XCTAssertEqual(image.pixels[8 * width + 24], 200 / 255, accuracy: 2 / 255)
    }

    /// Four flat 16×16 blocks of ink (c, m, y, k) and the RGB they must become: (1 − ink)(1 − k).
    private let inks: [[Int]] = [[0, 0, 0, 0], [255, 0, 0, 0], [0, 128, 255, 64], [40, 80, 120, 160]]

    private func cmykFixture(inverted: Bool) -> [UInt8] {
        var samples = [UInt8]()
        for y in 0..<32 {
            for x in 0..<32 {
                let ink = inks[(y / 16) * 2 + x / 16]
                samples += ink.map { UInt8(inverted ? 255 - $0 : $0) }
            }
        }
        return samples
    }

    private func assertInkColours(_ image: RGBImage, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let plane = 32 * 32
        for (block, ink) in inks.enumerated() {
            let p = ((block / 2) * 16 + 8) * 32 + (block % 2) * 16 + 8
            for c in 0..<3 {
                let expected = Float(255 - ink[c]) * Float(255 - ink[3]) / (255 * 255)
                XCTAssertEqual(image.pixels[c * plane + p], expected, accuracy: 4 / 255,
                               "\(label): block \(block) channel \(c)", file: file, line: line)
            }
        }
    }

    func testPlainCMYKWithoutAdobeMarker() throws {
        let jpeg = try Fixture.jpeg(cmykFixture(inverted: false), width: 32, height: 32, components: 4, adobeMarker: false)
        assertInkColours(try Fixture.decode(jpeg), "plain CMYK")
    }

    func testAdobeInvertedCMYKAndYCCK() throws {
        let cmyk = try Fixture.jpeg(cmykFixture(inverted: true), width: 32, height: 32, components: 4, adobeMarker: true)
        assertInkColours(try Fixture.decode(cmyk), "Adobe CMYK")
        let ycck = try Fixture.jpeg(cmykFixture(inverted: true), width: 32, height: 32, components: 4,
                                    progressive: true, ycck: true, adobeMarker: true)
        assertInkColours(try Fixture.decode(ycck), "Adobe YCCK, progressive")
    }

    func testOneByOneAndOddSizes() throws {
        for (w, h) in [(1, 1), (1, 17), (23, 1), (9, 9)] {
            let source = Fixture.randomBytes(w * h * 3, seed: UInt64(w * 31 + h))
            let image = try Fixture.decode(try Fixture.jpeg(source, width: w, height: h, components: 3, quality: 100))
            XCTAssertEqual(image.width, w)
            XCTAssertEqual(image.height, h)
            // Quality 100, 4:4:4: random pixels come back within a few levels (measured: at most 3/255).
            XCTAssertLessThan(errors(image.pixels, Fixture.planar(rgb8: source, width: w, height: h)).max, 8 / 255, "\(w)×\(h)")
        }
    }
}
