// BatchProgress.swift — what a batch of content images adds to the progress output: labels, events, its summary.
import Foundation
import GPUStyle

/// Progress lines and JSON events for the jobs of a `ContentBatch` (plain, as for one image, when it has one).
struct BatchProgress {
    let reporter: ProgressReporter
    let batch: ContentBatch
    /// Whether the call named several content images (rendered or skipped).
    var inBatch: Bool { batch.count > 1 }

    /// "[2/5] photo.jpg: " in a batch, nothing otherwise.
    func prefix(_ index: Int, _ job: StylizeOptions) -> String {
        inBatch ? "[\(index + 1)/\(batch.jobs.count)] \(job.contentImage ?? ""): " : ""
    }

    /// The content image and its place in a batch, for its JSON events (none outside a batch).
    func context(_ index: Int, _ job: StylizeOptions) -> [String: Any] {
        inBatch ? ["content_image": absolutePath(job.contentImage ?? ""), "index": index, "count": batch.jobs.count] : [:]
    }

    /// Emits a JSON event, with the content image and its place in a batch.
    func emit(_ fields: [String: Any], _ index: Int, _ job: StylizeOptions) {
        reporter.emitJSON(fields.merging(context(index, job)) { a, _ in a })
    }

    /// Runs `body` with every JSON event it emits (iterations, memory plans, notes) carrying job `index`'s context.
    func within<T>(_ index: Int, _ job: StylizeOptions, _ body: () throws -> T) rethrows -> T {
        reporter.context = context(index, job)
        defer { reporter.context = [:] }
        return try body()
    }

    /// Advice that is not an error: a line on stderr and a `note` event.
    func note(_ message: String) {
        printError("gpustyle: note: " + message)
        reporter.emitJSON(["event": "note", "message": message])
    }

    /// A note and a `skipped` event (with `reason`) for a job another process finished or holds.
    func announceTaken(_ index: Int, _ job: StylizeOptions, reason: String) {
        printError("gpustyle: note: skipping \(job.contentImage ?? "the texture"): \(job.outputImage) is \(reason) (--skip-existing)")
        emit(["event": "skipped", "output": absolutePath(job.outputImage), "reason": reason], index, job)
    }

    /// One note and one `skipped` event per job left out by `--skip-existing`.
    func announceSkipped() {
        for job in batch.skipped {
            printError("gpustyle: note: skipping \(job.contentImage ?? "the texture"): \(job.outputImage) is already there (--skip-existing)")
            reporter.emitJSON(["event": "skipped", "content_image": job.contentImage.map(absolutePath) ?? NSNull(), "output": absolutePath(job.outputImage)])
        }
    }

    /// The batch's end, once every image had its turn: a `batch_done` event (also when every image was skipped or
    /// some failed: then the `error` event follows) and, on a terminal, a summary line.
    /// `taken`: images another process finished or held when their turn came (`ContentBatch.sharesWork`).
    func finish(rendered: Int, failed: Int = 0, taken: Int = 0, planOnly: Bool = false) {
        guard inBatch || batch.jobs.isEmpty else { return }
        let skippedCount = batch.skipped.count + taken
        var fields: [String: Any] = ["event": "batch_done", "rendered": rendered, "skipped": skippedCount, "failed": failed]
        if planOnly { fields["plan_only"] = true }
        reporter.emitJSON(fields)
        if reporter.style == .bar && !planOnly && inBatch {
            let skipped = skippedCount == 0 ? "" : " (\(skippedCount) skipped: already there or another process's)"
            printError("rendered \(rendered) of \(batch.count) content image\(batch.count == 1 ? "" : "s")\(skipped)")
        }
    }
}
