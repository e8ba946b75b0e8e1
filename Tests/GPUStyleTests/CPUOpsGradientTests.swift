// CPUOpsGradientTests.swift — ReLU, pooling, Gram and the three losses of the CPU backend against finite differences.
import XCTest
@testable import GPUStyle

final class CPUOpsGradientTests: XCTestCase {
    let backend = CPUBackend()

    func buffer(_ values: [Float]) throws -> DeviceBuffer {
        let b = try backend.makeBuffer(count: values.count)
        try backend.upload(values, to: b)
        return b
    }

    /// Values whose magnitudes stay at least `margin` away from zero, so ±h probes never cross the ReLU kink.
    func awayFromZero(_ count: Int, seed: UInt64, margin: Float = 0.05) -> [Float] {
        randomValues(count, seed: seed).map { $0 >= 0 ? $0 + margin : $0 - margin }
    }

    func testReLUBackward() throws {
        let x = awayFromZero(3 * 5 * 7, seed: 1), r = randomValues(x.count, seed: 2)
        let input = try buffer(x), output = try backend.makeBuffer(count: x.count)
        try backend.relu(input: input, output: output, count: x.count)
        XCTAssertEqual(try backend.download(output), x.map { max($0, 0) })
        let grad = try buffer(r)
        try backend.reluBackward(gradient: grad, output: output, count: x.count)
        let numeric = try finiteDifferences(at: x, indices: Array(x.indices), step: 0.01) { probe in
            try backend.upload(probe, to: input)
            try backend.relu(input: input, output: output, count: x.count)
            return weightedSum(try backend.download(output), r)
        }
        assertGradient(try backend.download(grad), numeric, indices: Array(x.indices), tolerance: 1e-4, "relu backward")
    }

    func testPoolingForwardRule() throws {
        // 1 channel, 3×5: output 1×2; the last row and column are dropped.
        let x: [Float] = [1, 9, 2, 3, 100,
                          4, 5, 8, 7, 100,
                          100, 100, 100, 100, 100]
        let out = try backend.makeBuffer(count: 2)
        try backend.pool2x2(input: try buffer(x), output: out, channels: 1, height: 3, width: 5, mode: .max)
        XCTAssertEqual(try backend.download(out), [9, 8])
        try backend.pool2x2(input: try buffer(x), output: out, channels: 1, height: 3, width: 5, mode: .avg)
        XCTAssertEqual(try backend.download(out), [4.75, 5])
        // Ties go to the first element in scan order.
        let tie = try backend.makeBuffer(count: 4)
        try backend.pool2x2Backward(gradOutput: try buffer([1]), input: try buffer([2, 2, 2, 2]), gradInput: tie,
                                    channels: 1, height: 2, width: 2, mode: .max)
        XCTAssertEqual(try backend.download(tie), [1, 0, 0, 0])
    }

    func testPoolingBackward() throws {
        for mode in PoolingMode.allCases {
            for (c, h, w) in [(3, 5, 7), (2, 4, 6), (1, 3, 3)] {
                // Distinct values spaced ≥ 0.02 apart so the argmax cannot change under ±h probes.
                var rng = SplitMix64(seed: UInt64(c * 100 + h * 10 + w))
                let x = (0..<(c * h * w)).map { Float($0) * 0.02 }.shuffled(using: &rng)
                let oh = h / 2, ow = w / 2
                let r = randomValues(c * oh * ow, seed: 5)
                let input = try buffer(x), output = try backend.makeBuffer(count: r.count), gradIn = try backend.makeBuffer(count: x.count)
                try backend.pool2x2Backward(gradOutput: try buffer(r), input: input, gradInput: gradIn, channels: c, height: h, width: w, mode: mode)
                let numeric = try finiteDifferences(at: x, indices: Array(x.indices), step: 0.004) { probe in
                    try backend.upload(probe, to: input)
                    try backend.pool2x2(input: input, output: output, channels: c, height: h, width: w, mode: mode)
                    return weightedSum(try backend.download(output), r)
                }
                assertGradient(try backend.download(gradIn), numeric, indices: Array(x.indices), tolerance: 1e-3,
                               "\(mode) pool backward \(c)×\(h)×\(w)")
            }
        }
    }

