// ContentBatch.swift — several content images (folders or a list) stylised in one call: one model load, one device, one style set.
import Foundation

/// The jobs of one `gpustyle stylize` call: one per content image, each with its own output, report and plot, named
/// after the content image through `{name}` (or a folder) in `--output-image`, `--report` and `--plot`.
public struct ContentBatch: Sendable {
    /// Stands for a content image's file name without its extension (`photos/cat.jpg` → `cat`).
    public static let namePlaceholder = "{name}"

    /// One `StylizeOptions` per content image to render, in order (style folders expanded once, for all).
    public let jobs: [StylizeOptions]
    /// The jobs left out because their output is already there (`skipExisting`).
    public let skipped: [StylizeOptions]
    /// Advice that is not an error (files of a content folder left out as earlier results).
    public private(set) var notes: [String] = []
    /// Whether each image after the first starts from the previous image's result (`--init previous`: frames).
    public let initFromPrevious: Bool
    /// Whether that start is carried along the optical flow between the two content images (`--init previous-warped`).
    public let warpsPrevious: Bool
    /// Whether the images are frames tied one to the next: a warped start or a temporal loss (`--temporal-weight`).
    let followsFrames: Bool
    /// `--skip-existing`: each image is looked at again just before it renders, and claimed (`OutputClaim`), so
    /// processes given the same images share them.
    public let sharesWork: Bool
    /// Every job's result path in content order, skipped ones too, and where each job of `jobs` stands in it.
    private var resultsInOrder: [String] = [], positions: [Int] = []
    /// Every job's content image in the same order.
    private var contentsInOrder: [String] = []
    /// How many content images the call named, folders expanded (rendered or skipped).
    public var count: Int { jobs.count + skipped.count }

