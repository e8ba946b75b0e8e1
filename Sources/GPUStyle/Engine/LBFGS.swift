// LBFGS.swift — L-BFGS as torch.optim.LBFGS without line search, in "vector-free" form: all vectors stay on
// the device, and the two-loop recursion runs on the host over their dot products.

/// L-BFGS with history `m`, fixed step `learningRate` (the first step min(1, 1/‖g‖₁)·learningRate), curvature
/// pairs accepted when yᵀs > 1e-10, H₀ = yᵀs / yᵀy — the same iterates as PyTorch's and torch7's `lbfgs`
/// without line search. Instead of 2m dot-product round trips per step, the basis {sᵢ, yᵢ, g} lives in one
/// `VectorBank`; each step computes the 3 new rows' dot products with every row in one launch, runs the
/// recursion on coefficients on the host, and forms the direction in one linear-combination launch.
public final class LBFGS: ImageOptimizer {
    let backend: Backend
    let bank: VectorBank
    public let historySize: Int
    let learningRate: Float
    /// Bank layout: pair slot p uses rows 2p (s) and 2p+1 (y) for p in 0...m; then g, previous g, direction.
    private var gradientRow: Int, previousGradientRow: Int
    private let directionRow: Int
    private var history: [Int] = []          // pair slots, oldest first
    private var rho: [Int: Double] = [:]     // 1 / yᵀs per slot
    private var dots: [[Double]]             // cached row · row
    private var hasPrevious = false
    private var lastStepLength: Double = 0
    private var penalty: Double = 1
    private var inverseHessianDiagonal: Double = 1

    /// The longest history accepted: 10× neural-style's default, and the host's (2m + 5)² dot products stay small
    /// (about 32 MB); a longer one only slows each step (the recursion is O(m²) on the host).
    public static let maxHistory = 1000

    /// Refuses a history outside 1…`maxHistory` with a usage error naming `--lbfgs-history`.
    public static func checkHistory(_ history: Int) throws {
        guard (1...maxHistory).contains(history) else {
            throw GPUStyleError(.usage, "--lbfgs-history must be 1…\(maxHistory) (got \(history)); neural-style's default is 100")
        }
    }

    /// Allocates `2(history + 1) + 3` vectors of `length` floats.
    public init(backend: Backend, length: Int, history: Int, learningRate: Float = 1) throws {
        try Self.checkHistory(history)
        self.backend = backend
        historySize = history
        self.learningRate = learningRate
        let pairRows = 2 * (history + 1)
        bank = try backend.makeVectorBank(rows: pairRows + 3, length: length)
        gradientRow = pairRows
        previousGradientRow = pairRows + 1
        directionRow = pairRows + 2
        dots = Array(repeating: Array(repeating: 0, count: pairRows + 3), count: pairRows + 3)
    }

    public var gradient: DeviceBuffer { bank.row(gradientRow) }

    public func step(x: DeviceBuffer) throws {
        let rows = bank.rows
        var coefficients = [Double](repeating: 0, count: rows)
        var steepest = !hasPrevious
        if hasPrevious {
            let slot = (0...historySize).first { !history.contains($0) }!
            let s = 2 * slot, y = s + 1
            var combine = [Float](repeating: 0, count: rows)
            combine[directionRow] = Float(lastStepLength)
            try backend.bankCombine(bank, coefficients: combine, into: bank.row(s))
            combine[directionRow] = 0
            combine[gradientRow] = 1
            combine[previousGradientRow] = -1
            try backend.bankCombine(bank, coefficients: combine, into: bank.row(y))
            try refreshDots(of: [s, y, gradientRow])
            let ys = dots[y][s], yy = dots[y][y]
            if ys > 1e-10 && ys.isFinite && yy.isFinite {
                if history.count == historySize { rho[history.removeFirst()] = nil }
                history.append(slot)
                rho[slot] = 1 / ys
                inverseHessianDiagonal = ys / yy
            }
            coefficients = twoLoop()
        } else {
            try refreshDots(of: [gradientRow])
        }
        // Only rows in the direction count: 0 · (a dot product with a slot holding garbage, NaN say) must not be NaN.
        var gtd = zip(coefficients, dots[gradientRow]).reduce(0) { $1.0 == 0 ? $0 : $0 + $1.0 * $1.1 }
        if steepest || !(gtd < 0) || !gtd.isFinite {
            // First step, or the recursion gave no descent direction: restart from steepest descent.
            steepest = true
            history.removeAll()
            rho.removeAll()
            coefficients = [Double](repeating: 0, count: rows)
            coefficients[gradientRow] = -1
            gtd = -dots[gradientRow][gradientRow]
        }
        guard gtd.isFinite else {
            throw GPUStyleError(.numerics, "the gradient is not finite (‖g‖² = \(dots[gradientRow][gradientRow]))")
        }
        var t = Double(learningRate)
        if steepest {
            let l1 = try backend.sumAbs(gradient)
            t = min(1, 1 / max(l1, 1e-300)) * Double(learningRate)
        }
        t *= penalty
        try backend.bankCombine(bank, coefficients: coefficients.map { Float($0) }, into: bank.row(directionRow))
        try backend.axpy(alpha: Float(t), x: bank.row(directionRow), y: x)
        lastStepLength = t
        hasPrevious = true
        swap(&gradientRow, &previousGradientRow)
    }

    /// The two-loop recursion on coefficients over the bank rows; returns d = −H·g as coefficients.
    private func twoLoop() -> [Double] {
        var c = [Double](repeating: 0, count: bank.rows)
        c[gradientRow] = -1
        func dotWith(_ row: Int) -> Double {
            var sum = 0.0
            for (r, v) in c.enumerated() where v != 0 { sum += v * dots[row][r] }
            return sum
        }
        var alpha: [Int: Double] = [:]
        for slot in history.reversed() {
            let a = rho[slot]! * dotWith(2 * slot)
            alpha[slot] = a
            c[2 * slot + 1] -= a
        }
        for r in c.indices { c[r] *= inverseHessianDiagonal }
        for slot in history {
            let b = rho[slot]! * dotWith(2 * slot + 1)
            c[2 * slot] += alpha[slot]! - b
        }
        return c
    }

    /// Recomputes the dot products of `rows` with every row (one device round trip) into the cache.
    private func refreshDots(of rows: [Int]) throws {
        let fresh = try backend.bankDots(bank, rows: rows)
        for (k, row) in rows.enumerated() {
            for r in 0..<bank.rows {
                dots[row][r] = fresh[k][r]
                dots[r][row] = fresh[k][r]
            }
        }
    }

    public func recover(shrinkingStepBy factor: Float) {
        history.removeAll()
        rho.removeAll()
        hasPrevious = false
        penalty *= Double(factor)
    }

    public func acceptLastStep() { penalty = 1 }
}
