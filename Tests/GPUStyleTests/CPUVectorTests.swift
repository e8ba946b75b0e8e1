// CPUVectorTests.swift — the optimiser's vector operations on the CPU backend against plain arithmetic.
import XCTest
@testable import GPUStyle

final class CPUVectorTests: XCTestCase {
    let backend = CPUBackend()

    func testAxpyScaleDotSumAbs() throws {
        let a = randomValues(1001, seed: 1), b = randomValues(1001, seed: 2)
        let x = try backend.makeBuffer(count: a.count), y = try backend.makeBuffer(count: b.count)
        try backend.upload(a, to: x)
        try backend.upload(b, to: y)
        XCTAssertEqual(try backend.dot(x, y), zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }, accuracy: 1e-9)
        XCTAssertEqual(try backend.sumAbs(x), a.reduce(0.0) { $0 + Double(abs($1)) }, accuracy: 1e-6)
        let losses = try backend.makeBuffer(count: 2)
        try backend.sumAbs(x, losses: losses, slot: 1)
        XCTAssertEqual(try backend.download(losses), [0, Float(a.reduce(0.0) { $0 + Double(abs($1)) })])
        try backend.axpy(alpha: -2, x: x, y: y)
        XCTAssertEqual(try backend.download(y), zip(a, b).map { $1 + -2 * $0 })
        try backend.scale(x, by: 3)
        XCTAssertEqual(try backend.download(x), a.map { $0 * 3 })
    }

    func testAdamStepMatchesTorch7Formula() throws {
        let x0 = randomValues(50, seed: 3), g = randomValues(50, seed: 4)
        let x = try backend.makeBuffer(count: 50), grad = try backend.makeBuffer(count: 50)
        let m = try backend.makeBuffer(count: 50), v = try backend.makeBuffer(count: 50)
        try backend.upload(x0, to: x)
        try backend.upload(g, to: grad)
        try backend.adamStep(x: x, gradient: grad, m: m, v: v, stepSize: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let expected = zip(x0, g).map { x, g -> Float in
            let beta1: Float = 0.9, beta2: Float = 0.999
            let m = (1 - beta1) * g, v = (1 - beta2) * g * g
            return x - 0.1 * m / (v.squareRoot() + 1e-8)
        }
        assertClose(try backend.download(x), expected, tolerance: 1e-6, "adam")
    }

    func testBankDotsAndCombine() throws {
        let rows = 4, n = 37
        let bank = try backend.makeVectorBank(rows: rows, length: n)
        let data = (0..<rows).map { randomValues(n, seed: UInt64(10 + $0)) }
        for r in 0..<rows { try backend.upload(data[r], to: bank.row(r)) }
        let dots = try backend.bankDots(bank, rows: [2, 0])
        for (k, i) in [2, 0].enumerated() {
            for r in 0..<rows {
                let expected = zip(data[i], data[r]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                XCTAssertEqual(dots[k][r], expected, accuracy: 1e-9)
            }
        }
        let coefficients: [Float] = [0.5, -1, 0, 2]
        let out = try backend.makeBuffer(count: n)
        try backend.bankCombine(bank, coefficients: coefficients, into: out)
        let expected = (0..<n).map { j in (0..<rows).reduce(Float(0)) { $0 + coefficients[$1] * data[$1][j] } }
        assertClose(try backend.download(out), expected, tolerance: 1e-6, "bank combine")
        // Output aliasing a row: its own coefficient applies to its old value.
        try backend.bankCombine(bank, coefficients: coefficients, into: bank.row(3))
        assertClose(try backend.download(bank.row(3)), expected, tolerance: 1e-6, "bank combine into own row")
        XCTAssertEqual(try backend.download(bank.row(1)), data[1], "other rows untouched")
    }
}
