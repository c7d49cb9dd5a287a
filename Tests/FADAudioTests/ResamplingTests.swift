import FADAudio
import Foundation
import XCTest
import _FADTestSupport

final class ResamplingTests: XCTestCase {
    func sine(frequency: Double, rate: Int, seconds: Double, amplitude: Double = 0.5) -> [Float] {
        (0 ..< Int(Double(rate) * seconds)).map { Float(amplitude * sin(2 * .pi * frequency * Double($0) / Double(rate))) }
    }

    /// Amplitude of `frequency` in `x` by correlation with sine and cosine (exact for whole periods).
    func amplitude(of frequency: Double, in x: ArraySlice<Float>, rate: Int) -> Double {
        var s = 0.0, c = 0.0
        for (i, v) in zip(x.indices, x) {
            let phase = 2 * Double.pi * frequency * Double(i) / Double(rate)
            s += Double(v) * sin(phase)
            c += Double(v) * cos(phase)
        }
        return 2 * (s * s + c * c).squareRoot() / Double(x.count)
    }

    func testSineKeepsFrequencyLevelAndDuration() throws {
        let pairs = [(44_100, 16_000), (48_000, 16_000), (8_000, 16_000), (22_050, 32_000), (96_000, 16_000), (192_000, 48_000)]
        for quality in ResamplerQuality.allCases {
            for (from, to) in pairs {
                let seconds = 2.0
                let input = sine(frequency: 1_000, rate: from, seconds: seconds)
                let output = try StreamingResampler.resample(input, from: from, to: to, quality: quality)
                // Duration: exactly ceil(n * to / from) samples, i.e. within one sample per second.
                XCTAssertEqual(output.count, Int((Double(input.count) * Double(to) / Double(from)).rounded(.up)))
                XCTAssertLessThanOrEqual(abs(Double(output.count) - seconds * Double(to)), seconds)
                // Frequency and level, away from the filter's start-up and flush at the edges:
                // 1.5 s = 1500 whole periods of 1 kHz from 0.25 s in.
                let middle = output[(to / 4) ..< (to / 4 + to * 3 / 2)]
                let at1k = amplitude(of: 1_000, in: middle, rate: to)
                let off = max(amplitude(of: 990, in: middle, rate: to), amplitude(of: 1_010, in: middle, rate: to))
                // Sinc converters keep the level within 0.01 dB; zero-order hold and linear
                // interpolation attenuate a 1 kHz tone slightly (sinc/interpolation droop, at most
                // ~0.3 dB at 8 kHz input), hence the looser bound for them.
                let levelTolerance = (quality == .zeroOrderHold || quality == .linear) ? 0.04 : 0.002
                XCTAssertEqual(at1k, 0.5, accuracy: 0.5 * levelTolerance, "\(quality) \(from)->\(to)")
                XCTAssertLessThan(off, 0.02 * at1k, "\(quality) \(from)->\(to): energy leaked off 1 kHz")
            }
        }
    }

    func testSincConvertersRejectAliases() throws {
        // 7 kHz at 44.1 kHz -> 8 kHz (Nyquist 4 kHz) would alias to 1 kHz: the anti-alias filter
        // must remove it (> 90 dB down for the best converters).
        for quality in [ResamplerQuality.bestSinc, .kaiserPolyphase] {
            let input = sine(frequency: 7_000, rate: 44_100, seconds: 2)
            let output = try StreamingResampler.resample(input, from: 44_100, to: 8_000, quality: quality)
            let middle = output[2_000 ..< 14_000]
            XCTAssertLessThan(amplitude(of: 1_000, in: middle, rate: 8_000), 0.5 * 3e-5, "\(quality)")
        }
        // 4.5 kHz at 48 -> 16 kHz is in the passband (90 % of 8 kHz = 7.2 kHz): kept at full level.
        let tone = sine(frequency: 4_500, rate: 48_000, seconds: 2)
        let kept = try StreamingResampler.resample(tone, from: 48_000, to: 16_000, quality: .kaiserPolyphase)
        XCTAssertEqual(amplitude(of: 4_500, in: kept[4_000 ..< 28_000], rate: 16_000), 0.5, accuracy: 0.5 * 1e-3)
    }

    func testPolyphaseMatchesBestSinc() throws {
        // Two independent band-limiting designs agree on in-band music-like content (a sum of
        // tones below 6 kHz) to within their passband ripple, away from the edges.
        let rate = 44_100
        let input: [Float] = (0 ..< 2 * rate).map { i in
            let t = Double(i) / Double(rate)
            return Float(0.3 * sin(2 * .pi * 220 * t) + 0.2 * sin(2 * .pi * 1_870 * t) + 0.1 * sin(2 * .pi * 5_300 * t))
        }
        let a = try StreamingResampler.resample(input, from: rate, to: 16_000, quality: .bestSinc)
        let b = try StreamingResampler.resample(input, from: rate, to: 16_000, quality: .kaiserPolyphase)
        XCTAssertEqual(a.count, b.count)
        XCTAssertLessThan(maxAbsDifference(a[1_000 ..< 31_000], b[1_000 ..< 31_000]), 1e-3)
    }

    func testEqualRatesPassThrough() throws {
        let input = sine(frequency: 440, rate: 16_000, seconds: 0.3)
        XCTAssertEqual(try StreamingResampler.resample(input, from: 16_000, to: 16_000), input)
    }

    func testRejectsImpossibleRatios() {
        XCTAssertThrowsError(try StreamingResampler(inputRate: 1, outputRate: 16_000, quality: .bestSinc, label: "x.wav")) { error in
            XCTAssertEqual((error as? AudioFileError)?.reason, .unsupportedSampleRate(1))
            XCTAssertTrue("\(error)".hasPrefix("x.wav: "), "\(error)")
        }
    }
}

final class ResamplingReferenceTests: XCTestCase {
    /// Real music (the 44.1 kHz FLAC fixture's channel mean) resampled to 16 kHz, against soxr VHQ
    /// (librosa's resampler; Tests/Fixtures/scripts/audio_expectations.py). The three designs
    /// differ only near the 8 kHz band edge (passbands: soxr ~95 %, libsamplerate best 97 %, ours
    /// 90 %) and at the clip's ends, so they are compared away from the ends, relative to the
    /// signal's peak: orchestral music has little energy above 7 kHz. Measured: bestSinc 1.3e-3,
    /// kaiserPolyphase 7.9e-4, mediumSinc 4.4e-3.
    func testMatchesSoxrOnMusic() throws {
        let reference = try Fixtures.npy("audio/resampled_flac_16k_soxr.npy").values
        for (quality, tolerance) in [(ResamplerQuality.bestSinc, 2e-3), (.kaiserPolyphase, 2e-3), (.mediumSinc, 1e-2)] {
            let ours = try AudioLoader(targetSampleRate: 16_000, quality: quality).load(Fixtures.url("audio/flac_s16_stereo_44k.flac"))
            XCTAssertEqual(ours.count, reference.count, "\(quality)")
            let inner = 400 ..< reference.count - 400
            let error = maxRelativeDifference(ours[inner], reference[inner])
            XCTAssertLessThanOrEqual(error, tolerance, "\(quality)")
        }
    }
}
