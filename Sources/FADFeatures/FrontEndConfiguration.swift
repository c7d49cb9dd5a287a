/// Padding applied at both ends when frames are centred.
public enum PadMode: String, Codable, Hashable, Sendable {
    /// `numpy.pad(mode='reflect')`: mirror without repeating the edge sample (librosa < 0.10's
    /// default, torchlibrosa's, musicnn's training data).
    case reflect
    /// Zeros (librosa >= 0.10's default).
    case constant
}

/// Where a window shorter than the FFT sits inside the FFT frame.
public enum WindowPlacement: String, Codable, Hashable, Sendable {
    /// librosa: frames are `fftLength` samples long and the window is zero-padded equally on both sides.
    case centered
    /// VGGish: frames are `windowLength` samples long, zero-padded at the end up to `fftLength`
    /// (`np.fft.rfft(frame, n_fft)`); the frame count is `1 + (N - windowLength) / hop`.
    case leading
}

/// Amplitude or energy.
public enum SpectrumKind: String, Codable, Hashable, Sendable {
    /// `|X|`.
    case magnitude
    /// `|X|^2`.
    case power
}

/// The compression applied to each mel energy `x`.
public enum Logarithm: Codable, Hashable, Sendable {
    /// `log10(scale * x + offset)` (musicnn: scale 10000, offset 1).
    case log10Affine(scale: Double, offset: Double)
    /// `ln(x + offset)` (VGGish: offset 0.01).
    case naturalWithOffset(Double)
    /// `10 log10(max(x, amin)) - 10 log10(max(amin, reference))`, then, if `topDB` is given,
    /// floored at the spectrogram's maximum minus `topDB` (librosa `power_to_db`; PANNs:
    /// amin 1e-10, reference 1, no top_db).
    case decibels(amin: Double, reference: Double, topDB: Double?)
}

/// One log-mel front end, completely specified: the STFT, the mel filterbank and the log.
///
/// All arithmetic after the single-precision FFT (windowing inputs, spectrum, mel sums, log) is
/// done in Double and rounded to Float once at the end.
public struct FrontEndConfiguration: Codable, Hashable, Sendable {
    /// Sample rate the samples must already have (Hz).
    public var sampleRate: Int
    public var fftLength: Int
    public var windowLength: Int
    public var hopLength: Int
    public var window: WindowFunction
    public var windowPlacement: WindowPlacement
    /// Pad `fftLength / 2` samples at both ends so that frame `t` is centred on sample `t * hop`
    /// (librosa `center=True`).
    public var centered: Bool
    public var padMode: PadMode
    public var spectrum: SpectrumKind
    public var mel: MelConfiguration
    public var logarithm: Logarithm
    /// Round each mel energy to IEEE half precision (saturating at 65504, never inf) before the
    /// log: what a model trained on float16-stored mel spectrograms saw.
    public var roundMelToFloat16: Bool

    public init(sampleRate: Int, fftLength: Int, windowLength: Int, hopLength: Int,
                window: WindowFunction = .hannPeriodic, windowPlacement: WindowPlacement = .centered,
                centered: Bool, padMode: PadMode = .reflect, spectrum: SpectrumKind,
                mel: MelConfiguration, logarithm: Logarithm, roundMelToFloat16: Bool = false) {
        self.sampleRate = sampleRate
        self.fftLength = fftLength
        self.windowLength = windowLength
        self.hopLength = hopLength
        self.window = window
        self.windowPlacement = windowPlacement
        self.centered = centered
        self.padMode = padMode
        self.spectrum = spectrum
        self.mel = mel
        self.logarithm = logarithm
        self.roundMelToFloat16 = roundMelToFloat16
    }

    /// Samples one frame spans before padding: the FFT length, or the window for `.leading`.
    var frameLength: Int { windowPlacement == .leading ? windowLength : fftLength }

    /// The fewest samples that give one frame. Centred reflect padding needs more than
    /// `fftLength / 2` samples (numpy's single reflection; librosa refuses less).
    public var minimumSamples: Int {
        if centered { return padMode == .reflect ? fftLength / 2 + 1 : 1 }
        return frameLength
    }

    /// Number of frames for `count` samples (0 when too short).
    public func frameCount(samples count: Int) -> Int {
        guard count >= minimumSamples else { return 0 }
        let padded = centered ? count + 2 * (fftLength / 2) : count
        return padded < frameLength ? 0 : 1 + (padded - frameLength) / hopLength
    }

    /// The fewest samples that yield at least `frames` frames.
    public func minimumSamples(forFrames frames: Int) -> Int {
        let reach = (max(frames, 1) - 1) * hopLength + frameLength - (centered ? 2 * (fftLength / 2) : 0)
        return max(minimumSamples, reach)
    }

    /// Frames per second of audio.
    public var frameRate: Double { Double(sampleRate) / Double(hopLength) }

