// Adam.swift — Adam as torch7's optim.adam (neural-style's -optimizer adam), moments in device buffers.

/// Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and bias-corrected step size lr·√(1−β₂ᵗ)/(1−β₁ᵗ).
public final class Adam: ImageOptimizer {
    let backend: Backend
    public let gradient: DeviceBuffer
    private let m: DeviceBuffer, v: DeviceBuffer
    let learningRate: Float
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    private var t = 0
    private var penalty: Float = 1

    public init(backend: Backend, length: Int, learningRate: Float) throws {
        self.backend = backend
        self.learningRate = learningRate
        gradient = try backend.makeBuffer(count: length)
        m = try backend.makeBuffer(count: length)
        v = try backend.makeBuffer(count: length)
    }

    public func step(x: DeviceBuffer) throws {
        t += 1
        let correction1 = 1 - Double(beta1).power(t), correction2 = 1 - Double(beta2).power(t)
        let stepSize = Double(learningRate * penalty) * correction2.squareRoot() / correction1
        try backend.adamStep(x: x, gradient: gradient, m: m, v: v, stepSize: Float(stepSize),
                             beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    public func recover(shrinkingStepBy factor: Float) {
        t = 0
        try? backend.fill(m, value: 0)
        try? backend.fill(v, value: 0)
        penalty *= factor
    }

    public func acceptLastStep() { penalty = 1 }
}

extension Double {
    /// self raised to a non-negative integer power.
    func power(_ n: Int) -> Double {
        var result = 1.0, base = self, e = n
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
