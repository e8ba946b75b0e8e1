// AtomicFile.swift — the one way gpustyle writes files: a temporary sibling, fsync, then rename(2), so readers
// never see a partial file and a failure leaves the old file untouched.
import Foundation

/// A file being written in place of `path`: data goes to a hidden temporary file in the same folder,
/// `commit()` flushes it to disk and renames it over `path`; without `commit()` it is removed. Failures are I/O errors
/// (exit 74), images included: a full disk is not a bad image.
final class AtomicFile {
    let path: String
    let temporaryPath: String
    private var fd: Int32
    private var committed = false

    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        temporaryPath = path.hiddenSibling(suffix: ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw GPUStyleError(.io, "\(path): cannot create a temporary file in the folder \(folder) (\(AtomicFile.systemError())); check that it exists and is writable")
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
                throw GPUStyleError(.io, "\(path): write failed (\(AtomicFile.systemError())); is the disk full?")
            }
            if written == 0 { throw GPUStyleError(.io, "\(path): write failed: the system accepted no bytes") }
            offset += written
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes the data and renames the temporary file to `path`. `beforeRename` lets tests inject a failure
    /// after the temporary file is complete.
    func commit(beforeRename: (() throws -> Void)? = nil) throws {
        guard fsync(fd) == 0 else {
            throw GPUStyleError(.io, "\(path): cannot flush to disk (\(AtomicFile.systemError()))")
        }
        let status = close(fd)
        fd = -1
        guard status == 0 else { throw GPUStyleError(.io, "\(path): cannot write (\(AtomicFile.systemError()))") }
        try beforeRename?()
        guard rename(temporaryPath, path) == 0 else {
            let hint = errno == EISDIR ? "; a folder of that name is in the way" : ""
            throw GPUStyleError(.io, "\(path): cannot replace the file (\(AtomicFile.systemError()))\(hint)")
        }
        committed = true
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    static func systemError(_ code: Int32 = errno) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// Writes `data` to `path` atomically (see `AtomicFile`).
public func writeAtomically(_ data: Data, to path: String) throws {
    let file = try AtomicFile(path: path)
    try data.withUnsafeBytes { try file.write($0) }
    try file.commit()
}

/// `path` made absolute against the working folder, with `.` and `..` resolved (links kept): how reports and
/// JSON progress name files.
public func absolutePath(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
