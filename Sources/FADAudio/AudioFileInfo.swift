import Foundation

/// What a file's header says, read without decoding the audio.
public struct AudioFileInfo: Equatable, Sendable, CustomStringConvertible {
    public let sampleRate: Int
    public let channels: Int
    /// Frames (samples per channel) as the container reports them.
    public let frames: Int
    /// libsndfile's names for the container and encoding, e.g. "FLAC (Free Lossless Audio Codec) / Signed 16 bit PCM".
    public let formatDescription: String

    public init(sampleRate: Int, channels: Int, frames: Int, formatDescription: String) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.frames = frames
        self.formatDescription = formatDescription
    }

    /// Duration in seconds.
    public var duration: Double { Double(frames) / Double(sampleRate) }

    /// Reads the header of `url`. Throws `AudioFileError` for a missing, unreadable, empty or
    /// non-audio file.
    public init(contentsOf url: URL) throws {
        self = try SndFile(url: url).info
    }

    public var description: String {
        "\(sampleRate) Hz, \(channels) ch, \(frames) frames (\(String(format: "%.3f", duration)) s), \(formatDescription)"
    }
}
