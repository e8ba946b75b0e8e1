// ColorMatching.swift — colour histogram matching (Gatys et al. 2016, "Preserving Color…"): a style image recoloured to the content's colour statistics.
import Foundation

/// The mean and covariance of an image's RGB values (over all pixels, or weighted per pixel; in Double).
struct ColorStatistics: Equatable {
    var mean: [Double]          // r, g, b
    var covariance: [[Double]]  // 3 × 3, symmetric

    /// `weights`: one per pixel (a mask: where to take the statistics), or nil for all pixels alike; weights that sum
    /// to 0 count as none.
    init(of image: RGBImage, weights: [Float]? = nil) {
        let plane = image.width * image.height
        let weights = weights.flatMap { $0.count == plane && $0.contains { $0 > 0 } ? $0 : nil }
        var sum = [Double](repeating: 0, count: 3), products = [[Double]](repeating: [0, 0, 0], count: 3), n = 0.0
        image.pixels.withUnsafeBufferPointer { p in
            var (r, g, b, rr, rg, rb, gg, gb, bb) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            for i in 0..<plane {  // plain scalars: no allocation per pixel
                let w = weights.map { Double($0[i]) } ?? 1
                let (x, y, z) = (Double(p[i]), Double(p[plane + i]), Double(p[2 * plane + i]))
                (r, g, b) = (r + w * x, g + w * y, b + w * z)
                (rr, rg, rb, gg, gb, bb) = (rr + w * x * x, rg + w * x * y, rb + w * x * z, gg + w * y * y, gb + w * y * z, bb + w * z * z)
                n += w
            }
            sum = [r, g, b]
            products = [[rr, rg, rb], [0, gg, gb], [0, 0, bb]]
        }
        n = max(n, 1e-12)
        mean = sum.map { $0 / n }
        covariance = [[Double]](repeating: [0, 0, 0], count: 3)
        for a in 0..<3 {
            for b in a..<3 {
                covariance[a][b] = products[a][b] / n - mean[a] * mean[b]
                covariance[b][a] = covariance[a][b]
            }
        }
    }
}

extension RGBImage {
    /// This image recoloured so its colours have `target`'s mean and covariance: x' = A(x − μ) + μₜ with
    /// A = Σₜ^½ Σ^−½ (symmetric square roots), clamped to [0, 1] — the colour histogram matching of Gatys et al.,
    /// "Preserving Color in Neural Artistic Style Transfer" (2016), applied to the style image before transfer.
    /// Colour variances below 1e-6 are raised to it, so a flat (e.g. gray) image stays finite. `ownWeights` and
    /// `targetWeights` (masks, one weight per pixel of each image) take each image's statistics over a part of it; the
    /// whole image is still recoloured.
    public func matchingColors(of target: RGBImage, ownWeights: [Float]? = nil, targetWeights: [Float]? = nil) -> RGBImage {
        guard width > 0, height > 0, target.width > 0, target.height > 0 else { return self }
        let own = ColorStatistics(of: self, weights: ownWeights), wanted = ColorStatistics(of: target, weights: targetWeights)
        let a = SymmetricMatrix3.product(SymmetricMatrix3.power(wanted.covariance, 0.5), SymmetricMatrix3.power(own.covariance, -0.5))
        let offset = (0..<3).map { r in wanted.mean[r] - (0..<3).reduce(0) { $0 + a[r][$1] * own.mean[$1] } }
        let plane = width * height
        var out = [Float](repeating: 0, count: 3 * plane)
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<plane {
                    let v = (Double(p[i]), Double(p[plane + i]), Double(p[2 * plane + i]))
                    for r in 0..<3 {
                        let x = a[r][0] * v.0 + a[r][1] * v.1 + a[r][2] * v.2 + offset[r]
                        o[r * plane + i] = Float(min(max(x, 0), 1))
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

/// 3 × 3 symmetric matrices: powers through the eigendecomposition (cyclic Jacobi rotations).
enum SymmetricMatrix3 {
    static let varianceFloor = 1e-6

    /// M^p = V diag(max(λ, floor)^p) Vᵀ.
    static func power(_ m: [[Double]], _ p: Double) -> [[Double]] {
        let (values, vectors) = eigen(m)
        let scaled = values.map { pow(max($0, varianceFloor), p) }
        return (0..<3).map { r in (0..<3).map { c in (0..<3).reduce(0) { $0 + vectors[r][$1] * scaled[$1] * vectors[c][$1] } } }
    }

    /// The 3 × 3 product a · b.
    static func product(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        (0..<3).map { r in (0..<3).map { c in (0..<3).reduce(0) { $0 + a[r][$1] * b[$1][c] } } }
    }

    /// Eigenvalues and eigenvectors (the columns of the second result) of a symmetric 3 × 3 matrix.
    static func eigen(_ m: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        var a = m
        var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        for _ in 0..<50 {
            let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]
            if off <= 1e-30 * max(1e-300, a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2]) { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p][q] != 0 {
                // The rotation that zeroes a[p][q] (Golub & Van Loan, symmetric Schur decomposition).
                let tau = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (tau >= 0 ? 1 : -1) / (abs(tau) + (1 + tau * tau).squareRoot())
                let c = 1 / (1 + t * t).squareRoot(), s = t * c
                for k in 0..<3 {  // a ← a·J
                    let (akp, akq) = (a[k][p], a[k][q])
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<3 {  // a ← Jᵀ·a
                    let (apk, aqk) = (a[p][k], a[q][k])
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
                for k in 0..<3 {  // v ← v·J
                    let (vkp, vkq) = (v[k][p], v[k][q])
                    v[k][p] = c * vkp - s * vkq
                    v[k][q] = s * vkp + c * vkq
                }
            }
        }
        return ([a[0][0], a[1][1], a[2][2]], v)
    }
}
