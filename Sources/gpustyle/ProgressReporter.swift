// ProgressReporter.swift — a live bar on a terminal, one JSON line per print interval otherwise.
import ArgumentParser
import Foundation
import GPUStyle

/// How progress is shown (`--progress`).
enum ProgressStyle: String, CaseIterable, ExpressibleByArgument {
    case auto, bar, json, none
}

/// Prints iteration progress as a bar (stderr) or JSON lines (stdout).
final class ProgressReporter {
    let style: ProgressStyle
    let printEvery: Int
    private var lastDraw = Date.distantPast

    init(style: ProgressStyle, printEvery: Int) {
        self.style = style == .auto ? (isatty(STDERR_FILENO) != 0 ? .bar : .json) : style
        self.printEvery = printEvery
    }

    /// A stylisation's progress; coarse-to-fine runs show their scale.
    func report(_ progress: StylizeProgress) {
        report(progress.status, saved: progress.savedImage,
               scale: progress.scales > 1 ? (progress.scale, progress.scales, progress.width, progress.height) : nil)
    }

    func report(_ status: IterationStatus, saved: String?, phase: String = "stylize",
                scale: (index: Int, count: Int, width: Int, height: Int)? = nil) {
        switch style {
        case .bar: drawBar(status, saved: saved, scale: scale.map { "\($0.index + 1)/\($0.count) \($0.width)×\($0.height) " } ?? "")
        case .json:
            let due = status.iteration == 1 || status.iteration == status.iterations
                || (printEvery > 0 && status.iteration % printEvery == 0) || saved != nil
            guard due else { return }
            var fields: [String: Any] = [
                "event": "iteration", "phase": phase, "iteration": status.iteration, "iterations": status.iterations,
                "content": status.losses.content, "style": status.losses.style, "tv": status.losses.tv,
                "total": status.losses.total, "elapsed_seconds": status.elapsed,
            ]
            if let scale {
                (fields["scale"], fields["scales"], fields["width"], fields["height"]) = (scale.index, scale.count, scale.width, scale.height)
            }
            if let saved { fields["saved"] = saved }
            emitJSON(fields)
        case .none, .auto: break
        }
    }

    /// Says which memory plan a scale follows (a line on the terminal; a JSON event otherwise).
    func announce(step: ScaleStep, plan: MemoryPlan) {
        switch style {
        case .bar:
            if lastDraw != .distantPast { FileHandle.standardError.write(Data("\n".utf8)) }
            FileHandle.standardError.write(Data("\(step.longestSide) px, \(step.iterations) iterations: memory plan \(plan.summary)\n".utf8))
            lastDraw = .distantPast
        case .json:
            var fields: [String: Any] = ["event": "memory_plan", "longest_side": step.longestSide, "iterations": step.iterations,
                                         "plan": plan.summary, "planned_peak_bytes": plan.plannedPeakBytes, "budget_bytes": plan.budgetBytes]
            if let history = plan.lbfgsHistory { fields["lbfgs_history"] = history }
            emitJSON(fields)
        case .none, .auto: break
        }
    }

    /// Ends the bar's line.
    func finish() {
        if style == .bar { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    func emitJSON(_ fields: [String: Any]) {
        guard style == .json,
              let data = try? JSONSerialization.data(withJSONObject: fields.mapValues(jsonSafe), options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    private func jsonSafe(_ value: Any) -> Any {
        if let d = value as? Double, !d.isFinite { return "\(d)" }
        return value
    }

    private func drawBar(_ status: IterationStatus, saved: String?, scale: String) {
        let now = Date()
        guard status.iteration == status.iterations || saved != nil || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let width = 30
        let fraction = Double(status.iteration) / Double(max(status.iterations, 1))
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let rate = status.iteration > 1 ? Double(status.iteration - 1) / max(status.elapsed, 1e-9) : 0
        let eta = rate > 0 ? Double(status.iterations - status.iteration) / rate : 0
        let line = String(format: "\r%@%@ %d/%d  loss %.4g (content %.3g style %.3g tv %.3g)  %.2f it/s  ETA %@ ",
                          scale, bar, status.iteration, status.iterations, status.losses.total, status.losses.content,
                          status.losses.style, status.losses.tv, rate, formatDuration(eta))
        FileHandle.standardError.write(Data(line.utf8))
        if let saved { FileHandle.standardError.write(Data("\n  saved \(saved)\n".utf8)) }
    }
}

/// "1:02:03" or "2:03".
func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
