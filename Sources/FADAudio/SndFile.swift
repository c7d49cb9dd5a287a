import CSndFile
import Foundation

/// An open libsndfile handle: the one place that talks to libsndfile and turns its status codes
/// into `AudioFileError`s. Not shared between threads; closed in `deinit`.
final class SndFile {
    let path: String
    let info: AudioFileInfo
    private let handle: OpaquePointer

    /// Opens `url` for reading. The file is opened with `open(2)` first so that a missing file,
    /// a permission problem or a directory is reported as such rather than as "not audio", and so
    /// that the checks and the decoding see the same file.
    init(url: URL) throws {
        let path = url.path
        self.path = path
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, forever. The flag means
        // nothing to regular files, the only kind read below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw AudioFileError(path: path, reason: .missing)
            }
            throw AudioFileError(path: path, reason: .unreadable(String(cString: strerror(code))))
        }
        var status = stat()
        if fstat(fd, &status) != 0 {
            let code = errno
            close(fd)
            throw AudioFileError(path: path, reason: .unreadable(String(cString: strerror(code))))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw AudioFileError(path: path, reason: .unreadable("is a directory"))
        }
        if (status.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            let kind: String
            switch status.st_mode & S_IFMT {
            case S_IFIFO: kind = "a FIFO (named pipe)"
            case S_IFCHR: kind = "a character device"
            case S_IFBLK: kind = "a block device"
            case S_IFSOCK: kind = "a socket"
            default: kind = "a special file"
            }
            throw AudioFileError(path: path, reason: .unreadable("\(kind), not a regular file: refused"))
        }
        if (status.st_mode & S_IFMT) == S_IFREG && status.st_size == 0 {
            close(fd)
            throw AudioFileError(path: path, reason: .empty)
        }
        var sfInfo = SF_INFO()
        // close_desc = 1: libsndfile owns the descriptor from here on, also on failure.
        guard let handle = sf_open_fd(fd, Int32(SFM_READ), &sfInfo, 1) else {
            throw AudioFileError(path: path, reason: SndFile.openFailureReason())
        }
        self.handle = handle
        self.info = AudioFileInfo(
            sampleRate: Int(sfInfo.samplerate), channels: Int(sfInfo.channels), frames: Int(sfInfo.frames),
            formatDescription: SndFile.describe(format: sfInfo.format))
        if info.channels < 1 {
            throw AudioFileError(path: path, reason: .malformed("\(info.channels) channels"))
        }
        if info.sampleRate < 1 {
            throw AudioFileError(path: path, reason: .unsupportedSampleRate(info.sampleRate))
        }
        if info.frames == 0 {
            throw AudioFileError(path: path, reason: .empty)
        }
    }

    deinit { sf_close(handle) }

    /// Reads up to `frames` interleaved frames into `buffer` (which must hold `frames * channels`
    /// values); returns the number of frames read, 0 at the end. Rejects NaN and infinities.
    func read(into buffer: UnsafeMutablePointer<Float>, frames: Int, firstFrame: Int) throws -> Int {
        let got = Int(sf_readf_float(handle, buffer, sf_count_t(frames)))
        if got < frames {
            let code = sf_error(handle)
            if code != 0 {
                throw AudioFileError(path: path, reason: .decodingFailed(String(cString: sf_strerror(handle))))
            }
        }
        let channels = info.channels
        guard !allFinite(buffer, count: got * channels) else { return got }
        for i in 0 ..< got * channels where !buffer[i].isFinite {
            throw AudioFileError(path: path, reason: .nonFiniteSample(frame: firstFrame + i / channels,
                                                                      channel: i % channels))
        }
        return got
    }

    /// Whether no value is NaN or infinite, as a branch-free OR over exponent bits that the
    /// compiler vectorises (`isFinite` element by element was ~0.3 % of a cold musicnn run's
    /// CPU); the caller looks for the offending sample only when this says there is one.
    private func allFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
        var special: UInt32 = 0
        for i in 0 ..< count { special |= (values[i].bitPattern & 0x7F80_0000) &+ 0x0080_0000 }
        // An all-ones exponent (NaN, infinity) carries into bit 31; no finite exponent does.
        return special & 0x8000_0000 == 0
    }

    private static func openFailureReason() -> AudioFileError.Reason {
        let code = sf_error(nil)
        let message = String(cString: sf_strerror(nil))
        let lower = message.lowercased()
        switch Int(code) {
        case Int(SF_ERR_UNRECOGNISED_FORMAT): return .notAudio(message)
        case Int(SF_ERR_SYSTEM): return .unreadable(message)
        case Int(SF_ERR_UNSUPPORTED_ENCODING): return .unsupportedEncoding(message)
        // 18 is libsndfile's SFE_UNIMPLEMENTED ("data in an unimplemented format"), e.g. an
        // AIFF-C codec it does not know; it is not in the public header.
        case 18: return .unsupportedEncoding(message)
        default:
            if lower.contains("unimplemented") || lower.contains("unsupported") || lower.contains("not supported") {
                return .unsupportedEncoding(message)
            }
            return .malformed(message)
        }
    }

    /// "MAJOR / SUBTYPE" as libsndfile names them, e.g. "WAV (Microsoft) / Signed 16 bit PCM".
    private static func describe(format: Int32) -> String {
        func name(_ value: Int32, command: Int32) -> String? {
            var formatInfo = SF_FORMAT_INFO()
            formatInfo.format = value
            guard sf_command(nil, command, &formatInfo, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
                  let cName = formatInfo.name else { return nil }
            return String(cString: cName)
        }
        let major = format & Int32(SF_FORMAT_TYPEMASK)
        let subtype = format & Int32(SF_FORMAT_SUBMASK)
        let majorName = name(major, command: Int32(SFC_GET_FORMAT_INFO)) ?? String(format: "format 0x%06x", major)
        let subName = name(subtype, command: Int32(SFC_GET_FORMAT_INFO)) ?? String(format: "subtype 0x%04x", subtype)
        return "\(majorName) / \(subName)"
    }
}
