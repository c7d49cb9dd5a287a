import Foundation

/// Decodes any file libsndfile reads to mono (or, for stereo models, two-channel interleaved)
/// `Float` samples at one sample rate.
///
/// The file is read in blocks of `blockFrames` frames; each block is downmixed (mean over the
/// channels, as `np.mean(x, axis=1)`) and pushed through a streaming libsamplerate converter, so
/// the memory in use besides the returned samples does not grow with the file's length.
/// Integer PCM comes out as libsndfile scales it, `int / 2^(bits-1)` (16-bit: `int16 / 32768`,
/// exactly what VGGish's `wavfile_to_examples` does).
///
/// Speed (one core, 44.1 kHz stereo -> 16 kHz, CPU time, `fad-bench audio`): `.bestSinc`
/// (libsamplerate, the default) ~17x real time, `.kaiserPolyphase` ~2,300x with AVX2 (~1,650x
/// without); decoding WAV ~11,000x, Ogg Vorbis ~500x. The resampler, not decoding, sets the
/// pace with `.bestSinc`.
public struct AudioLoader: Sendable {
    public let targetSampleRate: Int
    public let quality: ResamplerQuality
    /// Frames decoded per block.
    public let blockFrames: Int
    /// Output channels: 1 (the channel mean) or 2 (interleaved left, right; as the `encodec`
    /// package's `convert_audio` makes stereo: a mono file on both channels, a stereo file as it
    /// is; of a file with more channels the first two, the front pair in WAV/FLAC order).
    public let channels: Int

    public init(targetSampleRate: Int, quality: ResamplerQuality = .bestSinc, channels: Int = 1) {
        self.init(targetSampleRate: targetSampleRate, quality: quality, blockFrames: 65_536, channels: channels)
    }

    public init(targetSampleRate: Int, quality: ResamplerQuality, blockFrames: Int, channels: Int = 1) {
        precondition(targetSampleRate > 0 && blockFrames > 0, "AudioLoader: rates and block sizes must be positive")
        precondition(channels == 1 || channels == 2, "AudioLoader: 1 or 2 output channels, not \(channels)")
        self.targetSampleRate = targetSampleRate
        self.quality = quality
        self.blockFrames = blockFrames
        self.channels = channels
    }

    /// Interleaved samples decoded per block, at most (4 MB of Float).
    static let maximumBlockSamples = 1 << 20

    /// Samples at `targetSampleRate` (`channels` interleaved).
    public func load(_ url: URL) throws -> [Float] {
        var out: [Float] = []
        // The header's length is a hint only (streams may report none or a wrong one, a hostile
        // header any): reserved up to 64 MB, beyond that the array grows as samples arrive.
        out.reserveCapacity(min(((try? expectedFrames(for: url)) ?? 0) * channels, 1 << 24))
        try stream(url) { out.append(contentsOf: $0) }
        return out
    }

