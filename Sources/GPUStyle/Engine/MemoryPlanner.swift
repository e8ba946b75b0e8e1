// MemoryPlanner.swift — chooses the activation layout and the L-BFGS history so that a rendering fits the memory budget.
import Foundation

/// Which activation layout to use: chosen by the planner, or fixed by the user (`--memory-plan`).
public enum LayoutChoice: Sendable, Equatable {
    case auto
    case fixed(ActivationLayout)
}

/// What the planner decided, for the report and the log.
public struct MemoryPlan: Sendable, Equatable {
    public let layout: ActivationLayout
    /// The L-BFGS history used (nil for Adam) and the one asked for.
    public let lbfgsHistory: Int?
    public let requestedHistory: Int?
    /// The budget (`--max-memory`, or most of the device's memory) and the peak the simulation predicts, in bytes.
    public let budgetBytes: Int
    public let plannedPeakBytes: Int

    /// "compact activations; L-BFGS history 37 (of 100 asked: memory); planned peak 15.2 GiB of 16.0 GiB".
    public var summary: String {
        var text = layout.description
        if let history = lbfgsHistory, let asked = requestedHistory {
            text += history < asked ? "; L-BFGS history \(history) (of \(asked) asked: memory)" : "; L-BFGS history \(history)"
        }
        return text + "; planned peak \(formatGiB(plannedPeakBytes)) of \(formatGiB(budgetBytes))"
    }
}

/// "15.2 GiB", or "48.3 MiB" below 1 GiB.
func formatGiB(_ bytes: Int) -> String {
    bytes < 1 << 30 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) : String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
}

/// The device objects of one rendering, allocated in one fixed order — the order the planner simulates.
struct RenderState {
    let objective: StyleObjective
    let x: DeviceBuffer
    let optimizer: ImageOptimizer
    /// Where the loop saves x before a step (to undo a non-finite one).
    let backup: DeviceBuffer

    init(network: PreparedNetwork, settings: RenderSettings, layout: ActivationLayout, history: Int, width: Int, height: Int,
         content: NetworkInput?, styles: [NetworkInput], blendWeights: [Float], styleMasks: [MaskInput] = [],
         temporal: TemporalInput? = nil) throws {
        let backend = network.backend
        objective = try StyleObjective(network: network, weights: settings.weights, height: height, width: width, layout: layout,
                                       content: content, styles: styles, blendWeights: blendWeights, styleMasks: styleMasks,
                                       temporal: temporal)
        let length = 3 * width * height
        x = try backend.makeBuffer(count: length)
        optimizer = switch settings.optimizer {
        case .lbfgs: try LBFGS(backend: backend, length: length, history: history, learningRate: settings.learningRate ?? 1)
        case .adam: try Adam(backend: backend, length: length,
                             learningRate: (settings.learningRate ?? 10) * network.model.preprocessing.pixelLevel)
        }
        backup = try backend.makeBuffer(count: length)
    }
}

/// Picks the plan: the fastest layout that fits with the whole L-BFGS history asked for; else the leanest layout,
/// with the longest history that fits. Every candidate is measured by running the real allocation sequence (targets,
/// optimiser, one evaluation) on a `PlanningBackend`, so the prediction is what the backend's tracker will count.
public struct MemoryPlanner {
    let network: PreparedNetwork
    let settings: RenderSettings
    let width: Int, height: Int
    let hasContent: Bool
    let styleSizes: [(width: Int, height: Int)]
    /// Style masks (none, or one per style image).
    var styleMasks = 0
    /// Masks over the style images (none, or one per style image).
    var styleImageMasks = 0
    /// Whether the rendering has a temporal term (a video frame after the first: two more image-sized buffers).
    var temporal = false
    /// How errors name the size (default `width×height`; a job names the size asked for and its canvas).
    var sizeLabel: String?

    /// Bytes kept free for what the simulation does not see (reduction scratch, driver overhead): 2% of the budget
    /// plus 128 MiB, or a sixteenth of a small budget; the convolutions' workspace (`MemoryLimits.workspaceBytes`)
    /// is set aside on top.
    static func reserve(budget: Int) -> Int { min(128 << 20, budget / 16) + budget / 50 }

    /// The default budget: 90% of the device's memory (of RAM for the CPU backend, and at most 90% of what is available now).
    public static func defaultBudget(for backend: Backend) -> Int {
        let limits = backend.memoryLimits
        var budget = limits.totalBytes / 10 * 9
        if backend.kind == "cpu", let available = availableRAM() { budget = min(budget, available / 10 * 9) }
        return budget
    }

