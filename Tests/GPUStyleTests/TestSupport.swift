// TestSupport.swift — seeded random data and comparison helpers shared by the test files.
import XCTest
@testable import GPUStyle

/// Seeded uniform values in [lo, hi).
func randomValues(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in range.lowerBound + Float(rng.nextUniform()) * (range.upperBound - range.lowerBound) }
}

/// Largest |a − b| / max(|b|, floor) over all elements.
func maxRelativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / max(abs(b[i]), floor)) }
    return worst
}

/// Asserts that `a` matches `b` elementwise within `tolerance` relative to the largest |b|.
func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): length", file: file, line: line)
    guard a.count == b.count else { return }
    let scale = max(b.map { abs($0) }.max() ?? 0, 1e-12)
    var worst: Float = 0, at = 0
    for i in a.indices where abs(a[i] - b[i]) / scale > worst { worst = abs(a[i] - b[i]) / scale; at = i }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): element \(at) is \(a[at]), expected \(b[at]) (error \(worst) of max |value| \(scale))", file: file, line: line)
}