    func testGramIsSymmetricAndMatchesDefinition() throws {
        let c = 5, p = 7 * 3
        let f = randomValues(c * p, seed: 9)
        let g = try backend.makeBuffer(count: c * c)
        try backend.gram(features: try buffer(f), gram: g, channels: c, pixels: p)
        let gram = try backend.download(g)
        for i in 0..<c {
            for j in 0..<c {
                XCTAssertEqual(gram[i * c + j], gram[j * c + i], "Gram symmetric at \(i),\(j)")
                let expected = (0..<p).reduce(0.0) { $0 + Double(f[i * p + $1]) * Double(f[j * p + $1]) } / Double(c * p)
                XCTAssertEqual(Double(gram[i * c + j]), expected, accuracy: 1e-6)
            }
        }
    }

    func testGramBackward() throws {
        let c = 6, p = 5 * 3
        let f = randomValues(c * p, seed: 11), r = randomValues(c * c, seed: 12)  // r not symmetric on purpose
        let feats = try buffer(f), g = try backend.makeBuffer(count: c * c)
        let grad = try backend.makeBuffer(count: f.count)
        try backend.fill(grad, value: 0.5)  // gramBackward accumulates
        try backend.gramBackward(gradGram: try buffer(r), features: feats, gradFeatures: grad, channels: c, pixels: p)
        let analytic = try backend.download(grad).map { $0 - 0.5 }
        let numeric = try finiteDifferences(at: f, indices: Array(f.indices), step: 0.05) { probe in
            try backend.upload(probe, to: feats)
            try backend.gram(features: feats, gram: g, channels: c, pixels: p)
            return weightedSum(try backend.download(g), r)
        }
        assertGradient(analytic, numeric, indices: Array(f.indices), tolerance: 1e-4, "gram backward")
    }

    func testContentLoss() throws {
        let n = 3 * 5 * 7
        let f = randomValues(n, seed: 13), p = randomValues(n, seed: 14)
        let feats = try buffer(f), target = try buffer(p), losses = try backend.makeBuffer(count: 3)
        let grad = try backend.makeBuffer(count: n)
        try backend.contentLoss(features: feats, target: target, count: n, lossWeight: 5, gradient: grad, gradientWeight: 5, losses: losses, slot: 1)
        let expected = 5 * zip(f, p).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(n)
        XCTAssertEqual(Double(try backend.download(losses)[1]), expected, accuracy: 1e-5 * expected)
        let scratch = try backend.makeBuffer(count: n)
        let numeric = try finiteDifferences(at: f, indices: Array(f.indices), step: 0.1) { probe in
            try backend.upload(probe, to: feats)
            try backend.contentLoss(features: feats, target: target, count: n, lossWeight: 5, gradient: scratch, gradientWeight: 0, losses: losses, slot: 0)
            return Double(try backend.download(losses)[0])
        }
        assertGradient(try backend.download(grad), numeric, indices: Array(f.indices), tolerance: 1e-3, "content loss gradient")
    }