    func plan() throws -> MemoryPlan {
        let backend = network.backend
        let size = sizeLabel ?? "\(width)×\(height)"
        let budget = settings.maxMemoryBytes ?? MemoryPlanner.defaultBudget(for: backend)
        let workspace = backend.memoryLimits.workspaceBytes
        let room = budget - backend.memory.currentBytes - workspace - MemoryPlanner.reserve(budget: budget)
        let asked = settings.optimizer == .lbfgs ? settings.lbfgsHistory : nil
        let candidates: [ActivationLayout] = switch settings.layout {
        case .fixed(let layout): [layout]
        case .auto: [.compact] + bandCandidates()
        }
        func made(_ layout: ActivationLayout, _ history: Int) -> MemoryPlan? {
            guard let peak = try? simulatedPeak(layout: layout, history: history) else { return nil }
            let total = peak + backend.memory.currentBytes + workspace
            return peak <= room ? MemoryPlan(layout: layout, lbfgsHistory: asked.map { _ in history }, requestedHistory: asked,
                                             budgetBytes: budget, plannedPeakBytes: total) : nil
        }
        for layout in candidates { if let plan = made(layout, asked ?? 1) { return plan } }
        // Not even the leanest layout fits the whole history: take the leanest and shorten the history.
        let peaks = candidates.compactMap { layout in (try? simulatedPeak(layout: layout, history: 1)).map { (layout, $0) } }
        let fitting = peaks.filter { $0.1 <= room }
        if peaks.isEmpty, let first = candidates.first {
            // No layout could be simulated: report why.
            do { _ = try simulatedPeak(layout: first, history: 1) } catch let tooLarge as PlanningBackend.TooLarge {
                throw GPUStyleError(.usage, "\(size) needs a single buffer of \(formatGiB(tooLarge.bytes)), more than \(backend.deviceName)'s largest allocation (\(formatGiB(backend.memoryLimits.maxBufferBytes))); use a smaller image size")
            }
        }
        guard let lowest = fitting.map(\.1).min(), let asked else {
            let reserve = MemoryPlanner.reserve(budget: budget)
            let need = (peaks.map(\.1).min() ?? 0) + backend.memory.currentBytes + workspace + reserve
            let kept = " (\(formatGiB(need - reserve)) planned, \(formatGiB(reserve)) kept free for scratch and the driver)"
            if let style = styleSizes.max(by: { $0.width * $0.height < $1.width * $1.height }), style.width * style.height > 2 * width * height {
                throw GPUStyleError(.usage, "a style image at \(style.width)×\(style.height) (its size at this --style-scale) makes this \(size) run need about \(formatGiB(need)) of device memory\(kept), over the budget of \(formatGiB(budget)); use a smaller --style-scale")
            }
            throw GPUStyleError(.usage, "\(size) needs about \(formatGiB(need)) of device memory\(kept) even with the leanest memory plan, but the budget is \(formatGiB(budget))\(settings.maxMemoryBytes == nil ? (backend.kind == "cpu" ? " (90% of the available RAM)" : " (90% of the memory of \(backend.deviceName))") : " (--max-memory)"); use a smaller \(settings.sizeOption)\(asked == nil || !settings.offersAdam ? "" : " or --optimizer adam")\(settings.maxMemoryBytes == nil ? "" : " or raise --max-memory")")
        }
        // Among layouts within 5% of the leanest, the first (fewest bands, least recomputation).
        let layout = fitting.first { Double($0.1) <= Double(lowest) * 1.05 }!.0
        var (fits, tooMany) = (1, asked)
        while tooMany - fits > 1 {
            let middle = (fits + tooMany) / 2
            if made(layout, middle) != nil { fits = middle } else { tooMany = middle }
        }
        return made(layout, fits)!
    }

    /// Bands of H/2, H/3, … rows, down to 32 rows (below that the halo costs more than the band).
    private func bandCandidates() -> [ActivationLayout] {
        var rows: [Int] = []
        for parts in [2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256] {
            let r = (height + parts - 1) / parts
            if r >= 32 && !rows.contains(r) { rows.append(r) }
        }
        return rows.map { .banded(rows: $0) }
    }

    /// Peak bytes a rendering allocates with `layout` and `history`, found by running it on a `PlanningBackend`.
    func simulatedPeak(layout: ActivationLayout, history: Int) throws -> Int {
        let planning = PlanningBackend(limits: network.backend.memoryLimits)
        let twin = try PreparedNetwork(backend: planning, model: network.model, deepestLayer: network.layers.last!.name)
        twin.poolingMode = network.poolingMode
        let state = try RenderState(network: twin, settings: settings, layout: layout, history: history, width: width, height: height,
                                    content: hasContent ? NetworkInput(height: height, width: width, values: nil) : nil,
                                    styles: styleSizes.enumerated().map { index, size in
                                        NetworkInput(height: size.height, width: size.width, values: nil,
                                                     sampledRegion: index < styleImageMasks ? MaskInput(values: nil) : nil)
                                    },
                                    blendWeights: styleSizes.map { _ in 1 / Float(styleSizes.count) },
                                    styleMasks: (0..<styleMasks).map { _ in MaskInput(values: nil) },
                                    temporal: temporal ? TemporalInput(target: nil, elementWeights: nil, weight: 1) : nil)
        _ = try state.objective.evaluate(state.x, gradient: state.optimizer.gradient)
        return planning.memory.peakBytes
    }
}

/// `MemAvailable` from /proc/meminfo, in bytes.
private func availableRAM() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
          let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
    return kib * 1024
}