    /// Expands `contentImages` (files, or folders standing for the .png/.jpg/.jpeg images directly in them, sorted by
    /// name, leaving out files named like this call's outputs) and gives each its output paths from `base`'s: a path
    /// holding `{name}` takes the content's name there; a folder (written with a trailing `/`, or an existing one without an extension) stands for
    /// `FOLDER/{name}.png` (`.json` for the report, `.svg` for the plot). With several content images every output
    /// path must be one of these. No content image (texture synthesis) is one job of `base` as it is.
    /// - Throws: `GPUStyleError(.usage)` for an empty folder, two content images of one name, an output path that
    ///   would be written for each image, or a content image that one of the outputs may overwrite.
    /// `saveEveryInBatch`, when given, replaces `base.saveEvery` when there are several content images (the CLI: no
    /// intermediates in a batch unless `--save-iter` asks).
    /// With `initFromPrevious` (several content images only) each image after the first starts from the result of the
    /// one before it in name order, when that is there (`renderAll` sets its `initImage`); with `warpsPrevious` that result
    /// is carried along the optical flow first. With `base.temporalWeight` > 0 each is also tied to it by the temporal loss.
    public init(base: StylizeOptions, contentImages: [String], skipExisting: Bool = false, saveEveryInBatch: Int? = nil,
                initFromPrevious: Bool = false, warpsPrevious: Bool = false) throws {
        var base = base, notes: [String] = []
        self.initFromPrevious = initFromPrevious || warpsPrevious
        self.warpsPrevious = warpsPrevious
        followsFrames = warpsPrevious || base.temporalWeight > 0
        self.sharesWork = skipExisting
        func skips(_ job: StylizeOptions) -> Bool { skipExisting && job.isDone }
        // What ties frames together, as the user asked for it (for the messages).
        let chaining = warpsPrevious ? "--init previous-warped" : initFromPrevious ? "--init previous" : base.temporalWeight > 0 ? "--temporal-weight" : nil
        guard !contentImages.isEmpty else {
            if let chaining { throw GPUStyleError(.usage, "\(chaining) ties each content image to the previous one's result; texture synthesis has none") }
            for (option, path) in base.writtenPaths where path.contains(Self.namePlaceholder) {
                throw GPUStyleError(.usage, "\(option) \(path): \(Self.namePlaceholder) stands for the content image's name, and texture synthesis has no content image; give a file name")
            }
            try base.expandStyleFolders()
            (jobs, skipped) = skips(base) ? ([], [base]) : ([base], [])
            (resultsInOrder, positions) = ([base.outputImage], jobs.isEmpty ? [] : [0])
            return
        }
        let outputs = try OutputNames(base)
        // A content folder leaves out this call's outputs (said in `notes`), its init image and the style images named as files.
        let named = ([base.initImage].compactMap { $0 } + base.styleMasks + base.styleImageMasks
                     + base.styleImages.filter { !StylizeOptions.isFolder($0) })
            .map { StylizeOptions.resolvedURL($0).path }
        var outputLike: [String] = []
        let contents = try StylizeOptions.expandingFolders(contentImages, option: "--content-image", leavingOut: { path in
            if outputs.writer(of: path) != nil { outputLike.append(path); return true }
            return named.contains(StylizeOptions.resolvedURL(path).path)
        }, leftOut: "this call's style, mask, init and output images")
        if !outputLike.isEmpty {
            let shown = outputLike.prefix(3).map { ($0 as NSString).lastPathComponent }.joined(separator: ", ") + (outputLike.count > 3 ? ", …" : "")
            notes.append("left out \(outputLike.count) image\(outputLike.count == 1 ? "" : "s") of the content folder named like this call's outputs (\(shown)): earlier results, not photographs")
        }
        if contents.count > 1 { try outputs.requirePerImage(count: contents.count) }
        if let chaining, contents.count < 2 {
            throw GPUStyleError(.usage, "\(chaining) ties each image to the result of the one before it: give several content images (a folder of frames)")
        }
        let contentFolders = contentImages.filter(StylizeOptions.isFolder).map { StylizeOptions.resolvedURL($0).path }
        if let template = outputs.bareNameIn(contentFolders) {
            throw GPUStyleError(.usage, "\(template.option) \(template.pattern) puts each result in the content folder under the photograph's own name, where a photograph may be overwritten; choose another folder, or a name such as \(template.suggestion)")
        }
        // (One output path for one image: its own checks name the clash, `validateOutputPath`.)
        for content in contents where !outputs.output.isLiteral {
            if let template = outputs.writer(of: content) {
                throw GPUStyleError(.usage, "--content-image \(content) has the name of an output of this call (\(template.option) \(template.pattern)) and may be overwritten; choose another \(template.option)")
            }
        }
        var owner: [String: String] = [:]
        for content in contents {
            let name = Self.name(of: content)
            if let other = owner[name] {
                if StylizeOptions.sameFile(other, content) { throw GPUStyleError(.usage, "--content-image \(content) is given twice; give each image once") }
                throw GPUStyleError(.usage, "--content-image \(other) and \(content) are both named '\(name)', so both results would be \(outputs.output.path(for: name)); rename one or render them in separate calls")
            }
            owner[name] = content
        }
        // `photo` writes photo_100.png (--save-iter, an interrupt) and photo_512x384.png (--save-scales) beside its result.
        for content in contents where !outputs.output.isLiteral {
            if let stem = StylizeOptions.stemWithoutDerivedSuffix(Self.name(of: content)), let other = owner[stem] {
                throw GPUStyleError(.usage, "--content-image \(content): its result \(outputs.output.path(for: Self.name(of: content))) has the name of an in-between image of \(other)'s result and one would overwrite the other; rename it")
            }
        }
        if contents.count > 1, let saveEveryInBatch { base.saveEvery = saveEveryInBatch }
        let resolvedContents = Set(contents.map { StylizeOptions.resolvedURL($0).path })
        try base.expandStyleFolders(alsoLeavingOut: { resolvedContents.contains(StylizeOptions.resolvedURL($0).path) || outputs.writer(of: $0) != nil })
        var jobs: [StylizeOptions] = [], skipped: [StylizeOptions] = []
        for content in contents {
            var job = base
            let name = Self.name(of: content)
            job.contentImage = content
            job.outputImage = outputs.output.path(for: name)
            job.reportPath = outputs.report?.path(for: name)
            job.plotPath = outputs.plot?.path(for: name)
            if skips(job) { skipped.append(job) } else { positions.append(resultsInOrder.count); jobs.append(job) }
            resultsInOrder.append(job.outputImage)
            contentsInOrder.append(content)
        }
        (self.jobs, self.skipped, self.notes) = (jobs, skipped, notes)
    }

