import COpenBLAS
import FADArrays
import FADStats
import XCTest
import _FADTestSupport

/// Deterministic pseudo-random frames (an LCG is enough to fill test matrices).
func testFrames(rows: Int, columns: Int, seed: UInt64, offset: Float = 5) -> Matrix<Float> {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    var values = [Float]()
    values.reserveCapacity(rows * columns)
    for _ in 0..<(rows * columns) {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        values.append(Float(Double(state >> 11) * 0x1.0p-53) * 2 - 1 + offset)
    }
    return Matrix(rows: rows, columns: columns, values: values)
}

let testMetadata = StatisticsMetadata(model: "test-model", layer: "embedding", frontEnd: "sr=16000", files: 1)

final class RunningStatisticsTests: XCTestCase {
    func testSinglePassMatchesNumPy() throws {
        // float64 mean/cov of the same float32 frames by np.mean / np.cov: both sides sum in
        // Double, so only summation order differs -> 1e-12 relative.
        let frames = try Fixtures.npy("metrics/fd_well_d32_ref.npy").matrix(of: Float.self)
        var running = RunningStatistics(dimension: 32)
        running.add(frames)
        let stats = try running.finalized(metadata: testMetadata)
        let mean = try Fixtures.npy("metrics/stats_well_d32_ref_mean.npy").values
        let cov = try Fixtures.npy("metrics/stats_well_d32_ref_cov.npy").values
        XCTAssertEqual(stats.count, frames.rows)
        XCTAssertLessThan(maxRelativeDifference(stats.mean, mean), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(stats.covariance.values, cov), 1e-12)
    }

    func testMergedEqualsSinglePass() throws {
        // Several "files" of different lengths (including single frames), d = 48, more than one
        // dsyrk block in the long file; merged in two different trees.
        let lengths = [1, 700, 3, 1, 129, 2, 513, 1]
        let d = 48
        let files = lengths.enumerated().map { testFrames(rows: $0.element, columns: d, seed: UInt64($0.offset + 1)) }
        var all = files[0]
        for f in files.dropFirst() { all.appendRows(of: f) }
        var single = RunningStatistics(dimension: d)
        single.add(all)
        let reference = try single.finalized(metadata: testMetadata)

        // Left-to-right merge of per-file accumulators.
        var sequential = RunningStatistics(dimension: d)
        for f in files {
            var s = RunningStatistics(dimension: d)
            s.add(f)
            sequential.merge(s)
        }
        // Pairwise tree merge.
        var level = files.map { f -> RunningStatistics in var s = RunningStatistics(dimension: d); s.add(f); return s }
        while level.count > 1 {
            var next: [RunningStatistics] = []
            for k in stride(from: 0, to: level.count, by: 2) {
                var a = level[k]
                if k + 1 < level.count { a.merge(level[k + 1]) }
                next.append(a)
            }
            level = next
        }
        // Same frames through Double input and through row indices.
        var viaDouble = RunningStatistics(dimension: d)
        viaDouble.add(all.converted(to: Double.self))
        var viaRows = RunningStatistics(dimension: d)
        viaRows.add(rows: 0..<all.rows, of: all)

        for candidate in [sequential, level[0], viaDouble, viaRows] {
            let s = try candidate.finalized(metadata: testMetadata)
            XCTAssertEqual(s.count, all.rows)
            // Merging reorders the floating-point sums only: 1e-12 relative.
            XCTAssertLessThan(maxRelativeDifference(s.mean, reference.mean), 1e-12)
            XCTAssertLessThan(maxRelativeDifference(s.covariance.values, reference.covariance.values), 1e-12)
        }
        // Blocks-of-rows path is the same computation as the matrix path: identical bits.
        XCTAssertEqual(try viaRows.finalized(metadata: testMetadata), reference)
    }