    /// Throws `FeatureError.invalidConfiguration` for settings that cannot work.
    public func validate() throws {
        func fail(_ why: String) -> FeatureError { FeatureError(reason: .invalidConfiguration(why)) }
        guard sampleRate > 0 else { throw fail("sample rate \(sampleRate)") }
        guard fftLength >= 2 else { throw fail("FFT length \(fftLength)") }
        guard windowLength >= 1 && windowLength <= fftLength else {
            throw fail("window length \(windowLength) must be in 1...\(fftLength) (the FFT length)")
        }
        guard hopLength >= 1 else { throw fail("hop length \(hopLength)") }
        guard mel.bands >= 1 else { throw fail("\(mel.bands) mel bands") }
        guard mel.minimumFrequency >= 0, mel.minimumFrequency < mel.maximumFrequency,
              mel.maximumFrequency <= Double(sampleRate) / 2 + 1e-9 else {
            throw fail("mel range \(mel.minimumFrequency)...\(mel.maximumFrequency) Hz at \(sampleRate) Hz")
        }
        if mel.style == .vggish && mel.normalization != .none {
            throw fail("VGGish-style filters have no area normalisation")
        }
        switch logarithm {
        case .log10Affine(let scale, let offset):
            guard scale > 0, offset > 0 else { throw fail("log10(\(scale) x + \(offset)) can be -inf") }
        case .naturalWithOffset(let offset):
            guard offset > 0 else { throw fail("ln(x + \(offset)) can be -inf") }
        case .decibels(let amin, let reference, let topDB):
            guard amin > 0, reference > 0, (topDB ?? 0) >= 0 else { throw fail("decibels amin \(amin) reference \(reference)") }
        }
    }
}

extension FrontEndConfiguration {
    /// musicnn (Pons & Serra) as its training pipeline computed it: 16 kHz, STFT 512 / hop 256,
    /// periodic Hann, centred with reflect padding, power, 96 Slaney mel bands 0-8000 Hz with
    /// Slaney area normalisation, `log10(10000 x + 1)`.
    ///
    /// `roundMelToFloat16` is ON: the released weights were trained on mel spectrograms stored
    /// as float16 (`audio_rep.astype(np.float16)` in musicnn-training), so rounding reproduces
    /// the inputs the network saw. It moves a value by at most 2^-11 relative (< 2.1e-4 after
    /// the log10). Turn it off to match a float32 librosa pipeline instead.
    public static let musicnn = FrontEndConfiguration(
        sampleRate: 16_000, fftLength: 512, windowLength: 512, hopLength: 256,
        centered: true, padMode: .reflect, spectrum: .power,
        mel: MelConfiguration(bands: 96, minimumFrequency: 0, maximumFrequency: 8_000),
        logarithm: .log10Affine(scale: 10_000, offset: 1), roundMelToFloat16: true)

    /// VGGish (`vggish_input.waveform_to_examples`): 16 kHz, 25 ms window (400) / 10 ms hop (160),
    /// FFT 512, no centring, periodic Hann, magnitude, 64 HTK mel bands 125-7500 Hz drawn the
    /// VGGish way (triangles in mel, no normalisation), `ln(x + 0.01)`. Cut the result into
    /// examples with `frameExamples(_:length:hop:)` (96 frames, hop 96).
    public static let vggish = FrontEndConfiguration(
        sampleRate: 16_000, fftLength: 512, windowLength: 400, hopLength: 160,
        windowPlacement: .leading, centered: false, spectrum: .magnitude,
        mel: MelConfiguration(bands: 64, minimumFrequency: 125, maximumFrequency: 7_500,
                              scale: .htk, normalization: .none, style: .vggish),
        logarithm: .naturalWithOffset(0.01))

    /// PANNs CNN14 (torchlibrosa `Spectrogram` + `LogmelFilterBank`): 32 kHz, FFT = window 1024,
    /// hop 320, periodic Hann, centred reflect, power, 64 Slaney mel bands 50-14000 Hz (Slaney
    /// norm), `10 log10(max(x, 1e-10))` (ref 1, amin 1e-10, top_db None).
    public static let pannsCNN14 = FrontEndConfiguration(
        sampleRate: 32_000, fftLength: 1024, windowLength: 1024, hopLength: 320,
        centered: true, padMode: .reflect, spectrum: .power,
        mel: MelConfiguration(bands: 64, minimumFrequency: 50, maximumFrequency: 14_000),
        logarithm: .decibels(amin: 1e-10, reference: 1, topDB: nil))

    /// PANNs `Cnn14_16k`: as `pannsCNN14` at 16 kHz with FFT 512, hop 160, 50-8000 Hz.
    public static let pannsCNN14_16k = FrontEndConfiguration(
        sampleRate: 16_000, fftLength: 512, windowLength: 512, hopLength: 160,
        centered: true, padMode: .reflect, spectrum: .power,
        mel: MelConfiguration(bands: 64, minimumFrequency: 50, maximumFrequency: 8_000),
        logarithm: .decibels(amin: 1e-10, reference: 1, topDB: nil))
}
