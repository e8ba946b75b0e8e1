// StyleImageFolders.swift — a folder given as a style or content image stands for the PNG and JPEG images in it (as neural-style-pt).
import Foundation

extension StylizeOptions {
    /// The image file names a style or content image folder may hold (compared case-insensitively).
    public static let styleImageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Replaces each folder in `styleImages` by the .png/.jpg/.jpeg files directly in it, sorted by name
    /// (byte order: `B.png` before `a.png`; `--style-blend-weights` follow this order). Hidden files, sub-folders
    /// and the files this run reads or writes otherwise (content, init and output image, the images derived from
    /// the output: an earlier run's result left in the style folder; and whatever `alsoLeavingOut` names, such as a
    /// batch's other content images and outputs) are left out. Files stay as they are, in order.
    /// - Throws: `GPUStyleError(.usage)` naming a folder that holds no such image, or that cannot be read.
    public mutating func expandStyleFolders(alsoLeavingOut isBatchFile: (String) -> Bool = { _ in false }) throws {
        let others = [contentImage, initImage, outputImage].compactMap { $0 } + styleMasks + styleImageMasks
        func isOtherwiseUsed(_ path: String) -> Bool {
            others.contains { Self.sameFile($0, path) } || isDerivedOutput(path) || isBatchFile(path)
        }
        styleImages = try Self.expandingFolders(styleImages, option: "--style-image", leavingOut: isOtherwiseUsed,
                                                leftOut: "the content, init, mask or output images of this run")
    }

    /// `paths` with each folder replaced by its images (`imageFiles`) less those `leavingOut` names; files as given.
    /// - Throws: `GPUStyleError(.usage)` for a folder left with no image, saying whether `leftOut` took them all.
    static func expandingFolders(_ paths: [String], option: String, leavingOut: (String) -> Bool, leftOut: String) throws -> [String] {
        try paths.flatMap { path -> [String] in
            guard let candidates = try imageFiles(inFolder: path, option: option) else { return [path] }
            let images = candidates.filter { !leavingOut($0) }
            guard !images.isEmpty else {
                let left = candidates.isEmpty ? "" : " other than \(leftOut)"
                throw GPUStyleError(.usage, "\(option) \(path) is a folder without .png, .jpg or .jpeg images\(left); give image files or a folder of them")
            }
            return images
        }
    }

    /// Whether `path` names a folder (after following links).
    static func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }

    /// The .png/.jpg/.jpeg files directly in `path`, sorted by name in byte order, hidden files and sub-folders left
    /// out; nil when `path` is not a folder.
    /// - Throws: `GPUStyleError(.usage)` naming `option` when the folder cannot be read.
    static func imageFiles(inFolder path: String, option: String) throws -> [String]? {
        guard isFolder(path) else { return nil }
        guard access(path, R_OK | X_OK) == 0 else {
            throw GPUStyleError(.usage, "\(option) \(path): cannot read the folder (\(String(cString: strerror(errno))))")
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw GPUStyleError(.usage, "\(option) \(path): cannot list the folder")
        }
        return names.filter { !$0.hasPrefix(".") && styleImageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
            .map { (path as NSString).appendingPathComponent($0) }
            .filter { !isFolder($0) }
    }
}