    /// The temporal loss: a weight per element (zeros included), its value and its gradient by finite differences.
    func testWeightedContentLoss() throws {
        let n = 3 * 6 * 5
        let f = randomValues(n, seed: 17), p = randomValues(n, seed: 18)
        let w = randomValues(n, seed: 19, in: 0...2).enumerated().map { $0.offset % 7 == 0 ? 0 : $0.element }
        let feats = try buffer(f), target = try buffer(p), weights = try buffer(w), losses = try backend.makeBuffer(count: 2)
        let grad = try buffer(randomValues(n, seed: 20))
        let before = try backend.download(grad)
        try backend.weightedContentLoss(features: feats, target: target, weights: weights, count: n, lossWeight: 3, gradient: grad,
                                        gradientWeight: 3, losses: losses, slot: 1)
        var sum = 0.0
        for i in 0..<n { sum += Double(w[i]) * Double(f[i] - p[i]) * Double(f[i] - p[i]) }
        let expected = 3 * sum / Double(n)
        XCTAssertEqual(Double(try backend.download(losses)[1]), expected, accuracy: 1e-5 * expected)
        let added = zip(try backend.download(grad), before).map { $0 - $1 }
        for i in stride(from: 0, to: n, by: 7) { XCTAssertEqual(added[i], 0, "a zero weight adds no gradient (element \(i))") }
        let scratch = try backend.makeBuffer(count: n)
        let numeric = try finiteDifferences(at: f, indices: Array(f.indices), step: 0.1) { probe in
            try backend.upload(probe, to: feats)
            try backend.weightedContentLoss(features: feats, target: target, weights: weights, count: n, lossWeight: 3, gradient: scratch,
                                            gradientWeight: 0, losses: losses, slot: 0)
            return Double(try backend.download(losses)[0])
        }
        assertGradient(added, numeric, indices: Array(f.indices), tolerance: 1e-3, "weighted content loss gradient")
    }

    /// The whole style loss (gram → styleLoss → gramBackward) against finite differences of the features.
    func testStyleLoss() throws {
        let c = 5, p = 4 * 3
        let f = randomValues(c * p, seed: 15, in: 0...2)
        let a = randomValues(c * c, seed: 16, in: 0...1)
        let feats = try buffer(f), target = try buffer(a), gram = try backend.makeBuffer(count: c * c)
        let dG = try backend.makeBuffer(count: c * c), losses = try backend.makeBuffer(count: 1)
        let grad = try backend.makeBuffer(count: f.count)
        func loss(_ weightForGradient: Float) throws -> Double {
            try backend.gram(features: feats, gram: gram, channels: c, pixels: p)
            try backend.styleLoss(gram: gram, target: target, channels: c, lossWeight: 100, gradGram: dG, gradientWeight: weightForGradient, losses: losses, slot: 0)
            return Double(try backend.download(losses)[0])
        }
        _ = try loss(100)
        try backend.gramBackward(gradGram: dG, features: feats, gradFeatures: grad, channels: c, pixels: p)
        let numeric = try finiteDifferences(at: f, indices: Array(f.indices), step: 0.01) { probe in
            try backend.upload(probe, to: feats)
            return try loss(0)
        }
        assertGradient(try backend.download(grad), numeric, indices: Array(f.indices), tolerance: 2e-3, "style loss gradient")
    }

    func testTotalVariationLoss() throws {
        let c = 3, h = 5, w = 7
        let x = randomValues(c * h * w, seed: 17)
        let img = try buffer(x), losses = try backend.makeBuffer(count: 1), grad = try backend.makeBuffer(count: x.count)
        try backend.tvLoss(image: img, channels: c, height: h, width: w, lossWeight: 1, gradient: grad, gradientWeight: 2, losses: losses, slot: 0)
        var expected = 0.0
        for ch in 0..<c { for i in 0..<(h - 1) { for j in 0..<(w - 1) {
            let at = (ch * h + i) * w + j
            expected += 0.5 * Double((x[at] - x[at + 1]) * (x[at] - x[at + 1]) + (x[at] - x[at + w]) * (x[at] - x[at + w]))
        } } }
        XCTAssertEqual(Double(try backend.download(losses)[0]), expected, accuracy: 1e-5 * expected)
        let scratch = try backend.makeBuffer(count: x.count)
        let numeric = try finiteDifferences(at: x, indices: Array(x.indices), step: 0.1) { probe in
            try backend.upload(probe, to: img)
            try backend.tvLoss(image: img, channels: c, height: h, width: w, lossWeight: 2, gradient: scratch, gradientWeight: 0, losses: losses, slot: 0)
            return Double(try backend.download(losses)[0])
        }
        assertGradient(try backend.download(grad), numeric, indices: Array(x.indices), tolerance: 1e-3, "tv gradient")
    }
}
