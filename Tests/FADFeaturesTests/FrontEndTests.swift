import FADArrays
import FADFeatures
import Foundation
import XCTest
import _FADTestSupport

/// The front ends against librosa (musicnn, PANNs) and the official VGGish numpy code, on real
/// music (2 s of Wesnoth) and synthetic signals. References are float64 computations on the same
/// float32 samples (Tests/Fixtures/scripts/features_reference.py); ours runs a float32 FFTW and
/// Double arithmetic after it.
final class FrontEndTests: XCTestCase {
    func reference(_ name: String) throws -> NPYArray { try Fixtures.npy("features/\(name).npy") }

    /// The reference's mel energies, recovered by inverting its logarithm (float32 storage of
    /// the log costs at most ~1e-6 of each energy).
    func linear(_ logMel: [Double], _ logarithm: Logarithm) -> [Double] {
        switch logarithm {
        case .log10Affine(let scale, let offset): return logMel.map { (pow(10, $0) - offset) / scale }
        case .naturalWithOffset(let offset): return logMel.map { max(exp($0) - offset, 0) }
        case .decibels(_, let reference, _): return logMel.map { pow(10, $0 / 10) * reference }
        }
    }

    /// Three checks per signal, all against float64 references:
    /// 1. mel energies (before the log): `max |ours - ref| / max ref <= 1e-6` (silence: exactly 0);
    /// 2. log-mel on real music and noise (dense spectra): `logMelRelativeError <= tolerance`;
    /// 3. log-mel on sines and chirps, whose spectra span 150 dB, over the entries within 40 dB
    ///    of the loudest one (energy >= 1e-4 x peak, 1e-2 for a magnitude spectrum):
    ///    `<= tolerance`. Deeper entries sit where a single-precision FFT's rounding noise
    ///    (~1e-7 of the frame's peak amplitude) is a sizeable part of the value; a log amplifies
    ///    that (PANNs chirp: up to 0.1 dB at the 1e-10 floor, 115 dB below the frame's peak),
    ///    and check 1 bounds it in the linear domain instead. torchlibrosa's float32 conv STFT,
    ///    which PANNs was trained with, has the same floor.
    func check(_ configuration: FrontEndConfiguration, fixture: String, tolerance: Double,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let frontEnd = LogMelFrontEnd(configuration)
        for kind in Signals.all {
            let label = "\(fixture) \(kind)"
            let samples = try Signals.make(kind, rate: configuration.sampleRate)
            let ours = try frontEnd(samples)
            let ref = try reference("logmel_\(fixture)_\(kind)")
            XCTAssertEqual([ours.rows, ours.columns], ref.shape, label, file: file, line: line)
            guard [ours.rows, ours.columns] == ref.shape else { continue }

            let refMel = linear(ref.values, configuration.logarithm)
            let mel = try frontEnd.melEnergies(samples).values
            let peak = refMel.max() ?? 0
            if kind == "silence" {
                XCTAssertEqual(mel.max(), 0, label, file: file, line: line)
                XCTAssertEqual(ours.values.map(Double.init), ref.values, label, file: file, line: line)
                continue
            }
            XCTAssertLessThanOrEqual(maxAbsDifference(mel, refMel) / peak, 1e-6, "\(label) (linear)", file: file, line: line)

            if kind == "music" || kind == "noise" || fixture.hasPrefix("musicnn") {
                XCTAssertLessThanOrEqual(logMelRelativeError(ours.values, ref.values), tolerance, label, file: file, line: line)
            } else {
                let depth = configuration.spectrum == .power ? 1e-4 : 1e-2
                let kept = ref.values.indices.filter { refMel[$0] >= depth * peak }
                XCTAssertGreaterThan(kept.count, ref.values.count / 20, label, file: file, line: line)
                let scale = max(ref.values.map(abs).max() ?? 0, 1)
                let worst = kept.map { abs(Double(ours.values[$0]) - ref.values[$0]) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(label) (within 40 dB)", file: file, line: line)
            }
        }
    }

    /// No float16 rounding: relative error (see `logMelRelativeError`) <= 1e-5.
    func testMusicnnWithoutFloat16MatchesLibrosa() throws {
        var c = FrontEndConfiguration.musicnn
        c.roundMelToFloat16 = false
        try check(c, fixture: "musicnn", tolerance: 1e-5)
    }

    func testPANNsMatchLibrosa() throws {
        try check(.pannsCNN14, fixture: "panns32k", tolerance: 1e-5)
        try check(.pannsCNN14_16k, fixture: "panns16k", tolerance: 1e-5)
    }

    func testVGGishMatchesOfficialNumpyFrontEnd() throws {
        try check(.vggish, fixture: "vggish", tolerance: 1e-5)
    }

    /// The musicnn preset rounds mel energies to float16 like the training data. Where our mel and
    /// the float32 librosa mel straddle a float16 rounding boundary, they land one float16 step
    /// (2^-11 relative) apart, which log10(10000 x + 1) turns into at most
    /// 2^-11 / ln 10 = 2.1e-4; elsewhere they agree to float rounding.
    func testMusicnnFloat16MatchesTrainingPipeline() throws {
        XCTAssertTrue(FrontEndConfiguration.musicnn.roundMelToFloat16)
        let frontEnd = LogMelFrontEnd(.musicnn)
        for kind in Signals.all {
            let ours = try frontEnd(Signals.make(kind, rate: 16_000))
            let ref = try reference("logmel_musicnn_f16_\(kind)")
            XCTAssertEqual([ours.rows, ours.columns], ref.shape, kind)
            XCTAssertLessThanOrEqual(maxAbsDifference(ours.values, ref.values), 2.2e-4, kind)
        }
        let ours = try frontEnd(Signals.make("music", rate: 16_000))
        let ref = try reference("logmel_musicnn_f16_music")
        let same = zip(ours.values, ref.values).filter { abs(Double($0) - $1) <= 1e-6 }.count
        XCTAssertGreaterThan(Double(same) / Double(ref.values.count), 0.99, "float16 steps should rarely differ")
    }

    func testVGGishExamplesMatchWaveformToExamples() throws {
        let logMel = try LogMelFrontEnd(.vggish)(Signals.make("music", rate: 16_000))
        let examples = frameExamples(logMel, length: 96, hop: 96)
        let ref = try reference("vggish_examples_music")
        XCTAssertEqual(ref.shape, [examples.count, 96, 64])
        XCTAssertEqual(examples.count, 2)  // 2 s -> 198 frames -> 2 examples, tail dropped
        let ours = examples.flatMap(\.values)
        XCTAssertLessThanOrEqual(logMelRelativeError(ours, ref.values), 1e-5)
    }

    func testFrameCountsFollowTheReferences() {
        // librosa centred: 1 + n / hop; VGGish: 1 + (n - 400) / 160.
        XCTAssertEqual(FrontEndConfiguration.musicnn.frameCount(samples: 16_000), 63)
        XCTAssertEqual(FrontEndConfiguration.pannsCNN14.frameCount(samples: 32_000 * 10), 1_001)
        XCTAssertEqual(FrontEndConfiguration.vggish.frameCount(samples: 16_000), 98)
        XCTAssertEqual(FrontEndConfiguration.vggish.frameCount(samples: 399), 0)
        XCTAssertEqual(FrontEndConfiguration.vggish.frameCount(samples: 400), 1)
    }

    func testTooShortAndNonFiniteInputThrow() throws {
        let cases: [(FrontEndConfiguration, Int)] = [(.musicnn, 257), (.vggish, 400), (.pannsCNN14, 513), (.pannsCNN14_16k, 257)]
        for (configuration, minimum) in cases {
            let frontEnd = LogMelFrontEnd(configuration)
            XCTAssertEqual(configuration.minimumSamples, minimum)
            XCTAssertGreaterThanOrEqual(try frontEnd([Float](repeating: 0.1, count: minimum)).rows, 1)
            for short in [0, minimum - 1] {
                XCTAssertThrowsError(try frontEnd([Float](repeating: 0.1, count: short))) { error in
                    XCTAssertEqual((error as? FeatureError)?.reason, .tooShort(samples: short, minimum: minimum))
                    let named = (error as! FeatureError).attributed(to: "clip.wav")
                    XCTAssertTrue(named.description.hasPrefix("clip.wav: too short for one analysis window"), named.description)
                }
            }
        }
        var samples = [Float](repeating: 0, count: 1_000)
        samples[123] = .nan
        XCTAssertThrowsError(try LogMelFrontEnd(.vggish)(samples)) { error in
            XCTAssertEqual((error as? FeatureError)?.reason, .nonFiniteSample(index: 123))
        }
    }

    func testFloat16RoundingSaturatesInsteadOfOverflowing() throws {
        // A loud square wave drives musicnn's mel power far past float16's 65504.
        let loud = (0 ..< 16_000).map { Float(($0 / 8) % 2 == 0 ? 4 : -4) }
        var c = FrontEndConfiguration.musicnn
        c.mel.normalization = .none  // unnormalised triangles sum whole bins: energies ~1e6
        let logMel = try LogMelFrontEnd(c)(loud)
        XCTAssertTrue(logMel.values.allSatisfy(\.isFinite))
        XCTAssertEqual(Double(logMel.values.max()!), log10(10_000 * 65_504 + 1), accuracy: 1e-5)
    }

    func testTopDBFloorsTheSpectrogram() throws {
        var c = FrontEndConfiguration.pannsCNN14_16k
        c.logarithm = .decibels(amin: 1e-10, reference: 1, topDB: 80)
        let plain = try LogMelFrontEnd(.pannsCNN14_16k)(Signals.make("sine", rate: 16_000))
        let floored = try LogMelFrontEnd(c)(Signals.make("sine", rate: 16_000))
        let peak = plain.values.max()!
        XCTAssertLessThan(plain.values.min()!, peak - 80)  // the test means something
        XCTAssertEqual(floored.values.min()!, peak - 80, accuracy: 1e-4)
        for (a, b) in zip(plain.values, floored.values) { XCTAssertEqual(b, max(a, peak - 80)) }
    }

    func testThreadsDoNotChangeResults() throws {
        let samples = try Signals.make("music", rate: 32_000)
        let frontEnd = LogMelFrontEnd(.pannsCNN14)
        let serial = try frontEnd(samples)
        // Each iteration writes its own slot.
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Matrix<Float>?>.allocate(capacity: 8)
        defer { results.deallocate() }
        results.initialize(repeating: nil)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            results[i] = try? LogMelFrontEnd(.pannsCNN14)(samples)  // also races plan lookups
            if i % 2 == 0 { results[i] = try? frontEnd(samples) }
        }
        for r in results { XCTAssertEqual(r, serial) }
    }

    func testConfigurationRoundTripsThroughJSON() throws {
        for c in [FrontEndConfiguration.musicnn, .vggish, .pannsCNN14, .pannsCNN14_16k] {
            let decoded = try JSONDecoder().decode(FrontEndConfiguration.self, from: JSONEncoder().encode(c))
            XCTAssertEqual(decoded, c)
            XCTAssertNoThrow(try c.validate())
        }
        var bad = FrontEndConfiguration.vggish
        bad.windowLength = 600
        XCTAssertThrowsError(try bad.validate())
    }

    func testFrameExamples() {
        let m = Matrix<Float>(rows: 250, columns: 2, values: (0 ..< 500).map(Float.init))
        let e = frameExamples(m, length: 96, hop: 96)
        XCTAssertEqual(e.count, 2)
        XCTAssertEqual(e[1][0, 0], 192)
        XCTAssertEqual(frameExamples(m, length: 100, hop: 50).count, 4)
        XCTAssertTrue(frameExamples(Matrix<Float>(rows: 95, columns: 2), length: 96, hop: 96).isEmpty)
    }
}