    /// Decodes `url` block by block, handing each block of samples at `targetSampleRate`
    /// (`channels` interleaved) to `body` in order. Returns the file's header information.
    @discardableResult
    public func stream(_ url: URL, _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws -> AudioFileInfo {
        if channels == 2 { return try streamStereo(url, body) }
        let file = try SndFile(url: url)
        let info = file.info
        let resampler = try StreamingResampler(inputRate: info.sampleRate, outputRate: targetSampleRate,
                                               quality: quality, label: url.path)
        let channels = info.channels
        // The block holds at most `maximumBlockSamples` interleaved samples whatever the channel
        // count (WAV allows 1024 channels: 64 Ki frames of those would be 256 MB per worker).
        // Downmixing is per frame and the resampler streams, so the block size does not change
        // the result.
        let frames = max(1, min(blockFrames, Self.maximumBlockSamples / channels))
        var interleaved = [Float](repeating: 0, count: frames * channels)
        var mono = [Float](repeating: 0, count: frames)
        var framesRead = 0
        while true {
            let got = try interleaved.withUnsafeMutableBufferPointer {
                try file.read(into: $0.baseAddress!, frames: frames, firstFrame: framesRead)
            }
            if got == 0 { break }
            framesRead += got
            interleaved.withUnsafeBufferPointer { src in
                mono.withUnsafeMutableBufferPointer { dst in
                    downmix(src.baseAddress!, channels: channels, frames: got, into: dst.baseAddress!)
                }
            }
            try mono.withUnsafeBufferPointer { try resampler.process(UnsafeBufferPointer(rebasing: $0[0 ..< got]), emit: body) }
        }
        if framesRead == 0 { throw AudioFileError(path: url.path, reason: .empty) }
        try resampler.finish(emit: body)
        return info
    }

    /// Two channels, each through its own streaming converter; both converters see the same
    /// number of samples, so they emit the same counts, interleaved here.
    private func streamStereo(_ url: URL, _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws -> AudioFileInfo {
        let file = try SndFile(url: url)
        let info = file.info
        let converters = try (0..<2).map { _ in
            try StreamingResampler(inputRate: info.sampleRate, outputRate: targetSampleRate, quality: quality, label: url.path)
        }
        let channels = info.channels
        let frames = max(1, min(blockFrames, Self.maximumBlockSamples / channels))
        var interleaved = [Float](repeating: 0, count: frames * channels)
        var split = [[Float]](repeating: [Float](repeating: 0, count: frames), count: 2)
        var framesRead = 0
        /// Runs both converters (`step` feeds one and hands it an emit callback) and passes on
        /// their outputs interleaved.
        func emitBoth(_ step: (Int, (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) throws {
            var outputs: [[Float]] = [[], []]
            for c in 0..<2 { try step(c) { outputs[c].append(contentsOf: $0) } }
            guard outputs[0].count == outputs[1].count else {
                throw AudioFileError(path: url.path, reason: .unreadable("the two channels resampled to different lengths"))
            }
            guard !outputs[0].isEmpty else { return }
            var stereo = [Float](repeating: 0, count: 2 * outputs[0].count)
            for i in 0..<outputs[0].count { stereo[2 * i] = outputs[0][i]; stereo[2 * i + 1] = outputs[1][i] }
            try stereo.withUnsafeBufferPointer { try body($0) }
        }
        while true {
            let got = try interleaved.withUnsafeMutableBufferPointer {
                try file.read(into: $0.baseAddress!, frames: frames, firstFrame: framesRead)
            }
            if got == 0 { break }
            framesRead += got
            for c in 0..<2 {
                let source = min(c, channels - 1)  // mono: the same samples on both channels
                for i in 0..<got { split[c][i] = interleaved[i * channels + source] }
            }
            try emitBoth { c, emit in
                try split[c].withUnsafeBufferPointer { try converters[c].process(UnsafeBufferPointer(rebasing: $0[0 ..< got]), emit: emit) }
            }
        }
        if framesRead == 0 { throw AudioFileError(path: url.path, reason: .empty) }
        try emitBoth { c, emit in try converters[c].finish(emit: emit) }
        return info
    }

    /// Number of samples `load` returns for a file whose header is right about its length.
    public func expectedFrames(for url: URL) throws -> Int {
        let info = try AudioFileInfo(contentsOf: url)
        let (product, overflow) = info.frames.multipliedReportingOverflow(by: targetSampleRate)
        if overflow { return Int(min(Double(info.frames) * Double(targetSampleRate) / Double(info.sampleRate), 0x1p62)) }
        return product / info.sampleRate + (product % info.sampleRate == 0 ? 0 : 1)
    }
}

/// Mean over channels of interleaved frames; mono is copied unchanged.
@inline(__always)
func downmix(_ src: UnsafePointer<Float>, channels: Int, frames: Int, into dst: UnsafeMutablePointer<Float>) {
    switch channels {
    case 1:
        dst.update(from: src, count: frames)
    case 2:
        for i in 0 ..< frames { dst[i] = (src[2 * i] + src[2 * i + 1]) * 0.5 }
    default:
        let n = Float(channels)
        for i in 0 ..< frames {
            var sum: Float = 0
            for c in 0 ..< channels { sum += src[i * channels + c] }
            dst[i] = sum / n
        }
    }
}
