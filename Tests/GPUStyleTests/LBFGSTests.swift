// LBFGSTests.swift — the vector-free L-BFGS against a textbook two-loop L-BFGS (PyTorch's algorithm) on a smooth function.
import XCTest
@testable import GPUStyle

/// f(x) = Σ aᵢ(xᵢ − bᵢ)² + 0.05 Σ xᵢ⁴ and its gradient, in Double.
private struct TestFunction {
    let a: [Double], b: [Double]
    func gradient(_ x: [Double]) -> [Double] { x.indices.map { 2 * a[$0] * (x[$0] - b[$0]) + 0.2 * pow(x[$0], 3) } }
    func value(_ x: [Double]) -> Double { x.indices.reduce(0) { $0 + a[$1] * pow(x[$1] - b[$1], 2) + 0.05 * pow(x[$1], 4) } }
}

/// torch.optim.LBFGS's iteration without line search, written out directly.
private func referenceLBFGS(_ f: TestFunction, x0: [Double], iterations: Int, history m: Int, lr: Double) -> [[Double]] {
    func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }
    var x = x0, g = f.gradient(x), d = [Double](), t = 0.0, hDiag = 1.0
    var dirs: [[Double]] = [], steps: [[Double]] = [], ro: [Double] = []
    var prevG = g
    var trajectory: [[Double]] = []
    for k in 1...iterations {
        if k == 1 {
            d = g.map { -$0 }
        } else {
            let y = zip(g, prevG).map { $0 - $1 }, s = d.map { $0 * t }
            let ys = dot(y, s)
            if ys > 1e-10 {
                if dirs.count == m { dirs.removeFirst(); steps.removeFirst(); ro.removeFirst() }
                dirs.append(y); steps.append(s); ro.append(1 / ys)
                hDiag = ys / dot(y, y)
            }
            var q = g.map { -$0 }
            var al = [Double](repeating: 0, count: dirs.count)
            for i in stride(from: dirs.count - 1, through: 0, by: -1) {
                al[i] = dot(steps[i], q) * ro[i]
                q = zip(q, dirs[i]).map { $0 - al[i] * $1 }
            }
            var r = q.map { $0 * hDiag }
            for i in 0..<dirs.count {
                let be = dot(dirs[i], r) * ro[i]
                r = zip(r, steps[i]).map { $0 + (al[i] - be) * $1 }
            }
            d = r
        }
        prevG = g
        t = k == 1 ? min(1, 1 / g.reduce(0) { $0 + abs($1) }) * lr : lr
        x = zip(x, d).map { $0 + t * $1 }
        trajectory.append(x)
        g = f.gradient(x)
    }
    return trajectory
}

final class LBFGSTests: XCTestCase {
    func testMatchesTextbookTwoLoopIncludingHistoryEviction() throws {
        let n = 40
        var rng = SplitMix64(seed: 3)
        let f = TestFunction(a: (0..<n).map { _ in 0.5 + rng.nextUniform() * 4 }, b: (0..<n).map { _ in rng.nextUniform() * 4 - 2 })
        let x0 = (0..<n).map { _ in rng.nextUniform() * 2 - 1 }
        let iterations = 25, m = 4
        let expected = referenceLBFGS(f, x0: x0, iterations: iterations, history: m, lr: 1)

        let backend = CPUBackend()
        let optimizer = try LBFGS(backend: backend, length: n, history: m)
        let x = try backend.makeBuffer(count: n)
        try backend.upload(x0.map { Float($0) }, to: x)
        for k in 0..<iterations {
            let current = try backend.download(x).map(Double.init)
            try backend.upload(f.gradient(current).map { Float($0) }, to: optimizer.gradient)
            try optimizer.step(x: x)
            let got = try backend.download(x)
            let scale = expected[k].map { abs($0) }.max()!
            let err = zip(got, expected[k]).map { abs(Double($0) - $1) }.max()! / scale
            XCTAssertLessThan(err, 2e-4, "iteration \(k + 1): vector-free L-BFGS departs from the two-loop reference")
        }
        XCTAssertLessThan(f.value(try backend.download(x).map(Double.init)), f.value(x0) * 0.5, "L-BFGS made progress")
    }

    func testRejectsEmptyOrHugeHistory() {
        for history in [0, LBFGS.maxHistory + 1, .max] {
            XCTAssertThrowsError(try LBFGS(backend: CPUBackend(), length: 4, history: history), "\(history)") { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
                XCTAssertTrue("\(error)".contains("--lbfgs-history must be 1…1000"), "\(error)")
            }
        }
        XCTAssertNoThrow(try LBFGS(backend: CPUBackend(), length: 4, history: LBFGS.maxHistory))
    }

    /// Adam's step is in 8-bit levels whatever the preprocessing: neural-style's 10 moves a torchvision model's
    /// input as far in the image as a Caffe model's (10/255 of the range), not 255/4.4 times as far.
    func testAdamStepsAreInPixelLevels() {
        XCTAssertEqual(Preprocessing.caffe.pixelLevel, 1)
        XCTAssertEqual(Preprocessing.torchvision.pixelLevel, 1 / (255 * 0.226), accuracy: 1e-6)
    }
}
