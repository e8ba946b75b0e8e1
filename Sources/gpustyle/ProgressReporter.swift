// ProgressReporter.swift — a live bar on a terminal, one JSON line per print interval otherwise.
import ArgumentParser
import Foundation
import GPUStyle

/// How progress is shown (`--progress`).
enum ProgressStyle: String, CaseIterable, ExpressibleByArgument {
    case auto, bar, json, none

    /// `auto` made concrete: a bar when stderr is a terminal, JSON lines otherwise.
    var resolved: ProgressStyle { self == .auto ? (isatty(STDERR_FILENO) != 0 ? .bar : .json) : self }
}

/// Prints iteration progress as a bar (stderr) or JSON lines (stdout).
final class ProgressReporter {
    let style: ProgressStyle
    let printEvery: Int
    /// Fields every JSON event carries while set (in a batch: the image being rendered); an event's own win.
    var context: [String: Any] = [:]
    private var lastDraw = Date.distantPast

    init(style: ProgressStyle, printEvery: Int) {
        self.style = style.resolved
        self.printEvery = printEvery
    }

    /// A stylisation's progress; coarse-to-fine runs show their scale (JSON: `iteration` of the scale, and
    /// `run_iteration` counted across scales, as the report and the saved images number them).
    func report(_ progress: StylizeProgress) {
        report(progress.status, saved: progress.savedImage,
               scale: progress.scales > 1 || progress.coarseToFine
                   ? (progress.scale, progress.scales, progress.width, progress.height, progress.runIteration, progress.runIterations) : nil,
               laterWork: progress.laterScalesWork)
    }

    /// `laterWork`: what later scales add to the bar's ETA, in iterations of this one (`StylizeProgress.laterScalesWork`).
    func report(_ status: IterationStatus, saved: String?, phase: String = "stylize",
                scale: (index: Int, count: Int, width: Int, height: Int, runIteration: Int, runIterations: Int)? = nil,
                laterWork: Double = 0) {
        switch style {
        case .bar: drawBar(status, saved: saved, scale: scale.map { "\($0.index + 1)/\($0.count) \($0.width)×\($0.height) " } ?? "",
                           laterWork: laterWork)
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
                (fields["run_iteration"], fields["run_iterations"]) = (scale.runIteration, scale.runIterations)
            }
            if let saved { fields["saved"] = absolutePath(saved) }
            if let temporal = status.losses.temporal { fields["temporal"] = temporal }
            emitJSON(fields)
        case .none, .auto: break
        }
    }

    /// Says which memory plan a scale follows (a line on the terminal; a JSON event otherwise).
    func announce(step: ScaleStep, plan: MemoryPlan) {
        switch style {
        case .bar:
            if lastDraw != .distantPast { writeStandard("\n") }
            writeStandard("\(step.longestSide) px, \(step.iterations) iterations: memory plan \(plan.summary)\n")
            lastDraw = .distantPast
        case .json:
            var fields: [String: Any] = ["event": "memory_plan", "longest_side": step.longestSide, "iterations": step.iterations,
                                         "plan": plan.summary, "planned_peak_bytes": plan.plannedPeakBytes, "budget_bytes": plan.budgetBytes]
            if let history = plan.lbfgsHistory { fields["lbfgs_history"] = history }
            emitJSON(fields)
        case .none, .auto: break
        }
    }

    /// Ends the bar's line, if one was drawn.
    func finish() {
        if style == .bar && lastDraw != .distantPast { writeStandard("\n") }
        lastDraw = .distantPast
    }

    /// Runs `body`; if it throws, JSON progress ends with an `error` event (kind, exit code, message) before the error
    /// goes on, so a consumer learns how the run ended, whatever ended it.
    func endingWithErrorEvent(_ body: () throws -> Void) throws {
        do { try body() } catch {
            emitError(error)
            throw error
        }
    }

    /// The `error` event (JSON progress only): kind, exit code and message.
    func emitError(_ error: Error) {
        let kind = (error as? GPUStyleError)?.kind
        emitJSON(["event": "error", "kind": kind?.rawValue ?? "other", "exit_code": kind?.exitCode ?? GPUStyleCommand.exitCode(for: error).rawValue,
                  "message": (error as? GPUStyleError)?.message ?? "\(error)"])
    }

    func emitJSON(_ fields: [String: Any]) {
        guard style == .json,
              let data = try? JSONSerialization.data(withJSONObject: fields.merging(context) { own, _ in own }.mapValues(jsonSafe),
                                                      options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        try? FileHandle.standardOutput.write(contentsOf: data + Data("\n".utf8))
    }

    private func jsonSafe(_ value: Any) -> Any {
        if let d = value as? Double, !d.isFinite { return "\(d)" }
        return value
    }

    private func drawBar(_ status: IterationStatus, saved: String?, scale: String, laterWork: Double) {
        let now = Date()
        guard status.iteration == status.iterations || saved != nil || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        writeStandard(Self.barFrame(status, scale: scale, columns: terminalColumns(), laterWork: laterWork))
        if let saved { writeStandard("\n  saved \(saved)\n") }
    }

    /// ANSI "erase to end of line": clears what a longer earlier draw left to the right of this one.
    static let eraseToEndOfLine = "\u{1B}[K"

    /// One redraw of the bar: back to the line's start, the bar, and the rest of the line cleared.
    static func barFrame(_ status: IterationStatus, scale: String, columns: Int, laterWork: Double = 0) -> String {
        "\r" + barLine(status, scale: scale, columns: columns, laterWork: laterWork) + eraseToEndOfLine
    }

    /// The bar's text for one status, cut to `columns` − 1 characters (the loss breakdown goes first): a line that wrapped would leave its first rows on
    /// screen at every redraw (a carriage return only goes back to the start of the last row). The bar fills over this
    /// scale; the ETA is the whole run's, with `laterWork` iterations at this scale's rate for the later scales.
    static func barLine(_ status: IterationStatus, scale: String, columns: Int, laterWork: Double = 0) -> String {
        let width = 30
        let fraction = Double(status.iteration) / Double(max(status.iterations, 1))
        let filled = min(width, max(0, Int(fraction * Double(width))))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let rate = status.iteration > 1 ? Double(status.iteration - 1) / max(status.elapsed, 1e-9) : 0
        let eta = rate > 0 ? (Double(status.iterations - status.iteration) + laterWork) / rate : 0
        // The loss breakdown last, so that a narrow terminal cuts it before the rate and ETA.
        let temporal = status.losses.temporal.map { String(format: " temporal %.3g", $0) } ?? ""
        let line = String(format: "%@%@ %d/%d  loss %.4g  %.2f it/s  ETA %@  (content %.3g style %.3g tv %.3g%@)",
                          scale, bar, status.iteration, status.iterations, status.losses.total, rate, formatDuration(eta),
                          status.losses.content, status.losses.style, status.losses.tv, temporal)
        return String(line.prefix(max(columns - 1, 1)))
    }
}

/// The terminal's width in columns (stderr's window, else `$COLUMNS`, else 80).
func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
    return 80
}

/// "1:02:03" or "2:03".
func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