    /// Renders the jobs in turn with `render` (given each job's index). A content image that fails on its own account
    /// (not decodable, too small for the layers, a loss that stays non-finite: errors of kind `.image`, `.usage`,
    /// `.numerics`) goes to `onFailure` and the batch goes on; any other error (the device, the disk) stops it. An
    /// interrupt (during a job, or `isInterrupted` between two) says how far the batch got. With one job its error
    /// propagates as it is.
    /// - Throws: after the last job, when any failed, an error of the first failure's kind naming each failed image.
    /// With `sharesWork`, a job another process finished or holds meanwhile goes to `onTaken` (with why) instead.
    public func renderAll<Result>(_ render: (Int, StylizeOptions) throws -> Result, isInterrupted: () -> Bool = { false },
                                  onFailure: (Int, StylizeOptions, GPUStyleError) -> Void = { _, _, _ in },
                                  onTaken: (Int, StylizeOptions, String) -> Void = { _, _, _ in },
                                  finished: (_ rendered: Int, _ failed: Int) -> Void = { _, _ in }) throws -> [Result] {
        // Results a frame may start from: the skipped images' (there from an earlier call) and this call's own.
        var available = Set(resultsInOrder.indices).subtracting(positions)
        guard jobs.count > 1 else {
            let results = try jobs.indices.map { try render($0, start(of: $0, available: available)) }
            finished(results.count, 0)
            return results
        }
        var reports: [Result] = [], failures: [(job: StylizeOptions, error: GPUStyleError)] = []
        func progress(_ started: Int) -> String {
            let left = jobs.count - started
            return "\(reports.count) of \(jobs.count) content images were done\(left > 0 ? ", \(left) not started" : "") (add --skip-existing to the same command to go on)"
        }
        for index in jobs.indices {
            let job = start(of: index, available: available)
            if index > 0 && isInterrupted() { throw GPUStyleError(.interrupted, "interrupted between two content images; \(progress(index))") }
            var claim: OutputClaim?
            if sharesWork {
                if job.isDone {
                    onTaken(index, job, "done meanwhile by another process")
                    available.insert(positions[index])
                    continue
                }
                guard let taken = OutputClaim.take(for: job.outputImage) else {
                    onTaken(index, job, "being rendered by another process (\(OutputClaim.path(for: job.outputImage)))")
                    continue
                }
                claim = taken
            }
            defer { claim?.release() }
            do {
                reports.append(try render(index, job))
                available.insert(positions[index])
            } catch let error as GPUStyleError where [.image, .usage, .numerics].contains(error.kind) {
                failures.append((job, error))
                onFailure(index, job, error)
            } catch let error as GPUStyleError where error.kind == .interrupted {
                throw GPUStyleError(.interrupted, "\(error.message); \(progress(index + 1))")
            }
        }
        finished(reports.count, failures.count)  // every image had its turn (an error above stops the batch instead)
        guard let first = failures.first else { return reports }
        let list = failures.map { Self.naming($0.job, $0.error) }.joined(separator: "; ")
        let others = reports.isEmpty ? "no result was written" : reports.count == 1 ? "the other result was written" : "the other \(reports.count) results were written"
        throw GPUStyleError(first.error.kind, "\(failures.count) of \(jobs.count) content images failed (\(list)); \(others)")
    }

