import FADArrays
import Foundation

/// Samples -> log-mel spectrogram `[frames, bands]`, as one `FrontEndConfiguration` specifies.
///
/// One instance can be shared by any number of threads: the filterbank and window are
/// immutable, the FFT plan is shared (see `RealFFT`), and every call works in its own buffers.
/// Results do not depend on which thread or how many threads compute them.
public final class LogMelFrontEnd: Sendable {
    public let configuration: FrontEndConfiguration
    public let filterbank: MelFilterbank
    private let fft: RealFFT
    /// The window as laid out in one FFT frame (zeros where the window does not reach).
    private let frameWindow: [Float]
    /// The filterbank's non-zero weights, band after band, for the pointer loop of
    /// `forEachFrame`: band m weighs bins `bandStart[m] ..< bandStart[m] + bandLength[m]` with
    /// `bandWeights[bandOffset[m]...]`. Checked against the spectrum's size once, here, so that
    /// the hot loop needs no bounds checks (release builds keep them everywhere else).
    private let bandStart: [Int]
    private let bandLength: [Int]
    private let bandOffset: [Int]
    private let bandWeights: [Float]

    /// Traps on a configuration that `validate()` rejects; the presets are valid.
    public init(_ configuration: FrontEndConfiguration) {
        do { try configuration.validate() } catch { preconditionFailure("LogMelFrontEnd: \(error)") }
        self.configuration = configuration
        filterbank = MelFilterbank(configuration.mel, sampleRate: configuration.sampleRate,
                                   fftLength: configuration.fftLength)
        fft = RealFFT.shared(length: configuration.fftLength)
        let coefficients = configuration.window.coefficients(length: configuration.windowLength)
        var layout = [Float](repeating: 0, count: configuration.fftLength)
        let offset = configuration.windowPlacement == .centered
            ? (configuration.fftLength - configuration.windowLength) / 2 : 0
        for (i, w) in coefficients.enumerated() { layout[offset + i] = Float(w) }
        frameWindow = layout
        var starts: [Int] = [], lengths: [Int] = [], offsets: [Int] = [], weights: [Float] = []
        for (first, band) in filterbank.sparse {
            precondition(first >= 0 && first + band.count <= fft.bins, "LogMelFrontEnd: filterbank wider than the spectrum")
            starts.append(first); lengths.append(band.count); offsets.append(weights.count)
            weights += band
        }
        bandStart = starts; bandLength = lengths; bandOffset = offsets; bandWeights = weights
    }

    /// The log-mel spectrogram of `samples` (mono, at `configuration.sampleRate`), one row per frame.
    public func callAsFunction(_ samples: [Float]) throws -> Matrix<Float> {
        let bands = configuration.mel.bands
        var values = [Float](repeating: 0, count: configuration.frameCount(samples: samples.count) * bands)
        try forEachFrame(samples) { t, mel in
            for m in 0 ..< bands { values[t * bands + m] = Float(compress(mel[m])) }
        }
        if case .decibels(_, _, let topDB?) = configuration.logarithm, let peak = values.max() {
            let floor = peak - Float(topDB)
            for i in values.indices where values[i] < floor { values[i] = floor }
        }
        return Matrix(rows: values.count / bands, columns: bands, values: values)
    }

    /// The mel energies before the logarithm (after float16 rounding if configured), in Double.
    public func melEnergies(_ samples: [Float]) throws -> Matrix<Double> {
        let bands = configuration.mel.bands
        var values = [Double](repeating: 0, count: configuration.frameCount(samples: samples.count) * bands)
        try forEachFrame(samples) { t, mel in
            for m in 0 ..< bands { values[t * bands + m] = mel[m] }
        }
        return Matrix(rows: values.count / bands, columns: bands, values: values)
    }

    /// The configured logarithm of one mel energy (before any `topDB` floor), in Double.
    @inline(__always)
    func compress(_ x: Double) -> Double {
        switch configuration.logarithm {
        case .log10Affine(let scale, let offset): return log10(scale * x + offset)
        case .naturalWithOffset(let offset): return log(x + offset)
        case .decibels(let amin, let reference, _): return 10 * log10(max(x, amin)) - 10 * log10(max(amin, reference))
        }
    }

