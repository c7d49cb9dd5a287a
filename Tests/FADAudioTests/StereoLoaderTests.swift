import Foundation
import XCTest
@testable import FADAudio
import _FADTestSupport

/// Two-channel loading (stereo models such as encodec-48k): each channel resampled on its own.
final class StereoLoaderTests: XCTestCase {
    /// Resampling is linear, so the mean of the two resampled channels is the resampled channel
    /// mean that the mono loader returns (float rounding apart); the channels are not copies.
    func testStereoFileKeepsBothChannels() throws {
        let url = Fixtures.url("audio/flac_s16_stereo_44k.flac")
        for quality in [ResamplerQuality.kaiserPolyphase, .bestSinc] {
            let mono = try AudioLoader(targetSampleRate: 48_000, quality: quality).load(url)
            let stereo = try AudioLoader(targetSampleRate: 48_000, quality: quality, channels: 2).load(url)
            XCTAssertEqual(stereo.count, 2 * mono.count)
            let left = stride(from: 0, to: stereo.count, by: 2).map { stereo[$0] }
            let right = stride(from: 1, to: stereo.count, by: 2).map { stereo[$0] }
            let mean = zip(left, right).map { ($0 + $1) / 2 }
            XCTAssertLessThan(maxAbsDifference(mean, mono), 1e-5, "\(quality)")
            XCTAssertGreaterThan(maxAbsDifference(left, right), 1e-3, "\(quality)")
        }
    }

    /// A mono file goes to both channels, as `encodec.utils.convert_audio` expands it.
    func testMonoFileOnBothChannels() throws {
        let url = Fixtures.url("audio/wav_s16_mono_8k.wav")
        let mono = try AudioLoader(targetSampleRate: 48_000, quality: .kaiserPolyphase).load(url)
        let stereo = try AudioLoader(targetSampleRate: 48_000, quality: .kaiserPolyphase, blockFrames: 1000, channels: 2).load(url)
        XCTAssertEqual(stride(from: 0, to: stereo.count, by: 2).map { stereo[$0] }, mono)
        XCTAssertEqual(stride(from: 1, to: stereo.count, by: 2).map { stereo[$0] }, mono)
    }
}
