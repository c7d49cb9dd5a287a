import FADArrays
import FADMetrics
import FADStats
import XCTest
import _FADTestSupport

final class FrechetDistanceTests: XCTestCase {
    func testIdentityCovariancesUnitMeanShiftIn2048Dimensions() throws {
        // METRICS.md closed form: identical identity covariances, means 0 vs 1 -> FD = d = 2048.
        let d = 2048
        var identity = Matrix<Double>(rows: d, columns: d)
        for i in 0..<d { identity[i, i] = 1 }
        let a = try GaussianStatistics(count: 10, mean: [Double](repeating: 0, count: d), covariance: identity, metadata: metadata)
        let b = try GaussianStatistics(count: 10, mean: [Double](repeating: 1, count: d), covariance: identity, metadata: metadata)
        let fd = try frechetDistance(a, b)
        XCTAssertLessThan(relativeError(fd.value, 2048), 1e-10)  // closed form: 1e-10 relative
        XCTAssertEqual(fd.meanTerm, 2048)
        XCTAssertLessThan(abs(fd.traceTerm), 1e-9)
    }

    func testDiagonalClosedForm() throws {
        // FD = |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2 = 5.433997802663442 (METRICS.md).
        let d = 16
        var ca = Matrix<Double>(rows: d, columns: d), cb = ca
        for i in 0..<d {
            ca[i, i] = 0.5 + 1.5 * Double(i) / 15
            cb[i, i] = 1 + 2 * Double(i) / 15
        }
        let a = try GaussianStatistics(count: 5, mean: [Double](repeating: 0, count: d), covariance: ca, metadata: metadata)
        let b = try GaussianStatistics(count: 5, mean: [Double](repeating: 0.5, count: d), covariance: cb, metadata: metadata)
        XCTAssertLessThan(relativeError(try frechetDistance(a, b).value, 5.433997802663442), 1e-10)
        XCTAssertLessThan(relativeError(try frechetDistance(b, a).value, 5.433997802663442), 1e-10)
    }

    func testRankDeficientWorkedExample() throws {
        // Reference frames (1,2),(2,3); generated (2,2),(3,4): FD = 1.25 + 1 + 2.5 - 2*1.5 = 1.75.
        let ref = try statistics(Matrix<Float>(rows: 2, columns: 2, values: [1, 2, 2, 3]))
        let gen = try statistics(Matrix<Float>(rows: 2, columns: 2, values: [2, 2, 3, 4]))
        XCTAssertEqual(ref.covariance.values, [0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(gen.covariance.values, [0.5, 1, 1, 2])
        let fd = try frechetDistance(ref, gen)
        XCTAssertLessThan(relativeError(fd.value, 1.75), 1e-10)
        XCTAssertLessThan(relativeError(fd.meanTerm, 1.25), 1e-15)
        // The per-song path (from frames, low rank) gives the same number.
        let song = try perSongFAD(reference: ref, songs: [("g", Matrix<Float>(rows: 2, columns: 2, values: [2, 2, 3, 4]))])
        XCTAssertLessThan(relativeError(song[0].fad, 1.75), 1e-10)
    }

    func testAgainstScipyEigAndSqrtm() throws {
        // Frames -> statistics here and in numpy. References: the exact value (nuclear norm of
        // the centred frames' cross product by SVD, error ~1e-15) to 1e-12 relative; fadtk's eig
        // method and scipy sqrtm to 1e-8 relative on full-rank cases, and to 5e-8 on rank-deficient
        // ones, where the script measures their own error against the exact value at up to 2.6e-8
        // (square roots of rounding-level eigenvalues of the singular product).
        let cases = section("fd")
        XCTAssertEqual(cases.count, 7)
        for (name, value) in cases.sorted(by: { $0.key < $1.key }) {
            let c = value as! [String: Any]
            let refFrames = try Fixtures.npy("metrics/fd_\(name)_ref.npy").matrix(of: Float.self)
            let genFrames = try Fixtures.npy("metrics/fd_\(name)_gen.npy").matrix(of: Float.self)
            let ref = try statistics(refFrames), gen = try statistics(genFrames)
            let fd = try frechetDistance(ref, gen)
            let scipyTolerance = name.hasPrefix("well") ? 1e-8 : 5e-8
            print(String(format: "FD %@: rel. error vs exact %.1e, vs fadtk eig %.1e, rank %d", name,
                         relativeError(fd.value, number(c["fd_exact"])), relativeError(fd.value, number(c["fd_eig"])),
                         fd.referenceRank))
            XCTAssertLessThan(relativeError(fd.value, number(c["fd_exact"])), 1e-12, name)
            XCTAssertLessThan(relativeError(fd.value, number(c["fd_eig"])), scipyTolerance, name)
            if let sq = c["fd_sqrtm"] as? NSNumber {
                XCTAssertLessThan(relativeError(fd.value, sq.doubleValue), scipyTolerance, name)
            }
            XCTAssertLessThan(relativeError(fd.meanTerm, number(c["mean_term"])), 1e-10, name)
            XCTAssertGreaterThanOrEqual(fd.value, 0)
            // Per-song path: the distance computed from the generated frames directly.
            let song = try perSongFAD(reference: ref, songs: [(name, genFrames)])
            XCTAssertLessThan(relativeError(song[0].fad, number(c["fd_exact"])), 1e-10, name)
            XCTAssertEqual(song[0].frames, genFrames.rows)
        }
    }

    func testIdenticalStatisticsGiveZeroNotNegative() throws {
        let frames = try Fixtures.npy("metrics/fd_rankdef_both_d128_ref.npy").matrix(of: Float.self)
        let s = try statistics(frames)  // rank 59 in 128 dimensions
        let fd = try frechetDistance(s, s)
        XCTAssertGreaterThanOrEqual(fd.value, 0)
        // Rounding only: the trace terms are ~1e2, so ~1e-10 absolute is the scale of noise.
        XCTAssertLessThan(fd.value, 1e-9)
        XCTAssertEqual(fd.referenceRank, 59, "60 frames: rank 59")
        XCTAssertLessThan(fd.largestClipped, 1e-10)
    }

    func testDimensionMismatchIsAClearError() throws {
        let a = try statistics(Matrix<Float>(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 7]))
        let b = try statistics(Matrix<Float>(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 7]))
        XCTAssertThrowsError(try frechetDistance(a, b)) { error in
            XCTAssertEqual(error as? MetricsError,
                           .dimensionMismatch("Fréchet distance between test and test statistics", 2, 3))
            XCTAssertTrue("\(error)".contains("dimension mismatch (2 vs 3)"), "\(error)")
        }
    }

    func testIndefiniteCovarianceIsRefused() throws {
        var c = Matrix<Double>(rows: 2, columns: 2)
        c[0, 0] = 1; c[1, 1] = -1
        let bad = try GaussianStatistics(count: 3, mean: [0, 0], covariance: c, metadata: metadata)
        let good = try statistics(Matrix<Float>(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 7]))
        XCTAssertThrowsError(try frechetDistance(bad, good)) { XCTAssertTrue("\($0)".contains("negative variance"), "\($0)") }
        // Non-negative diagonal but indefinite: [[1, 2], [2, 1]] has eigenvalues 3 and -1.
        let indefinite = try GaussianStatistics(count: 3, mean: [0, 0], covariance: Matrix(rows: 2, columns: 2, values: [1, 2, 2, 1]),
                                                metadata: metadata)
        XCTAssertThrowsError(try frechetDistance(indefinite, good)) { XCTAssertTrue("\($0)".contains("not positive semi-definite"), "\($0)") }
    }
}
