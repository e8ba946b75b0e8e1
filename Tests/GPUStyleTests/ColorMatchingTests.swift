// ColorMatchingTests.swift — --match-style-colors: the recoloured style has the content's colour mean and covariance.
import XCTest
@testable import GPUStyle

final class ColorMatchingTests: XCTestCase {
    /// An image whose channels are correlated mixtures of uniform noise: mean `mean`, spread `spread`.
    private func mixedImage(seed: UInt64, mean: [Float], spread: Float, mix: [[Float]]) -> RGBImage {
        let plane = 40 * 30
        let noise = randomValues(3 * plane, seed: seed)
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for r in 0..<3 {
                pixels[r * plane + i] = mean[r] + spread * (0..<3).reduce(0) { $0 + mix[r][$1] * noise[$1 * plane + i] }
            }
        }
        return RGBImage(width: 40, height: 30, pixels: pixels)
    }

    func testEigenDecompositionRebuildsTheMatrix() {
        let m: [[Double]] = [[2, -0.7, 0.3], [-0.7, 1.1, 0.05], [0.3, 0.05, 0.4]]
        let (values, v) = SymmetricMatrix3.eigen(m)
        for r in 0..<3 {
            for c in 0..<3 {
                let rebuilt = (0..<3).reduce(0.0) { $0 + v[r][$1] * values[$1] * v[c][$1] }
                XCTAssertEqual(rebuilt, m[r][c], accuracy: 1e-12, "V Λ Vᵀ [\(r)][\(c)]")
                let gram = (0..<3).reduce(0.0) { $0 + v[$1][r] * v[$1][c] }
                XCTAssertEqual(gram, r == c ? 1 : 0, accuracy: 1e-12, "VᵀV [\(r)][\(c)]")
            }
        }
        let root = SymmetricMatrix3.power(m, 0.5)
        let squared = SymmetricMatrix3.product(root, root)
        for r in 0..<3 { for c in 0..<3 { XCTAssertEqual(squared[r][c], m[r][c], accuracy: 1e-12) } }
    }

    func testTheStyleTakesTheContentsMeanAndCovariance() {
        let style = mixedImage(seed: 1, mean: [0.6, 0.3, 0.5], spread: 0.15, mix: [[1, 0.5, 0], [0, 1, 0.2], [0.3, 0, 0.6]])
        let content = mixedImage(seed: 2, mean: [0.45, 0.5, 0.4], spread: 0.06, mix: [[0.8, -0.4, 0.1], [0.2, 0.9, 0], [0, 0.5, 1]])
        let matched = style.matchingColors(of: content)
        let got = ColorStatistics(of: matched), want = ColorStatistics(of: content)
        for r in 0..<3 {
            XCTAssertEqual(got.mean[r], want.mean[r], accuracy: 1e-5, "mean of channel \(r)")
            for c in 0..<3 { XCTAssertEqual(got.covariance[r][c], want.covariance[r][c], accuracy: 1e-6, "covariance [\(r)][\(c)]") }
        }
        XCTAssertNotEqual(ColorStatistics(of: style).mean[0], want.mean[0], accuracy: 0.1, "the test images differ to begin with")

        let same = style.matchingColors(of: style)
        XCTAssertEqual(zip(same.pixels, style.pixels).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-5, "matching an image to itself keeps it")
    }

    /// With masks: the statistics of the style image's masked part become those of the content's masked part (the
    /// left halves here; each image's right half has other colours).
    func testMasksTakeTheStatisticsOfAPart() {
        func halves(_ left: RGBImage, _ right: RGBImage) -> RGBImage {
            let plane = 40 * 30
            return RGBImage(width: 40, height: 30, pixels: (0..<(3 * plane)).map { i in (i % 40 < 20 ? left : right).pixels[i] })
        }
        let mix: [[Float]] = [[1, 0.5, 0], [0, 1, 0.2], [0.3, 0, 0.6]]
        let style = halves(mixedImage(seed: 1, mean: [0.6, 0.3, 0.5], spread: 0.15, mix: mix), mixedImage(seed: 4, mean: [0.1, 0.1, 0.2], spread: 0.05, mix: mix))
        let content = halves(mixedImage(seed: 2, mean: [0.45, 0.5, 0.4], spread: 0.06, mix: mix), mixedImage(seed: 5, mean: [0.9, 0.8, 0.1], spread: 0.02, mix: mix))
        let left = (0..<(40 * 30)).map { $0 % 40 < 20 ? Float(1) : 0 }
        let matched = style.matchingColors(of: content, ownWeights: left, targetWeights: left)
        let got = ColorStatistics(of: matched, weights: left), want = ColorStatistics(of: content, weights: left)
        for r in 0..<3 {
            XCTAssertEqual(got.mean[r], want.mean[r], accuracy: 1e-4, "masked mean of channel \(r)")
            for c in 0..<3 { XCTAssertEqual(got.covariance[r][c], want.covariance[r][c], accuracy: 1e-5, "masked covariance [\(r)][\(c)]") }
        }
        XCTAssertNotEqual(ColorStatistics(of: content).mean[0], want.mean[0], accuracy: 0.1, "the halves differ")
        XCTAssertEqual(ColorStatistics(of: style, weights: [Float](repeating: 0, count: 40 * 30)), ColorStatistics(of: style), "zero weights: none")
    }

    func testAFlatStyleImageStaysFinite() {
        let gray = RGBImage(width: 20, height: 20, red: 0.5, green: 0.5, blue: 0.5)
        let content = mixedImage(seed: 3, mean: [0.2, 0.6, 0.4], spread: 0.1, mix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        let matched = gray.matchingColors(of: content)
        let mean = ColorStatistics(of: content).mean
        XCTAssertTrue(matched.pixels.allSatisfy(\.isFinite))
        for r in 0..<3 { XCTAssertEqual(Double(matched.pixels[r * 400]), mean[r], accuracy: 1e-4, "a flat image becomes the content's mean colour") }
    }

    func testTheOptionNeedsAContentImageAndExcludesOriginalColors() throws {
        let model = Model.random(.vgg16, seed: 1, upTo: "conv1_1")
        var options = StylizeOptions()
        (options.styleImages, options.outputImage, options.matchStyleColors) = (["s.png"], "out.png", true)
        (options.contentWeight, options.outputSize) = (0, (width: 32, height: 32))
        XCTAssertThrowsError(try options.validate(for: model)) { XCTAssertTrue("\($0)".contains("add --content-image"), "\($0)") }
        (options.contentWeight, options.outputSize, options.contentImage, options.originalColors) = (nil, nil, "c.png", true)
        XCTAssertThrowsError(try options.validate(for: model)) { XCTAssertTrue("\($0)".contains("choose one"), "\($0)") }
    }

    func testTheRunRendersWithTheRecolouredStyleAndSaysSo() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = StylizeOptions()
        (options.contentImage, options.styleImages, options.outputImage) = (folder + "/c.png", [folder + "/s.png"], folder + "/out.png")
        try ImageIO.write(mixedImage(seed: 4, mean: [0.3, 0.5, 0.6], spread: 0.1, mix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]), to: options.contentImage!)
        try ImageIO.write(mixedImage(seed: 5, mean: [0.7, 0.4, 0.2], spread: 0.2, mix: [[1, 0.3, 0], [0, 1, 0], [0, 0, 1]]), to: options.styleImages[0])
        (options.imageSize, options.iterations, options.margin, options.saveEvery, options.matchStyleColors) = (32, 2, 0, 0, true)
        (options.contentLayers, options.styleLayers) = (["relu1_1"], ["relu1_1"])
        let model = Model.random(.vgg16, seed: 5, upTo: "conv1_1")
        let matched = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run()
        XCTAssertEqual(matched.colors, "matched")
        options.matchStyleColors = false
        let plain = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run()
        XCTAssertEqual(plain.colors, "style")
        XCTAssertNotEqual(matched.final.style, plain.final.style, "the style target differs once recoloured")
    }
}