    /// Job `index`, starting from the previous content image's result with `initFromPrevious` when that is one of
    /// `available` (rendered in this call, or skipped as done by an earlier one: `--skip-existing`), not a file a
    /// failed image left from some other run.
    func start(of index: Int, available: Set<Int>) -> StylizeOptions {
        var job = jobs[index]
        let position = positions[index]
        guard position > 0 else { return job }
        guard available.contains(position - 1) else {
            if initFromPrevious || followsFrames {
                job.untiedReason = "\(Self.name(of: contentsInOrder[position - 1])) before it has no result (it failed, or another process sharing the folder has not finished it): it starts as a first frame does, not tied to it"
            }
            return job
        }
        if initFromPrevious {
            (job.initImage, job.initialization, job.initImageIsPreviousResult) = (resultsInOrder[position - 1], .image, true)
        }
        if followsFrames {
            job.previousFrame = .init(contentImage: contentsInOrder[position - 1], result: resultsInOrder[position - 1], warpsInit: warpsPrevious)
        }
        return job
    }

    /// Job `index` as `--plan-only` plans it: tied to the frame before it as if every earlier one had been rendered.
    public func planned(_ index: Int) -> StylizeOptions { start(of: index, available: Set(resultsInOrder.indices)) }

    /// Reads the style images and masks (when `styles`) and the init image that every job shares, once: a broken one
    /// (a black mask, one over a style image at other proportions) is one error before the first job, not one failure
    /// per content image.
    public func checkSharedImages(styles: Bool) throws {
        guard jobs.count > 1, let job = jobs.first else { return }
        for (index, path) in (styles ? job.styleImages : []).enumerated() {
            let style = try ImageIO.read(path: path, maxPixels: job.maxPixels)
            if index < job.styleImageMasks.count {
                _ = try StylizeJob.readStyleImageMask(job.styleImageMasks[index], over: style, stylePath: path, maxPixels: job.maxPixels)
            }
        }
        _ = try job.initImage.map { try ImageIO.read(path: $0, maxPixels: job.maxPixels) }
        for path in styles ? job.styleMasks : [] {
            try StylizeJob.checkStyleMaskPaints(try StylizeJob.readMask(path, maxPixels: job.maxPixels), path: path)
        }
    }

    /// `error`'s message, led by the job's content image unless it names it already.
    public static func naming(_ job: StylizeOptions, _ error: GPUStyleError) -> String {
        guard let content = job.contentImage, !error.message.contains(content) else { return error.message }
        return "\(content): \(error.message)"
    }

    /// `path`'s file name without its extension: what `{name}` stands for.
    public static func name(of path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }
}

/// The output, report and plot paths of a batch as templates.
private struct OutputNames {
    let output: NameTemplate
    let report: NameTemplate?, plot: NameTemplate?

    init(_ base: StylizeOptions) throws {
        output = try NameTemplate(option: "--output-image", path: base.outputImage, folderExtension: "png")
        report = try base.reportPath.map { try NameTemplate(option: "--report", path: $0, folderExtension: "json") }
        plot = try base.plotPath.map { try NameTemplate(option: "--plot", path: $0, folderExtension: "svg") }
    }

    /// Every path must differ per content image when there are `count` of them.
    func requirePerImage(count: Int) throws {
        for template in [output, report, plot].compactMap({ $0 }) where template.isLiteral {
            let folder = StylizeOptions.isFolder(template.pattern) ? "; it is a folder: write it with its slash (\(template.pattern)/) to put each result there" : ""
            throw GPUStyleError(.usage, "\(template.option) \(template.pattern) would be written for each of \(count) content images; give a folder (results/) or a name with \(ContentBatch.namePlaceholder), such as \(template.suggestion)\(folder)")
        }
    }

    /// The template whose outputs `path` has the form of: an output image (or its intermediates) or a .png plot.
    func writer(of path: String) -> NameTemplate? {
        if output.matches(path, derived: true) { return output }
        return plot.flatMap { $0.matches(path, derived: false) ? $0 : nil }
    }

    /// The output or plot template that is a bare `{name}.EXT` in one of `folders`.
    func bareNameIn(_ folders: [String]) -> NameTemplate? {
        [output, plot].compactMap { $0 }.first { !$0.isLiteral && $0.isBareName && folders.contains($0.folder) }
    }
}

