/// Why an audio file could not be turned into samples. Every failure names the file.
///
/// The description reads `PATH: reason`, e.g. `song.mp3: not an audio file libsndfile recognises`.
public struct AudioFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// Nothing exists at the path.
        case missing
        /// The file exists but cannot be opened for reading (permissions, a directory, ...).
        case unreadable(String)
        /// The file is empty (0 bytes) or holds no audio frames.
        case empty
        /// libsndfile does not recognise the container as audio.
        case notAudio(String)
        /// A recognised container whose codec/encoding libsndfile cannot decode.
        case unsupportedEncoding(String)
        /// A recognised container that is damaged or truncated.
        case malformed(String)
        /// A decoded sample is NaN or infinite (float files can hold these).
        case nonFiniteSample(frame: Int, channel: Int)
        /// The sample rate is outside what the resampler supports (8 Hz .. 1.5 MHz and ratios 1/256 .. 256).
        case unsupportedSampleRate(Int)
        /// Decoding stopped with an error part way through.
        case decodingFailed(String)
        /// libsamplerate reported an error.
        case resamplingFailed(String)
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason.message)" }
}

extension AudioFileError.Reason {
    /// The human-readable reason, without the path.
    public var message: String {
        switch self {
        case .missing: return "no such file"
        case .unreadable(let why): return "cannot be read (\(why))"
        case .empty: return "empty file: no audio frames"
        case .notAudio(let why): return "not an audio file libsndfile recognises (\(why))"
        case .unsupportedEncoding(let why): return "unsupported audio encoding (\(why))"
        case .malformed(let why): return "malformed or truncated audio file (\(why))"
        case .nonFiniteSample(let frame, let channel):
            return "sample at frame \(frame), channel \(channel) is NaN or infinite"
        case .unsupportedSampleRate(let rate): return "unsupported sample rate \(rate) Hz"
        case .decodingFailed(let why): return "decoding failed (\(why))"
        case .resamplingFailed(let why): return "resampling failed (\(why))"
        }
    }
}
