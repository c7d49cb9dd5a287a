import FADAudio
import Foundation
import XCTest
import _FADTestSupport

/// Real files in every container/encoding the issue names, checked against an independent decoder
/// (python-soundfile's bundled libsndfile 1.2.2 with its own codec builds; see
/// Tests/Fixtures/scripts/audio_expectations.py).
final class DecodingTests: XCTestCase {
    struct Expected: Decodable {
        let sampleRate: Int
        let channels: Int
        let frames: Int
        let rms: [Double]
        let excerptStart: Int
        let excerpt: [[Double]]
    }

    static let lossy: Set<String> = ["vorbis_stereo_44k.ogg", "mp3_stereo_44k.mp3", "opus_stereo_48k.opus"]

    func expectations() throws -> [String: Expected] {
        try Fixtures.json([String: Expected].self, "audio/expected.json")
    }

    func testEveryFixtureDecodesLikeTheReference() throws {
        let all = try expectations()
        XCTAssertEqual(all.count, 10)
        for (name, expected) in all.sorted(by: { $0.key < $1.key }) {
            let url = Fixtures.url("audio/\(name)")
            let info = try AudioFileInfo(contentsOf: url)
            XCTAssertEqual(info.sampleRate, expected.sampleRate, name)
            XCTAssertEqual(info.channels, expected.channels, name)
            XCTAssertEqual(info.frames, expected.frames, name)
            let channels = try AudioDecoder(url).readChannels()
            XCTAssertEqual(channels.count, expected.channels, name)
            // Lossless: same integer data and the same int/2^(bits-1) scaling, so equal to float
            // rounding. Lossy: the reference links other builds of libvorbis/libopus/mpg123, whose
            // float decoders may differ in the last bits; 1e-4 of full scale is far below the
            // codecs' own noise.
            let tolerance = Self.lossy.contains(name) ? 1e-4 : 1e-7
            for (c, samples) in channels.enumerated() {
                XCTAssertEqual(samples.count, expected.frames, name)
                let start = expected.excerptStart
                let excerpt = samples[start ..< start + expected.excerpt[c].count]
                XCTAssertLessThanOrEqual(maxAbsDifference(excerpt, expected.excerpt[c]), tolerance, "\(name) ch \(c)")
                let rms = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
                XCTAssertEqual(rms, expected.rms[c], accuracy: expected.rms[c] * 1e-4 + 1e-9, "\(name) ch \(c)")
            }
        }
    }

    func testFormatDescriptionsNameTheCodec() throws {
        let cases = ["mp3_stereo_44k.mp3": "MPEG", "opus_stereo_48k.opus": "Opus", "vorbis_stereo_44k.ogg": "Vorbis",
                     "flac_s16_stereo_44k.flac": "FLAC", "aiff_s16_mono_96k.aiff": "AIFF",
                     "wav_s24_stereo_44k.wav": "24 bit", "wav_f32_stereo_22k.wav": "32 bit float"]
        for (name, fragment) in cases {
            let info = try AudioFileInfo(contentsOf: Fixtures.url("audio/\(name)"))
            XCTAssertTrue(info.formatDescription.contains(fragment), "\(name): \(info.formatDescription)")
        }
    }

    func testLoaderDownmixesByChannelMean() throws {
        for name in ["flac_s16_6ch_48k.flac", "wav_s24_stereo_44k.wav", "wav_s16_mono_8k.wav"] {
            let url = Fixtures.url("audio/\(name)")
            let decoder = try AudioDecoder(url)
            let channels = try decoder.readChannels()
            let mean = (0 ..< channels[0].count).map { i in
                channels.reduce(Float(0)) { $0 + $1[i] } / Float(channels.count)
            }
            // Same rate: no resampling, so the loader returns exactly the channel mean.
            let mono = try AudioLoader(targetSampleRate: decoder.info.sampleRate).load(url)
            XCTAssertEqual(mono.count, mean.count, name)
            XCTAssertLessThanOrEqual(maxAbsDifference(mono, mean), 1e-7, name)
        }
    }

    func testLoaderResamplesEveryFixtureToSixteenKilohertz() throws {
        let loader = AudioLoader(targetSampleRate: 16_000)
        for (name, expected) in try expectations() {
            let url = Fixtures.url("audio/\(name)")
            let mono = try loader.load(url)
            XCTAssertEqual(mono.count, Int((Double(expected.frames) * 16_000 / Double(expected.sampleRate)).rounded(.up)), name)
            XCTAssertEqual(try loader.expectedFrames(for: url), mono.count, name)
            XCTAssertTrue(mono.allSatisfy { $0.isFinite && abs($0) < 2 }, name)
            // Loudness survives: the source is orchestral music mostly below 4 kHz, so even the
            // 8 kHz file keeps its level; within 10 % of the native-rate mono RMS (the 8 kHz
            // source differs most: its band stops at 4 kHz while 16 kHz keeps up to 8).
            let native = try AudioLoader(targetSampleRate: expected.sampleRate).load(url)
            func rms(_ x: [Float]) -> Double { (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot() }
            XCTAssertEqual(rms(mono), rms(native), accuracy: rms(native) * 0.1, name)
        }
    }

    func testPolyphaseIsExactlyIndependentOfBlockSize() throws {
        for name in ["aiff_s16_mono_96k.aiff", "wav_f32_stereo_22k.wav", "wav_s16_mono_8k.wav", "mp3_stereo_44k.mp3"] {
            let url = Fixtures.url("audio/\(name)")
            let whole = try AudioLoader(targetSampleRate: 16_000, quality: .kaiserPolyphase, blockFrames: 1 << 20).load(url)
            let small = try AudioLoader(targetSampleRate: 16_000, quality: .kaiserPolyphase, blockFrames: 777).load(url)
            XCTAssertEqual(whole, small, name)
            XCTAssertEqual(whole.count, try AudioLoader(targetSampleRate: 16_000).expectedFrames(for: url), name)
        }
    }

    func testBlockSizeDoesNotChangeTheResult() throws {
        let url = Fixtures.url("audio/aiff_s16_mono_96k.aiff")
        let whole = try AudioLoader(targetSampleRate: 16_000, quality: .bestSinc, blockFrames: 1 << 20).load(url)
        var blocks: [Int] = []
        var streamed: [Float] = []
        try AudioLoader(targetSampleRate: 16_000, quality: .bestSinc, blockFrames: 4_096).stream(url) { block in
            blocks.append(block.count)
            streamed.append(contentsOf: block)
        }
        XCTAssertEqual(streamed.count, whole.count)
        // libsamplerate's sinc state carries across calls; block boundaries change nothing but
        // float summation order inside the library.
        XCTAssertLessThanOrEqual(maxAbsDifference(streamed, whole), 1e-6)
        // Memory is bounded by the block: no block handed out is larger than one input block's
        // worth of output plus the short held-back tail.
        XCTAssertGreaterThan(blocks.count, 5)
        XCTAssertLessThanOrEqual(blocks.max() ?? 0, 4_096 * 16_000 / 96_000 + 1_024)
    }

    func testDirectoryScanExtensions() {
        for ext in ["wav", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif", "au", "w64", "caf"] {
            XCTAssertTrue(AudioFormats.fileExtensions.contains(ext), ext)
        }
        XCTAssertTrue(AudioFormats.isAudioFileName("Song.FLAC"))
        XCTAssertFalse(AudioFormats.isAudioFileName("notes.txt"))
        XCTAssertFalse(AudioFormats.isAudioFileName(".wav"))
        XCTAssertTrue(AudioFormats.fileExtensions.allSatisfy { $0 == $0.lowercased() })
    }
}
