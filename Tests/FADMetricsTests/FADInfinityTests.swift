import FADArrays
import FADMetrics
import FADStats
import XCTest
import _FADTestSupport

final class FADInfinityTests: XCTestCase {
    func testScheduleMatchesNumPyLinspace() throws {
        let checks = section("fadinf")["linspace_checks"] as! [String: [Int]]
        for (total, expected) in checks {
            XCTAssertEqual(fadInfinitySubsetSizes(total: Int(total)!), expected, total)
        }
    }

    func testReplacementEstimatorEqualsFadtkLoopOnSameSubsets() throws {
        // fadtk's score_inf on stored draws: each FD to 1e-8 relative (both sides are float64 and
        // accurate to ~1e-13), the fit's intercept and slope too, R^2 to 1e-8 absolute.
        let f = section("fadinf")
        let refFrames = try Fixtures.npy("metrics/fadinf_ref.npy").matrix(of: Float.self)
        let evalFrames = try Fixtures.npy("metrics/fadinf_eval.npy").matrix(of: Float.self)
        let flat = try Fixtures.npy("metrics/fadinf_subsets.npy").values.map { Int($0) }
        let ns = f["ns"] as! [Int]
        var subsets: [[Int]] = []
        var start = 0
        for n in ns { subsets.append(Array(flat[start..<(start + n)])); start += n }
        XCTAssertEqual(start, flat.count)
        let result = try fadInfinity(reference: statistics(refFrames), frames: evalFrames, subsets: subsets)
        let points = (f["points"] as! [NSNumber]).map(\.doubleValue)
        for (p, expected) in zip(result.points, points) {
            XCTAssertLessThan(relativeError(p.fad, expected), 1e-8)
        }
        XCTAssertEqual(result.points.map(\.frames), ns)
        XCTAssertLessThan(relativeError(result.value, number(f["intercept"])), 1e-8)
        XCTAssertLessThan(relativeError(result.slope, number(f["slope"])), 1e-8)
        XCTAssertLessThan(abs(result.rSquared - number(f["r2"])), 1e-8)
    }

    func testTooFewFramesIsATypedError() throws {
        let ref = try statistics(Matrix<Float>(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 7]))
        let frames = Matrix<Float>(rows: 320, columns: 2, repeating: 1)
        XCTAssertThrowsError(try fadInfinity(reference: ref, frames: frames)) { error in
            XCTAssertEqual(error as? MetricsError, .tooFewFramesForFADInfinity(needed: 501, got: 320))
            XCTAssertTrue("\(error)".contains("FAD-inf needs >= 501 frames, got 320"), "\(error)")
        }
    }

    func testDefaultEstimatorFindsTheInfiniteSampleFD() throws {
        // Generated frames drawn from the reference's own distribution N(0, I) in d = 24, so the
        // infinite-sample FD is exactly 0. Plain FD over N = 2000 frames is biased upwards by
        // ~d(d+2)/(4N) ≈ 0.08; the without-replacement FAD-inf must be within its own noise of 0
        // (|mean| < 4 standard errors over 8 seeds) while plain FD is far from it, and fadtk's
        // with-replacement estimate stays near plain FD (it extrapolates the empirical
        // distribution, METRICS.md).
        let d = 24, n = 2000
        var identity = Matrix<Double>(rows: d, columns: d)
        for i in 0..<d { identity[i, i] = 1 }
        let population = try GaussianStatistics(count: 1_000_000_000, mean: [Double](repeating: 0, count: d),
                                                covariance: identity, metadata: metadata)
        var plain: [Double] = [], without: [Double] = [], with: [Double] = []
        for seed in 0..<8 {
            var g = SeededGenerator(seed: UInt64(1000 + seed))
            let frames = gaussianFrames(rows: n, columns: d, generator: &g)
            plain.append(try frechetDistance(population, statistics(frames)).value)
            without.append(try fadInfinity(reference: population, frames: frames,
                                           options: FADInfinityOptions(seed: UInt64(seed))).value)
            with.append(try fadInfinity(reference: population, frames: frames,
                                        options: FADInfinityOptions(sampling: .withReplacement, seed: UInt64(seed))).value)
        }
        func meanAndSE(_ x: [Double]) -> (Double, Double) {
            let m = x.reduce(0, +) / Double(x.count)
            let v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
            return (m, (v / Double(x.count)).squareRoot())
        }
        let (pm, _) = meanAndSE(plain), (wm, wse) = meanAndSE(without), (rm, _) = meanAndSE(with)
        XCTAssertLessThan(abs(wm), 4 * wse, "without replacement: \(wm) ± \(wse)")
        XCTAssertGreaterThan(pm, wm + 8 * wse, "plain FD \(pm) vs FAD-inf \(wm) ± \(wse)")
        XCTAssertGreaterThan(rm, wm + 8 * wse, "replacement FAD-inf \(rm)")
        print("FAD-inf truth test: plain \(pm), without replacement \(wm) ± \(wse), with replacement \(rm)")
    }

    func testSeededRunsAreReproducible() throws {
        var g = SeededGenerator(seed: 5)
        let frames = gaussianFrames(rows: 700, columns: 8, generator: &g)
        let ref = try statistics(gaussianFrames(rows: 300, columns: 8, generator: &g))
        let a = try fadInfinity(reference: ref, frames: frames, options: FADInfinityOptions(seed: 3))
        let b = try fadInfinity(reference: ref, frames: frames, options: FADInfinityOptions(seed: 3))
        let c = try fadInfinity(reference: ref, frames: frames, options: FADInfinityOptions(seed: 4))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.value, c.value)
        XCTAssertEqual(a.points.count, 25)
        XCTAssertEqual(a.points.first?.frames, 500)
        XCTAssertEqual(a.points.last?.frames, 700)
        XCTAssertEqual(a.options?.sampling, .withoutReplacement)
    }
}
