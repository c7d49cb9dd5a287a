import Foundation

/// Streams a file's frames as libsndfile decodes them, interleaved, at the file's own rate and
/// channel count. `AudioLoader` builds on it; use it directly to see the channels.
public final class AudioDecoder {
    public let url: URL
    public let info: AudioFileInfo
    private let file: SndFile
    private var framesRead = 0

    public init(_ url: URL) throws {
        self.url = url
        file = try SndFile(url: url)
        info = file.info
    }

    /// The next block of at most `maxFrames` frames, interleaved (`frames * channels` values);
    /// empty at the end of the file. Throws on decoding errors and NaN/infinite samples.
    public func read(maxFrames: Int = 65_536) throws -> [Float] {
        var buffer = [Float](repeating: 0, count: maxFrames * info.channels)
        let got = try buffer.withUnsafeMutableBufferPointer {
            try file.read(into: $0.baseAddress!, frames: maxFrames, firstFrame: framesRead)
        }
        framesRead += got
        buffer.removeLast((maxFrames - got) * info.channels)
        return buffer
    }

    /// Every remaining frame, one array per channel.
    public func readChannels() throws -> [[Float]] {
        var channels = [[Float]](repeating: [], count: info.channels)
        while true {
            let block = try read()
            if block.isEmpty { break }
            for (i, x) in block.enumerated() { channels[i % info.channels].append(x) }
        }
        return channels
    }
}
