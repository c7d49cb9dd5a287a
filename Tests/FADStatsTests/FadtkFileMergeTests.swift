import FADArrays
import FADStats
import Foundation
import XCTest
import _FADTestSupport

/// fadtk 1.1.0 merges stored float16 embeddings file by file (`calculate_embd_statistics_online`)
/// with each file's mean rounded to float16; `fadtk_statistics_fixtures.py` ran that code.
final class FadtkFileMergeTests: XCTestCase {
    struct Expected: Decodable { var files: [String]; var mu: [Double]; var cov: [[Double]] }

    func testFadtkFileMergeMatchesFadtkOnline() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.url("fadtk_statistics/expected.json")))
        let files = try expected.files.map { try Fixtures.npy("fadtk_statistics/\($0)").matrix(of: Float.self) }
        var fadtk = RunningStatistics(dimension: 8), plain = RunningStatistics(dimension: 8)
        for frames in files {
            fadtk.addFile(frames, meanRoundedToFloat16: true)
            plain.add(frames)
        }
        let stats = try fadtk.finalized(metadata: testMetadata)
        // Same float64 arithmetic in another summation order: 1e-12 relative.
        for (j, mu) in expected.mu.enumerated() {
            XCTAssertEqual(stats.mean[j], mu, accuracy: 1e-12 * abs(mu))
        }
        let scale = expected.cov.flatMap { $0 }.map(abs).max()!
        for i in 0..<8 {
            for j in 0..<8 { XCTAssertEqual(stats.covariance[i, j], expected.cov[i][j], accuracy: 1e-12 * scale) }
        }
        // The rounding is what the fixture measures: exact per-file means miss fadtk's by far more.
        let exact = try plain.finalized(metadata: testMetadata)
        let gap = zip(exact.mean, expected.mu).map { abs($0 - $1) / abs($1) }.max()!
        XCTAssertGreaterThan(gap, 1e-5)
    }
}
