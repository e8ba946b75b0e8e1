// StyleImageFolders.swift — a folder given as a style image stands for the PNG and JPEG images in it (as neural-style-pt).
import Foundation

extension StylizeOptions {
    /// The image file names a style image folder may hold (compared case-insensitively).
    public static let styleImageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// `paths` with each folder replaced by the .png/.jpg/.jpeg files directly in it, sorted by name (hidden files and
    /// sub-folders left out); files stay as they are, in order.
    /// - Throws: `GPUStyleError(.usage)` naming a folder that holds no such image, or that cannot be read.
    public static func expandingStyleFolders(_ paths: [String]) throws -> [String] {
        func isFolder(_ path: String) -> Bool {
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
        }
        return try paths.flatMap { path -> [String] in
            guard isFolder(path) else { return [path] }
            guard access(path, R_OK | X_OK) == 0 else {
                throw GPUStyleError(.usage, "--style-image \(path): cannot read the folder (\(String(cString: strerror(errno))))")
            }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                throw GPUStyleError(.usage, "--style-image \(path): cannot list the folder")
            }
            let images = names.filter { !$0.hasPrefix(".") && styleImageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted().map { (path as NSString).appendingPathComponent($0) }
                .filter { !isFolder($0) }
            guard !images.isEmpty else {
                throw GPUStyleError(.usage, "--style-image \(path) is a folder without .png, .jpg or .jpeg images; give image files or a folder of them")
            }
            return images
        }
    }
}
