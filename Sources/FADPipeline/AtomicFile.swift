import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that are safe with concurrent writers of the same path, from several
/// processes or several nodes sharing one file system (a cache or embedding folder on NFS or
/// Lustre written by every task of an array job).
///
/// Each write goes to a temporary file of its own in the destination's folder (named with the
/// process id and a random UUID, created with `O_EXCL`, so no two writers, even on different
/// hosts, ever share one) and is then renamed over the destination. `rename(2)` within one file
/// system is atomic, also over NFS: a reader sees the old file or a new one whole, never a
/// mixture, and when two writers race the last rename wins with a complete file. Foundation's
/// `.atomic` option is not used because it does not say where its temporary file goes.
///
/// There is no `fsync`: it cost 6.8 ms per file on this project's disk, and a cold audio file
/// writes one cache entry per layer (five for musicnn), for a guarantee that matters only when
/// the machine itself crashes; then the worst case is an empty or unreadable entry, which the
/// cache treats as missing and a scoring run reports as a bad file.
public enum AtomicFile {
    /// Why a file could not be written.
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Writes `data` to `url` atomically, creating missing parent folders.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try createDirectory(folder)
        let temporary = folder.appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: url.path, reason: "cannot create a temporary file (\(errnoText()))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed (\(errnoText()))"
                    return
                }
                offset += n
            }
        }
        if close(fd) != 0, failure == nil { failure = "close failed (\(errnoText()))" }
        if failure == nil, rename(temporary, url.path) != 0 { failure = "rename failed (\(errnoText()))" }
        if let failure {
            unlink(temporary)
            throw WriteError(path: url.path, reason: failure)
        }
    }

    /// Creates `folder` and its parents; another process creating them at the same moment is
    /// not an error.
    public static func createDirectory(_ folder: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            // Lost a race with another creator: fine as long as the folder is there now.
            if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue { return }
            throw WriteError(path: folder.path, reason: "cannot create the folder (\(obstacle(creating: folder) ?? "\(error)"))")
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Why `folder` cannot be created, in plain words: the nearest existing ancestor is not a
    /// folder, or is not writable (Foundation's own error says only "error 512").
    private static func obstacle(creating folder: URL) -> String? {
        var ancestor = folder.deletingLastPathComponent()
        while ancestor.path != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
                if !isDirectory.boolValue { return "\(ancestor.path) is not a folder" }
                if access(ancestor.path, W_OK) != 0 { return "\(ancestor.path) is not writable" }
                return nil
            }
            ancestor = ancestor.deletingLastPathComponent()
        }
        return nil
    }
}

/// `write(2)`, named apart from ``AtomicFile/write(_:to:)``.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
