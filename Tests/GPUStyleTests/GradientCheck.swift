// GradientCheck.swift — central finite differences for checking every backward pass.
import XCTest
@testable import GPUStyle

/// Central differences (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h at the given coordinates.
func finiteDifferences(at x: [Float], indices: [Int], step h: Float, _ f: ([Float]) throws -> Double) rethrows -> [Double] {
    var probe = x
    return try indices.map { i in
        probe[i] = x[i] + h
        let up = try f(probe)
        probe[i] = x[i] - h
        let down = try f(probe)
        probe[i] = x[i]
        return (up - down) / (2 * Double(h))
    }
}

/// Asserts analytic ≈ numeric at every checked coordinate: |a − n| ≤ tolerance · max(|n|∞, floor).
func assertGradient(_ analytic: [Float], _ numeric: [Double], indices: [Int], tolerance: Double, floor: Double = 1e-6,
                    _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    let scale = max(numeric.map { abs($0) }.max() ?? 0, floor)
    var worst = 0.0, worstAt = 0
    for (k, i) in indices.enumerated() {
        let err = abs(Double(analytic[i]) - numeric[k]) / scale
        if err > worst { worst = err; worstAt = k }
    }
    XCTAssertLessThanOrEqual(worst, tolerance,
        "\(what): at element \(indices[worstAt]) analytic \(analytic[indices[worstAt]]) vs numeric \(numeric[worstAt]) (scale \(scale))",
        file: file, line: line)
}

/// Up to `limit` coordinates of a tensor of `count`, spread over it deterministically.
func sampleIndices(_ count: Int, limit: Int = 60, seed: UInt64 = 7) -> [Int] {
    if count <= limit { return Array(0..<count) }
    var rng = SplitMix64(seed: seed)
    return (0..<limit).map { _ in Int(rng.next() % UInt64(count)) }
}

/// Σ r·y in Double.
func weightedSum(_ y: [Float], _ r: [Float]) -> Double {
    zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Asserts `objective`'s gradient at `x0` matches central differences (step 0.1, Caffe-scale inputs) of its total
/// loss at `samples` coordinates.
func assertObjectiveGradient(_ objective: StyleObjective, on backend: Backend, at x0: [Float], samples: Int, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
    let x = try backend.makeBuffer(count: x0.count), grad = try backend.makeBuffer(count: x0.count)
    try backend.upload(x0, to: x)
    _ = try objective.evaluate(x, gradient: grad)
    let analytic = try backend.download(grad)
    let indices = sampleIndices(x0.count, limit: samples)
    let numeric = try finiteDifferences(at: x0, indices: indices, step: 0.1) { probe in
        try backend.upload(probe, to: x)
        return try objective.evaluate(x, gradient: grad).total
    }
    assertGradient(analytic, numeric, indices: indices, tolerance: 5e-3, what, file: file, line: line)
}
