// ImageResizeTests.swift — Lanczos resizing: constants exact, mean kept, antialiased, longest-side sizes, bad sizes refused.
import XCTest
@testable import GPUStyle

final class ImageResizeTests: XCTestCase {
    private func mean(_ values: ArraySlice<Float>) -> Double {
        values.reduce(0.0) { $0 + Double($1) } / Double(max(values.count, 1))
    }

    func testConstantImageStaysExactlyConstant() throws {
        let image = RGBImage(width: 37, height: 23, red: 0.2, green: 0.7, blue: 0.123)
        for (w, h) in [(10, 7), (80, 50), (37, 5), (3, 23), (1, 1), (111, 2)] {
            let resized = try image.resized(width: w, height: h)
            XCTAssertEqual(resized.width, w)
            XCTAssertEqual(resized.height, h)
            XCTAssertEqual(resized, RGBImage(width: w, height: h, red: 0.2, green: 0.7, blue: 0.123), "\(w)×\(h)")
        }
    }

    func testSameSizeIsTheIdentity() throws {
        let image = RGBImage(width: 9, height: 4, pixels: randomValues(108, seed: 1, in: 0...1))
        XCTAssertEqual(try image.resized(width: 9, height: 4), image)
    }

    /// Smooth random content keeps its mean within 0.5 % (measured: under 0.1 %) down and up.
    func testMeanIsRoughlyKept() throws {
        // Smooth content: sums of a few low-frequency waves per channel, within [0.1, 0.9].
        let w = 96, h = 64
        var pixels = [Float]()
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    let fx = Float(x) / Float(w), fy = Float(y) / Float(h)
                    pixels.append(0.5 + 0.2 * sin(6.28 * (fx + Float(c) * 0.3)) + 0.15 * cos(6.28 * 2 * fy + Float(c)))
                }
            }
        }
        let image = RGBImage(width: w, height: h, pixels: pixels)
        let plane = w * h
        for (nw, nh) in [(24, 16), (31, 17), (200, 150)] {
            let resized = try image.resized(width: nw, height: nh)
            let newPlane = nw * nh
            for c in 0..<3 {
                let before = mean(image.pixels[(c * plane)..<((c + 1) * plane)])
                let after = mean(resized.pixels[(c * newPlane)..<((c + 1) * newPlane)])
                XCTAssertEqual(after, before, accuracy: 0.005 * before, "\(nw)×\(nh) channel \(c)")
            }
        }
    }

    /// A one-pixel checkerboard shrunk 3× must average to gray. Without antialiasing (a kernel not
    /// widened by the scale factor, point or plain bilinear sampling) each output centre lands on one
    /// input pixel and stays black or white.
    func testDownscalingIsAntialiased() throws {
        let w = 63, h = 48
        let plane = (0..<(w * h)).map { Float(($0 % w + $0 / w) % 2) }
        let board = RGBImage(width: w, height: h, pixels: plane + plane + plane)
        let small = try board.resized(width: 21, height: 16)
        for y in 0..<16 {
            for x in 0..<21 {
                let value = small.pixels[y * 21 + x]
                // Clamped edges repeat the border pixel, so the outer ring may drift further from gray.
                let border = x < 3 || y < 3 || x >= 18 || y >= 13
                XCTAssertEqual(value, 0.5, accuracy: border ? 0.2 : 0.03, "(\(x), \(y))")
            }
        }
    }

    func testResultsStayInTheUnitRange() throws {
        // A hard edge makes Lanczos overshoot; the result is clamped.
        let w = 20, h = 4
        let plane = (0..<(w * h)).map { Float($0 % w < 10 ? 0 : 1) }
        let edge = RGBImage(width: w, height: h, pixels: plane + plane + plane)
        for (nw, nh) in [(57, 4), (7, 3)] {
            let resized = try edge.resized(width: nw, height: nh)
            XCTAssertTrue(resized.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(nw)×\(nh)")
            XCTAssertEqual(resized.pixels.first ?? -1, 0, accuracy: 1e-6, "far from the edge: still black")
        }
    }

    func testLongestSideKeepsTheAspectRatio() throws {
        let cases: [((Int, Int), Int, (Int, Int))] = [
            ((400, 300), 512, (512, 384)),
            ((300, 400), 512, (384, 512)),
            ((1000, 1), 10, (10, 1)),       // the short side never drops below one pixel
            ((3, 2), 4, (4, 3)),            // 2.67 rounds to 3
            ((512, 512), 512, (512, 512)),
        ]
        for ((w, h), side, (ew, eh)) in cases {
            let image = RGBImage(width: w, height: h, red: 0.1, green: 0.2, blue: 0.3)
            let resized = try image.resized(longestSide: side)
            XCTAssertEqual([resized.width, resized.height], [ew, eh], "\(w)×\(h) → \(side)")
        }
        // The Scream (1200×1528) at neural-style's default 512, without resampling it here.
        XCTAssertTrue(RGBImage.sizeWithLongestSide(512, width: 1200, height: 1528) == (402, 512))
    }

    func testBadSizesAreUsageErrors() {
        let image = RGBImage(width: 4, height: 4, red: 0, green: 0, blue: 0)
        assertImageError(["0×4"], "zero width", kind: .usage) { try image.resized(width: 0, height: 4) }
        assertImageError(["-3×4"], "negative", kind: .usage) { try image.resized(width: -3, height: 4) }
        assertImageError(["too many pixels"], "overflow", kind: .usage) { try image.resized(width: Int.max / 2, height: 4) }
        assertImageError(["at least 1"], "longest side 0", kind: .usage) { try image.resized(longestSide: 0) }
        let empty = RGBImage(width: 0, height: 0, pixels: [])
        assertImageError(["empty"], "empty source", kind: .usage) { try empty.resized(width: 2, height: 2) }
    }
}