    func testSingleFrameFile() throws {
        let frame = Matrix<Float>(rows: 1, columns: 3, values: [1, 2, 3])
        var one = RunningStatistics(dimension: 3)
        one.add(frame)
        let s = try one.finalized(metadata: testMetadata)
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s.mean, [1, 2, 3])
        XCTAssertEqual(s.covariance.values, [Double](repeating: 0, count: 9))
        // Merged with another single frame: exactly the two-frame statistics (no NaN, as
        // fadtk's per-file merge gives).
        var two = RunningStatistics(dimension: 3)
        two.add(Matrix<Float>(rows: 1, columns: 3, values: [3, 2, 1]))
        one.merge(two)
        let m = try one.finalized(metadata: testMetadata)
        XCTAssertEqual(m.mean, [2, 2, 2])
        XCTAssertEqual(m.covariance.values, [2, 0, -2, 0, 0, 0, -2, 0, 2])
    }

    func testEmptyThrowsAndEmptyMergeIsNeutral() throws {
        let empty = RunningStatistics(dimension: 4)
        XCTAssertThrowsError(try empty.finalized(metadata: testMetadata)) { error in
            XCTAssertTrue("\(error)".contains("no embedding frames"), "\(error)")
        }
        var s = RunningStatistics(dimension: 4)
        s.add(testFrames(rows: 10, columns: 4, seed: 9))
        let before = try s.finalized(metadata: testMetadata)
        s.merge(empty)
        XCTAssertEqual(try s.finalized(metadata: testMetadata), before)
    }

    func testUnionWithMultiplicitiesEqualsRepeatedMerges() throws {
        let d = 6
        let parts = [1, 5, 9, 2].enumerated().map { k, n -> RunningStatistics in
            var s = RunningStatistics(dimension: d)
            s.add(testFrames(rows: n, columns: d, seed: UInt64(40 + k)))
            return s
        }
        let w = [3, 0, 1, 2]
        var merged = RunningStatistics(dimension: d)
        for (p, k) in zip(parts, w) { for _ in 0..<k { merged.merge(p) } }
        let expected = try merged.finalized(metadata: testMetadata)
        let union = try RunningStatistics.union(parts, multiplicities: w).finalized(metadata: testMetadata)
        XCTAssertEqual(union.count, expected.count)
        XCTAssertLessThan(maxRelativeDifference(union.mean, expected.mean), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(union.covariance.values, expected.covariance.values), 1e-12)
    }

    func testOpenBLASThreadCountDoesNotChangeBits() throws {
        // The library starts no threads; OpenBLAS may. Accumulate d = 256 with 1 and 2 BLAS threads.
        let frames = testFrames(rows: 1500, columns: 256, seed: 77)
        let saved = openblas_get_num_threads()
        defer { openblas_set_num_threads(saved) }
        var results: [GaussianStatistics] = []
        for threads in [1, 2] {
            openblas_set_num_threads(Int32(threads))
            var s = RunningStatistics(dimension: 256)
            s.add(frames)
            results.append(try s.finalized(metadata: testMetadata))
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testGaussianStatisticsMerge() throws {
        let a = testFrames(rows: 40, columns: 5, seed: 1), b = testFrames(rows: 1, columns: 5, seed: 2)
        var ra = RunningStatistics(dimension: 5); ra.add(a)
        var rb = RunningStatistics(dimension: 5); rb.add(b)
        var meta = testMetadata
        meta.extra = ["dataset": "x", "tool": "1"]
        var metaB = testMetadata
        metaB.extra = ["dataset": "x", "tool": "2"]
        let ga = try ra.finalized(metadata: meta), gb = try rb.finalized(metadata: metaB)
        let merged = try ga.merged(with: gb)
        var both = a; both.appendRows(of: b)
        var rAll = RunningStatistics(dimension: 5); rAll.add(both)
        let expected = try rAll.finalized(metadata: testMetadata)
        XCTAssertEqual(merged.count, 41)
        XCTAssertEqual(merged.metadata.files, 2)
        XCTAssertEqual(merged.metadata.extra, ["dataset": "x"])
        XCTAssertLessThan(maxRelativeDifference(merged.covariance.values, expected.covariance.values), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(merged.mean, expected.mean), 1e-12)

        var other = gb
        other.metadata.model = "another-model"
        XCTAssertThrowsError(try ga.merged(with: other)) { XCTAssertTrue("\($0)".contains("different embeddings"), "\($0)") }
        var r3 = RunningStatistics(dimension: 3); r3.add(testFrames(rows: 2, columns: 3, seed: 3))
        XCTAssertThrowsError(try ga.merged(with: r3.finalized(metadata: testMetadata))) {
            XCTAssertTrue("\($0)".contains("dimension 5 and 3"), "\($0)")
        }
    }
}
