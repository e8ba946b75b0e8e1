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

    /// Emits a JSON event, with the content image and its place in a batch.
    func emit(_ fields: [String: Any], _ index: Int, _ job: StylizeOptions) {
        guard inBatch else { return reporter.emitJSON(fields) }
        reporter.emitJSON(fields.merging(["content_image": absolutePath(job.contentImage ?? ""), "index": index, "count": batch.jobs.count]) { a, _ in a })
    }

    /// Advice that is not an error: a line on stderr and a `note` event.
    func note(_ message: String) {
        printError("gpustyle: note: " + message)
        reporter.emitJSON(["event": "note", "message": message])
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
    func finish(rendered: Int, failed: Int = 0, planOnly: Bool = false) {
        guard inBatch || batch.jobs.isEmpty else { return }
        var fields: [String: Any] = ["event": "batch_done", "rendered": rendered, "skipped": batch.skipped.count, "failed": failed]
        if planOnly { fields["plan_only"] = true }
        reporter.emitJSON(fields)
        if reporter.style == .bar && !planOnly && inBatch {
            let skipped = batch.skipped.isEmpty ? "" : " (\(batch.skipped.count) skipped: already there)"
            printError("rendered \(rendered) of \(batch.count) content image\(batch.count == 1 ? "" : "s")\(skipped)")
        }
    }
}
