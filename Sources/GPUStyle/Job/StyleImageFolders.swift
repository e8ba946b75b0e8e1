// StyleImageFolders.swift — a folder given as a style image stands for the PNG and JPEG images in it (as neural-style-pt).
import Foundation

extension StylizeOptions {
    /// The image file names a style image folder may hold (compared case-insensitively).
    public static let styleImageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Replaces each folder in `styleImages` by the .png/.jpg/.jpeg files directly in it, sorted by name
    /// (byte order: `B.png` before `a.png`; `--style-blend-weights` follow this order). Hidden files, sub-folders
    /// and the files this run reads or writes otherwise (content, init and output image, the images derived from
    /// the output: an earlier run's result left in the style folder) are left out. Files stay as they are, in order.
    /// - Throws: `GPUStyleError(.usage)` naming a folder that holds no such image, or that cannot be read.
    public mutating func expandStyleFolders() throws {
        func isFolder(_ path: String) -> Bool {
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
        }
        let others = [contentImage, initImage, outputImage].compactMap { $0 }
        func isOtherwiseUsed(_ path: String) -> Bool {
            others.contains { Self.sameFile($0, path) } || isDerivedOutput(path)
        }
        styleImages = try styleImages.flatMap { path -> [String] in
            guard isFolder(path) else { return [path] }
            guard access(path, R_OK | X_OK) == 0 else {
                throw GPUStyleError(.usage, "--style-image \(path): cannot read the folder (\(String(cString: strerror(errno))))")
            }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                throw GPUStyleError(.usage, "--style-image \(path): cannot list the folder")
            }
            let candidates = names.filter { !$0.hasPrefix(".") && Self.styleImageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
                .map { (path as NSString).appendingPathComponent($0) }
                .filter { !isFolder($0) }
            let images = candidates.filter { !isOtherwiseUsed($0) }
            guard !images.isEmpty else {
                let left = candidates.isEmpty ? "" : " other than the content, init or output images of this run"
                throw GPUStyleError(.usage, "--style-image \(path) is a folder without .png, .jpg or .jpeg images\(left); give image files or a folder of them")
            }
            return images
        }
    }
}