/// A path in which `{name}` stands for each content image's name (`isLiteral`: one path for all).
struct NameTemplate {
    let option: String
    /// As the user wrote it, with a folder completed to `FOLDER/{name}.EXT`.
    let pattern: String
    /// The folder it writes in (resolved), and the file name around `{name}`.
    let folder: String
    private let prefix: String, suffix: String
    /// The extension a folder given for this option stands for (png, json, svg).
    private let folderExtension: String

    init(option: String, path: String, folderExtension: String) throws {
        (self.option, self.folderExtension) = (option, folderExtension)
        var pattern = path
        // A folder named like a file (`out.png/`) stays an error unless written with its slash.
        let folderLike = path.hasSuffix("/") || StylizeOptions.isFolder(path) && (path as NSString).pathExtension.isEmpty
        if !path.contains(ContentBatch.namePlaceholder) && folderLike {
            pattern = (path as NSString).appendingPathComponent("\(ContentBatch.namePlaceholder).\(folderExtension)")
        }
        let ns = pattern as NSString
        guard !pattern.parentPath.contains(ContentBatch.namePlaceholder) else {
            throw GPUStyleError(.usage, "\(option) \(path): \(ContentBatch.namePlaceholder) may only be in the file name, not in a folder of the path")
        }
        let file = ns.lastPathComponent
        let parts = file.components(separatedBy: ContentBatch.namePlaceholder)
        guard parts.count <= 2 else { throw GPUStyleError(.usage, "\(option) \(path): give \(ContentBatch.namePlaceholder) once") }
        self.pattern = pattern
        folder = StylizeOptions.resolvedURL(pattern.parentPath.isEmpty ? "." : pattern.parentPath).path
        (prefix, suffix) = parts.count == 2 ? (parts[0], parts[1]) : (file, "")
    }

    var isLiteral: Bool { !pattern.contains(ContentBatch.namePlaceholder) }

    /// `{name}.EXT`: the content image's own file name, give or take the extension.
    var isBareName: Bool { prefix.isEmpty && suffix.hasPrefix(".") && !suffix.dropFirst().contains(".") }

    /// A per-image name for this option in `results/`, e.g. `results/{name}_styled.png`.
    var suggestion: String {
        let ext = (pattern as NSString).pathExtension
        let known = ["png", "jpg", "jpeg", "json", "svg"].contains(ext.lowercased())
        return "results/\(ContentBatch.namePlaceholder)_styled.\(known ? ext : folderExtension)"
    }

    func path(for name: String) -> String { pattern.replacingOccurrences(of: ContentBatch.namePlaceholder, with: name) }

    /// Whether `path` is this template for some name (for a literal, the path itself); with `derived`, also the
    /// intermediates and scale images named after it (`_<N>`, `_<W>x<H>` before the extension).
    func matches(_ path: String, derived: Bool) -> Bool {
        let url = StylizeOptions.resolvedURL(path)
        guard url.deletingLastPathComponent().path == folder else { return false }
        let file = url.lastPathComponent
        func fits(_ file: String) -> Bool {
            isLiteral ? file == prefix : file.count > prefix.count + suffix.count && file.hasPrefix(prefix) && file.hasSuffix(suffix)
        }
        if fits(file) { return true }
        guard derived, let stem = StylizeOptions.stemWithoutDerivedSuffix(url.deletingPathExtension().lastPathComponent) else { return false }
        return fits(url.pathExtension.isEmpty ? stem : stem + "." + url.pathExtension)
    }
}

extension StylizeOptions {
    /// The files a run writes besides intermediates, with their options.
    var writtenPaths: [(option: String, path: String)] {
        [("--output-image", outputImage)] + [("--report", reportPath), ("--plot", plotPath)].compactMap { o, p in p.map { (o, $0) } }
    }

    /// Whether the job is done (`--skip-existing`): its image and the report and plot asked for are there (the image
    /// is written last, so a run whose report write failed left neither).
    var isDone: Bool { writtenPaths.allSatisfy { FileManager.default.fileExists(atPath: $0.path) } }
}
