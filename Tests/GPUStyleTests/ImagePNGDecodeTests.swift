// ImagePNGDecodeTests.swift — every PNG colour type, bit depth, tRNS and interlace variant decodes to the expected pixels.
import XCTest
@testable import GPUStyle

final class ImagePNGDecodeTests: XCTestCase {
    // Odd sizes exercise partial bytes (low bit depths) and partial Adam7 passes.
    let width = 13, height = 11

    /// Expected planar output for gray samples at `bitDepth` (optionally with alpha per pixel).
    private func expectedGray(_ gray: [UInt16], alpha: [UInt16]? = nil, bitDepth: Int) -> [Float] {
        let top = Double((1 << bitDepth) - 1)
        let plane = gray.map { g -> Float in Float(Double(g) / top) }
        guard let alpha else { return plane + plane + plane }
        let composited = zip(gray, alpha).map { g, a -> Float in
            let af = Double(a) / top
            return Float(Double(g) / top * af + (1 - af))
        }
        return composited + composited + composited
    }

    func testGrayAtEveryBitDepthDecodesExactly() throws {
        for bitDepth in [1, 2, 4, 8, 16] {
            for interlaced in [false, true] {
                let gray = Fixture.randomBytes(width * height, seed: UInt64(bitDepth), below: 256)
                    .enumerated().map { i, v in UInt16((Int(v) * 257 + i * 31) & ((1 << bitDepth) - 1)) }
                let png = try Fixture.png(gray, width: width, height: height, color: .gray, bitDepth: bitDepth,
                                          interlaced: interlaced)
                let image = try Fixture.decode(png)
                XCTAssertEqual(image.width, width)
                XCTAssertEqual(image.height, height)
                assertClose(image.pixels, expectedGray(gray, bitDepth: bitDepth), tolerance: 1e-6,
                            "gray \(bitDepth)-bit interlaced=\(interlaced)")
            }
        }
    }

    func testGrayAlphaCompositesOverWhite() throws {
        for bitDepth in [8, 16] {
            let top = (1 << bitDepth) - 1
            var rng = SplitMix64(seed: 7)
            var samples = [UInt16](), gray = [UInt16](), alpha = [UInt16]()
            for i in 0..<(width * height) {
                let g = UInt16(rng.next() % UInt64(top + 1))
                let a = i % 4 == 0 ? 0 : i % 4 == 1 ? UInt16(top) : UInt16(rng.next() % UInt64(top + 1))
                samples += [g, a]; gray.append(g); alpha.append(a)
            }
            let png = try Fixture.png(samples, width: width, height: height, color: .grayAlpha, bitDepth: bitDepth)
            let image = try Fixture.decode(png)
            assertClose(image.pixels, expectedGray(gray, alpha: alpha, bitDepth: bitDepth), tolerance: 1e-6,
                        "gray+alpha \(bitDepth)-bit")
            XCTAssertEqual(image.pixels[0], 1, "fully transparent pixel is white")
        }
    }

    func testRGBAndRGBAAt8And16Bits() throws {
        for bitDepth in [8, 16] {
            for withAlpha in [false, true] {
                let channels = withAlpha ? 4 : 3, top = Double((1 << bitDepth) - 1)
                var rng = SplitMix64(seed: UInt64(bitDepth + channels))
                let samples = (0..<(width * height * channels)).map { _ in UInt16(rng.next() % UInt64(top + 1)) }
                let png = try Fixture.png(samples, width: width, height: height, color: withAlpha ? .rgba : .rgb,
                                          bitDepth: bitDepth, interlaced: bitDepth == 16)
                let plane = width * height
                for background in [AlphaBackground.white, .black] {  // pictures over white, masks over black
                    let image = try ImageIO.decode(data: png, name: "fixture", background: background)
                    var expected = [Float](repeating: 0, count: 3 * plane)
                    for p in 0..<plane {
                        let alpha = withAlpha ? Double(samples[4 * p + 3]) / top : 1
                        for c in 0..<3 {
                            expected[c * plane + p] = Float(Double(samples[channels * p + c]) / top * alpha + Double(background.value) * (1 - alpha))
                        }
                    }
                    assertClose(image.pixels, expected, tolerance: 1e-6, "\(withAlpha ? "RGBA" : "RGB") \(bitDepth)-bit over \(background)")
                }
            }
        }
    }

