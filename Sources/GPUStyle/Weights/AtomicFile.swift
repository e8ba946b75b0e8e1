// AtomicFile.swift — writes a file through a temporary sibling and rename(2), so readers never see a partial file.
import Foundation

/// A file being written in place of `path`: data goes to a hidden temporary file in the same folder,
/// `commit()` flushes it to disk and renames it over `path`; without `commit()` it is removed.
final class AtomicFile {
    let path: String
    let temporaryPath: String
    private var fd: Int32
    private var committed = false

    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        temporaryPath = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw GPUStyleError(.io, "\(path): cannot create a temporary file in \(folder) (\(String(cString: strerror(errno)))); check that the folder exists and is writable")
        }
    }

    /// Appends `bytes`, retrying short writes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let written = Foundation.write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw GPUStyleError(.io, "\(path): write failed (\(String(cString: strerror(errno)))); is the disk full?")
            }
            offset += written
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes the data and renames the temporary file to `path`.
    func commit() throws {
        guard fsync(fd) == 0 else {
            throw GPUStyleError(.io, "\(path): cannot flush to disk (\(String(cString: strerror(errno))))")
        }
        close(fd)
        fd = -1
        guard rename(temporaryPath, path) == 0 else {
            throw GPUStyleError(.io, "\(path): cannot rename the temporary file into place (\(String(cString: strerror(errno))))")
        }
        committed = true
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }
}