    /// Runs the STFT and filterbank, handing each frame's mel energies to `body` in frame order.
    /// Memory beyond the padded signal is one frame, so long inputs cost only their output.
    private func forEachFrame(_ samples: [Float], _ body: (Int, UnsafeBufferPointer<Double>) -> Void) throws {
        let c = configuration
        if !allFinite(samples), let i = samples.firstIndex(where: { !$0.isFinite }) {
            throw FeatureError(reason: .nonFiniteSample(index: i))
        }
        let frames = c.frameCount(samples: samples.count)
        guard frames > 0 else {
            throw FeatureError(reason: .tooShort(samples: samples.count, minimum: c.minimumSamples))
        }
        let padded = pad(samples)
        let bands = c.mel.bands
        let bins = fft.bins
        let frameLength = c.frameLength
        let workspace = fft.makeWorkspace()
        var spectrum = [Double](repeating: 0, count: bins)
        var mel = [Double](repeating: 0, count: bands)
        let power = c.spectrum == .power
        let toHalf = c.roundMelToFloat16
        precondition(frames == 0 || (frames - 1) * c.hopLength + frameLength <= padded.count && frameLength <= c.fftLength)
        padded.withUnsafeBufferPointer { signal in
            frameWindow.withUnsafeBufferPointer { window in
                spectrum.withUnsafeMutableBufferPointer { spectrum in
                    mel.withUnsafeMutableBufferPointer { mel in
                        let spectrum = spectrum.baseAddress!, mel = mel.baseAddress!
                        let signal = signal.baseAddress!, window = window.baseAddress!
                        for t in 0 ..< frames {
                            // Through a frame pointer: `signal[start + n]` checked the index sum for
                            // overflow on every sample, which kept the loop from vectorising.
                            let frame = signal + t * c.hopLength
                            let input = workspace.input
                            for n in 0 ..< frameLength { input[n] = frame[n] * window[n] }
                            for n in frameLength ..< c.fftLength { input[n] = 0 }
                            fft.transform(workspace)
                            for k in 0 ..< bins {
                                let (re, im) = workspace.bin(k)
                                let p = Double(re) * Double(re) + Double(im) * Double(im)
                                spectrum[k] = power ? p : p.squareRoot()
                            }
                            bandWeights.withUnsafeBufferPointer { weights in
                                for m in 0 ..< bands {
                                    var sum = 0.0
                                    if let base = weights.baseAddress {
                                        let w = base + bandOffset[m], x = spectrum + bandStart[m]
                                        for j in 0 ..< bandLength[m] { sum += Double(w[j]) * x[j] }
                                    }
                                    mel[m] = toHalf ? Double(roundToHalfSaturating(sum)) : sum
                                }
                            }
                            body(t, UnsafeBufferPointer(start: mel, count: bands))
                        }
                    }
                }
            }
        }
    }

    /// The samples with the configured centring padding.
    private func pad(_ x: [Float]) -> [Float] {
        guard configuration.centered else { return x }
        let p = configuration.fftLength / 2
        let n = x.count
        var out = [Float](repeating: 0, count: n + 2 * p)
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { s in
                for i in 0 ..< n { o[p + i] = s[i] }
                if configuration.padMode == .reflect {
                    // numpy 'reflect': x[p], ..., x[1] | x | x[n-2], ..., x[n-1-p]; n > p is checked.
                    for i in 0 ..< p {
                        o[i] = s[p - i]
                        o[p + n + i] = s[n - 2 - i]
                    }
                }
            }
        }
        return out
    }
}

/// Rounds to the nearest float16 value (ties to even), saturating at +-65504 rather than
/// overflowing to infinity.
@inline(__always)
func roundToHalfSaturating(_ x: Double) -> Float {
    let f = Float(x)
    if f >= 65504 { return 65504 }
    if f <= -65504 { return -65504 }
    // binary16's normal range (2^-14 <= |f| < 65504), where nearly every mel energy falls: the
    // significand rounded to 10 bits in place, ties to even, as `roundToHalf` rounds it, without
    // its branches and cross-module call (~0.3 % of a cold musicnn run's CPU).
    let bits = f.bitPattern
    let magnitude = bits & 0x7FFF_FFFF
    if magnitude >= 0x3880_0000 && magnitude < 0x7F80_0000 {
        return Float(bitPattern: (bits &+ 0x0FFF &+ ((bits >> 13) & 1)) & 0xFFFF_E000)
    }
    return roundToHalf(f)
}

/// Cuts a log-mel spectrogram into fixed-length examples (VGGish: 96 frames, hop 96, as
/// `mel_features.frame`); an incomplete tail is dropped, and fewer than `length` frames give none.
public func frameExamples(_ logMel: Matrix<Float>, length: Int = 96, hop: Int = 96) -> [Matrix<Float>] {
    precondition(length > 0 && hop > 0, "frameExamples: length and hop must be positive")
    guard logMel.rows >= length else { return [] }
    let count = 1 + (logMel.rows - length) / hop
    return (0 ..< count).map { e in logMel.selectingRows(e * hop ..< e * hop + length) }
}
