import FADArrays
import FADStats
import Foundation
import XCTest
import _FADTestSupport

final class StatisticsFileTests: XCTestCase {
    func makeStatistics() throws -> GaussianStatistics {
        var s = RunningStatistics(dimension: 7)
        s.add(testFrames(rows: 30, columns: 7, seed: 5))
        let meta = StatisticsMetadata(model: "vggish", layer: "embedding", frontEnd: "sr=16000;win=400;hop=160",
                                      files: 3, extra: ["tool": "fad 0.1", "note": "ünïcode, \"quotes\""])
        return try s.finalized(metadata: meta)
    }

    func testRoundTripIsExact() throws {
        let dir = try Fixtures.temporaryDirectory("fadstats")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ref.fadstats")
        let stats = try makeStatistics()
        try stats.write(to: url)
        let back = try GaussianStatistics.read(from: url)
        XCTAssertEqual(back, stats)  // bit-exact float64 and metadata
        // Overwriting an existing file works (atomic replace) and leaves no temporary behind.
        try stats.write(to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["ref.fadstats"])
    }

    func testCorruptFilesAreRefusedNamingTheFile() throws {
        let dir = try Fixtures.temporaryDirectory("fadstats")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ref.fadstats")
        try makeStatistics().write(to: url)
        let good = try Data(contentsOf: url)

        func expectError(_ data: Data, _ fragment: String, line: UInt = #line) throws {
            let bad = dir.appendingPathComponent("bad.fadstats")
            try data.write(to: bad)
            XCTAssertThrowsError(try GaussianStatistics.read(from: bad), line: line) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix(bad.path + ": "), message, line: line)
                XCTAssertTrue(message.contains(fragment), message, line: line)
            }
        }
        try expectError(good.prefix(good.count - 8), "truncated or corrupted")
        try expectError(Data("NOTSTATS".utf8) + good.dropFirst(8), "FADSTATS magic")
        var flipped = good
        flipped[flipped.count - 3] ^= 0x40
        try expectError(flipped, "checksum mismatch")
        try expectError(good.prefix(20), "truncated header")
        XCTAssertThrowsError(try GaussianStatistics.read(from: dir.appendingPathComponent("missing.fadstats"))) {
            XCTAssertTrue("\($0)".contains("missing.fadstats: cannot read"), "\($0)")
        }
    }
}

final class StatisticsFileInteropTests: XCTestCase {
    func testReadsAFileWrittenByThePythonWriter() throws {
        // metrics_fixtures.py writes the documented layout itself (header, float64 payload,
        // FNV-1a checksum) from np.mean / np.cov of the d = 8 fixture frames.
        let stats = try GaussianStatistics.read(from: Fixtures.url("metrics/python_written.fadstats"))
        XCTAssertEqual(stats.dimension, 8)
        XCTAssertEqual(stats.count, 200)
        XCTAssertEqual(stats.metadata, StatisticsMetadata(model: "vggish", layer: "embedding", frontEnd: "python-writer",
                                                          files: 2, extra: ["written_by": "metrics_fixtures.py"]))
        var running = RunningStatistics(dimension: 8)
        running.add(try Fixtures.npy("metrics/fd_well_d8_ref.npy").matrix(of: Float.self))
        let ours = try running.finalized(metadata: stats.metadata)
        // Same float32 frames, float64 sums in a different order: 1e-12 relative.
        XCTAssertLessThan(maxRelativeDifference(ours.mean, stats.mean), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(ours.covariance.values, stats.covariance.values), 1e-12)
    }
}
