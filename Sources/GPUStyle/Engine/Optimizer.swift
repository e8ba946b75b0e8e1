// Optimizer.swift — what the optimisation loop needs from L-BFGS and Adam.

/// Which optimiser drives the image.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case lbfgs, adam
}

/// An optimiser whose state lives in backend buffers. The loop evaluates the loss at x with the gradient written
/// into `gradient`, then calls `step`, which moves x.
public protocol ImageOptimizer: AnyObject {
    /// Where the next evaluation must write the gradient (it may change after each step).
    var gradient: DeviceBuffer { get }
    /// Moves `x` using the gradient just evaluated at `x`.
    func step(x: DeviceBuffer) throws
    /// The last step led to a non-finite loss or gradient and x was restored: forget accumulated curvature or
    /// moments, and make the next step `factor` times as long as it would otherwise be (cumulative until a step succeeds).
    func recover(shrinkingStepBy factor: Float)
    /// The evaluation after the last step was finite: the step-length penalty from `recover` is lifted.
    func acceptLastStep()
}
