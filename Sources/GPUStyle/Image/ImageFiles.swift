// ImageFiles.swift — reading a whole image file with checks, and writing one atomically (temp file + rename).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum ImageFiles {
    /// Reads a regular file of at most `maxBytes` bytes.
    static func readAll(path: String, maxBytes: Int) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below); no effect on files.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw GPUStyleError(.image, "\(path): cannot open the image: \(systemError(errno))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw GPUStyleError(.image, "\(path): cannot read the image: \(systemError(errno))")
        }
        let type = status.st_mode & S_IFMT
        if type == S_IFDIR { throw GPUStyleError(.image, "\(path): is a folder, not an image file") }
        guard type == S_IFREG else {
            throw GPUStyleError(.image, "\(path): is not a regular file (a device, pipe or socket); give an image file")
        }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            throw GPUStyleError(.image, "\(path): the file is \(size) bytes, more than any PNG or JPEG within the pixel limit needs (\(maxBytes) bytes); raise the limit with --max-pixels if the image is genuine")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return read(descriptor, base + filled, size - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw GPUStyleError(.image, "\(path): cannot read the image: \(systemError(errno))")
            }
            if count == 0 { break }  // the file shrank while being read
            filled += count
        }
        if filled < size { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// Writes `bytes` to `path` atomically (`AtomicFile`): `path` either keeps its old content or gets the complete
    /// new one, and the temporary file never survives. `beforeRename` lets tests inject a failure after the
    /// temporary file is complete.
    static func writeAtomically(_ bytes: [UInt8], to path: String, beforeRename: (() throws -> Void)? = nil) throws {
        let (_, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw GPUStyleError(.image, "\(path): not a file name to write an image to")
        }
        let file = try AtomicFile(path: path)
        try file.write(bytes)
        try file.commit(beforeRename: beforeRename)
    }

    /// Splits a path into its folder ("" for the current one) and its last component.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    static func systemError(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