    func testPaletteAtEveryBitDepthWithAndWithoutTRNS() throws {
        for bitDepth in [1, 2, 4, 8] {
            let entries = min(1 << bitDepth, 200)
            let palette = Fixture.randomBytes(3 * entries, seed: UInt64(100 + bitDepth))
            let alphas = Fixture.randomBytes(entries, seed: UInt64(200 + bitDepth))
            let indices = Fixture.randomBytes(width * height, seed: UInt64(300 + bitDepth), below: entries).map(UInt16.init)
            for withTRNS in [false, true] {
                let png = try Fixture.png(indices, width: width, height: height, color: .palette, bitDepth: bitDepth,
                                          interlaced: withTRNS, palette: palette, paletteAlpha: withTRNS ? alphas : [])
                let image = try Fixture.decode(png)
                let plane = width * height
                var expected = [Float](repeating: 0, count: 3 * plane)
                for p in 0..<plane {
                    let index = Int(indices[p])
                    let alpha = withTRNS ? Double(alphas[index]) / 255 : 1
                    for c in 0..<3 {
                        expected[c * plane + p] = Float(Double(palette[3 * index + c]) / 255 * alpha + (1 - alpha))
                    }
                }
                assertClose(image.pixels, expected, tolerance: 1e-6, "palette \(bitDepth)-bit tRNS=\(withTRNS)")
            }
        }
    }

    func testTransparentColourKeyBecomesWhite() throws {
        // Gray 4-bit with tRNS gray value 5; RGB 16-bit with tRNS colour (1000, 2000, 3000).
        let gray: [UInt16] = (0..<(width * height)).map { UInt16($0 % 16) }
        let grayImage = try Fixture.decode(try Fixture.png(gray, width: width, height: height, color: .gray,
                                                           bitDepth: 4, transparentColor: [5]))
        for p in 0..<(width * height) {
            let expected: Float = gray[p] == 5 ? 1 : Float(gray[p]) / 15
            XCTAssertEqual(grayImage.pixels[p], expected, accuracy: 1e-6, "gray key pixel \(p)")
        }
        var rgb = [UInt16]()
        for p in 0..<(width * height) { rgb += p % 3 == 0 ? [1000, 2000, 3000] : [1000, 2000, UInt16(p)] }
        let rgbImage = try Fixture.decode(try Fixture.png(rgb, width: width, height: height, color: .rgb,
                                                          bitDepth: 16, transparentColor: [1000, 2000, 3000]))
        let plane = width * height
        for p in 0..<plane {
            let expectedBlue: Float = p % 3 == 0 ? 1 : Float(Double(p) / 65535)
            XCTAssertEqual(rgbImage.pixels[2 * plane + p], expectedBlue, accuracy: 1e-6, "RGB key pixel \(p)")
        }
    }

    func testInterlacedMatchesNonInterlacedForEveryColourType() throws {
        for (color, depth) in [(Fixture.PNGColor.gray, 2), (.grayAlpha, 16), (.rgb, 8), (.rgba, 8), (.palette, 4)] {
            for (w, h) in [(1, 1), (3, 9), (17, 5)] {
                let count = w * h * color.channels
                let limit = color == .palette ? 16 : min(1 << depth, 256)
                let samples = Fixture.randomBytes(count, seed: UInt64(w * 100 + h), below: limit).map(UInt16.init)
                let palette = Fixture.randomBytes(48, seed: 9)
                let plain = try Fixture.png(samples, width: w, height: h, color: color, bitDepth: depth, palette: palette)
                let adam7 = try Fixture.png(samples, width: w, height: h, color: color, bitDepth: depth,
                                            interlaced: true, palette: palette)
                XCTAssertNotEqual(plain, adam7, "fixtures differ in their bytes")
                XCTAssertEqual(try Fixture.decode(adam7), try Fixture.decode(plain), "\(color) \(depth)-bit \(w)×\(h)")
            }
        }
    }
}
