import Foundation

/// Reads files that come from outside (embeddings, statistics, weights, checkpoints, cache
/// entries), refusing anything but a regular file.
///
/// `Data(contentsOf:)` reads a FIFO until its writer closes it (forever when there is none),
/// `/dev/zero` until memory runs out, and blocks on opening a FIFO at all. Here the path is
/// opened with `O_NONBLOCK` (opening a FIFO returns at once), the descriptor is checked with
/// `fstat`, and only then are its bytes mapped or read, so the check and the read see the
/// same file. Symlinks are followed; a loop of them is reported as such (ELOOP).
public enum RegularFile {
    /// Why a file could not be read; `reason` does not repeat the path.
    public struct Failure: Error, CustomStringConvertible, Sendable, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The file's bytes, memory-mapped (or read, where mapping fails) after checking that `url`
    /// names a regular file. `maximumBytes` refuses larger files before anything is read.
    public static func read(_ url: URL, maximumBytes: Int = .max) throws -> Data {
        let path = url.path
        let fd = try openForReading(path)
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(path: path, reason: "cannot read (\(reason))")
        }
        if let kind = irregularKind(status.st_mode) {
            close(fd)
            throw Failure(path: path, reason: "\(kind), not a regular file: refused")
        }
        let size = Int(status.st_size)
        guard size <= maximumBytes else {
            close(fd)
            throw Failure(path: path, reason: "\(size) bytes, more than the \(maximumBytes) this file type may hold")
        }
        if size == 0 { close(fd); return Data() }
        if let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != UnsafeMutableRawPointer(bitPattern: -1) {
            close(fd)
            return Data(bytesNoCopy: base, count: size, deallocator: .custom { pointer, count in
                munmap(pointer, count)
            })
        }
        // Mapping can fail on some file systems: read instead (the size is known and bounded).
        defer { close(fd) }
        var data = Data(count: size)
        var done = 0
        while done < size {
            let got = data.withUnsafeMutableBytes { raw in
                systemRead(fd, raw.baseAddress! + done, size - done)
            }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else {
                throw Failure(path: path, reason: got == 0 ? "file shrank while being read" : "read error (\(String(cString: strerror(errno))))")
            }
            done += got
        }
        return data
    }

    /// Throws unless `url` names (through any symlinks) a regular file that can be opened.
    public static func check(_ url: URL) throws {
        let fd = try openForReading(url.path)
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw Failure(path: url.path, reason: "cannot read (\(String(cString: strerror(errno))))")
        }
        if let kind = irregularKind(status.st_mode) {
            throw Failure(path: url.path, reason: "\(kind), not a regular file: refused")
        }
    }

    /// What a non-regular file is, for messages; nil for a regular file.
    public static func irregularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    private static func openForReading(_ path: String) throws -> Int32 {
        let fd = systemOpen(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            let reason: String
            switch code {
            case ENOENT: reason = "no such file"
            case ELOOP: reason = "too many levels of symbolic links (a symlink loop?)"
            default: reason = "cannot open (\(String(cString: strerror(code))))"
            }
            throw Failure(path: path, reason: reason)
        }
        return fd
    }
}

// The C calls under names that the enum's own `read` does not shadow.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
