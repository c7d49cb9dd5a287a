import FADArrays
@testable import FADMetrics
import FADStats
import Foundation
import XCTest
import _FADTestSupport

final class PerSongFADTests: XCTestCase {
    func testScoresSortedWorstFirstWithRobustZ() throws {
        var g = SeededGenerator(seed: 21)
        let ref = try statistics(gaussianFrames(rows: 400, columns: 8, generator: &g))
        var songs: [(name: String, frames: Matrix<Float>)] = []
        for k in 0..<6 { songs.append(("song\(k)", gaussianFrames(rows: 20, columns: 8, generator: &g))) }
        var shifted = gaussianFrames(rows: 20, columns: 8, generator: &g)
        for i in shifted.values.indices { shifted.values[i] += 3 }
        songs.append(("outlier", shifted))
        songs.append(("one-frame", gaussianFrames(rows: 1, columns: 8, generator: &g)))
        let scores = try perSongFAD(reference: ref, songs: songs)
        XCTAssertEqual(scores.first?.name, "outlier")
        XCTAssertEqual(scores.map(\.fad), scores.map(\.fad).sorted(by: >))
        let z = scores.first!.robustZ!
        XCTAssertGreaterThan(z, 10)
        XCTAssertEqual(scores.first { $0.name == "one-frame" }?.frames, 1)
        // Each value equals the set-level FD of that song's own statistics.
        for s in scores where s.frames > 1 {
            let frames = songs.first { $0.name == s.name }!.frames
            XCTAssertLessThan(relativeError(s.fad, try frechetDistance(ref, statistics(frames)).value), 1e-10)
        }
        XCTAssertThrowsError(try perSongFAD(reference: ref, songs: [("empty.wav", Matrix<Float>(rows: 0, columns: 8))])) {
            XCTAssertEqual("\($0)", "empty.wav: no embedding frames")
        }
    }

    func testRobustZ() {
        // median 3, MAD 1 -> z = (x - 3) / 1.4826
        let z = robustZScores([1, 2, 3, 4, 100])
        XCTAssertEqual(z[0]!, -2 / 1.4826, accuracy: 1e-15)
        XCTAssertEqual(z[4]!, 97 / 1.4826, accuracy: 1e-12)
        XCTAssertTrue(robustZScores([2, 2, 2]).allSatisfy { $0 == nil })
    }
}

final class BootstrapTests: XCTestCase {
    func testIntervalIsSeededAndBracketsTheEstimate() throws {
        var g = SeededGenerator(seed: 8)
        let ref = try statistics(gaussianFrames(rows: 500, columns: 6, generator: &g))
        var files: [RunningStatistics] = []
        var fileFrames: [Matrix<Float>] = []
        var all = RunningStatistics(dimension: 6)
        for k in 0..<30 {
            var s = RunningStatistics(dimension: 6)
            var frames = gaussianFrames(rows: 1 + k % 7, columns: 6, generator: &g)
            for i in frames.values.indices { frames.values[i] += 0.3 }
            s.add(frames)
            files.append(s)
            fileFrames.append(frames)
            all.merge(s)
        }
        let a = try fadBootstrap(reference: ref, files: files, resamples: 100, seed: 4)
        XCTAssertEqual(a, try fadBootstrap(reference: ref, files: files, resamples: 100, seed: 4))
        XCTAssertLessThan(relativeError(a.estimate, try frechetDistance(ref, all.finalized(metadata: metadata)).value), 1e-12)
        XCTAssertLessThan(a.low, a.estimate)
        XCTAssertGreaterThan(a.high, a.estimate)
        let b = try fadBootstrap(reference: ref, files: files, resamples: 100, seed: 5)
        XCTAssertNotEqual(a.low, b.low)
        // From frames: the same resamples (same seed) and the same statistics, to rounding.
        let c = try fadBootstrap(reference: ref, fileFrames: fileFrames, resamples: 100, seed: 4)
        XCTAssertLessThan(relativeError(c.estimate, a.estimate), 1e-12)
        XCTAssertLessThan(relativeError(c.low, a.low), 1e-12)
        XCTAssertLessThan(relativeError(c.high, a.high), 1e-12)
    }
}

final class SeededGeneratorTests: XCTestCase {
    func testMatchesThePythonReimplementation() {
        // xoshiro256** seeded by SplitMix64 and Lemire's bounded integers, reimplemented in the
        // fixture script: the same seed gives the same numbers in any language.
        let r = section("rng")
        var g = SeededGenerator(seed: UInt64(number(r["seed"])))
        XCTAssertEqual((0..<5).map { _ in String(g.next()) }, r["next"] as! [String])
        var u = SeededGenerator(seed: UInt64(number(r["uniform_seed"])))
        let bounds = r["uniform_bounds"] as! [Int]
        let expected = (r["uniform"] as! [NSNumber]).map(\.intValue)
        var got: [Int] = []
        for b in bounds { for _ in 0..<3 { got.append(u.uniform(below: b)) } }
        XCTAssertEqual(got, expected)
    }
}

final class BCaTests: XCTestCase {
    func testNormalQuantilesAndUnadjustedCase() {
        // scipy.stats.norm.ppf(0.975) = 1.959963984540054, norm.cdf(1) = 0.8413447460685429.
        XCTAssertLessThan(abs(inverseNormalCDF(0.975) - 1.959963984540054), 1e-12)
        XCTAssertLessThan(abs(normalCDF(1) - 0.8413447460685429), 1e-15)
        // Half the resamples below the estimate and symmetric jackknife values: z0 = 0, a = 0,
        // so BCa is the plain percentile interval.
        let values = (0..<100).map { Double($0) }
        let q = bcaQuantiles(sorted: values, estimate: 49.5, jackknife: [1, 2, 3, 4, 5], alpha: 0.025)
        XCTAssertEqual(q.z0, 0, accuracy: 1e-12)
        XCTAssertEqual(q.a, 0, accuracy: 1e-12)
        XCTAssertEqual(q.low, 0.025, accuracy: 1e-12)
        XCTAssertEqual(q.high, 0.975, accuracy: 1e-12)
    }

    /// Efron & Tibshirani's formula on a hand-checked case: 20 % of resamples below the estimate
    /// gives z0 = Φ⁻¹(0.2) = -0.8416212335729143; jackknife [0, 0, 3] gives
    /// a = Σd³ / (6 (Σd²)^1.5) with d = mean - v = (1, 1, -2): (1 + 1 - 8) / (6 · 6^1.5) = -0.06804138174397717.
    func testBiasAndAcceleration() {
        let values = (0..<10).map { Double($0) }
        let q = bcaQuantiles(sorted: values, estimate: 1.5, jackknife: [0, 0, 3], alpha: 0.05)
        XCTAssertEqual(q.z0, -0.8416212335729143, accuracy: 1e-12)
        XCTAssertEqual(q.a, -0.06804138174397717, accuracy: 1e-15)
        let z = q.z0 - 1.6448536269514722
        XCTAssertEqual(q.low, normalCDF(q.z0 + z / (1 - q.a * z)), accuracy: 1e-12)
    }

    func testBCaMovesTheIntervalOntoTheEstimate() throws {
        // Files are clusters (own offset plus noise per frame): a resample with repeated files
        // has less diversity than the set, so resampled FADs sit mostly above the estimate and
        // the plain percentile interval barely reaches it; BCa's z0 < 0 moves both ends down.
        var g = SeededGenerator(seed: 21)
        let ref = try statistics(gaussianFrames(rows: 4000, columns: 8, generator: &g))
        func clustered(_ count: Int, noise: Float) -> [Matrix<Float>] {
            (0..<count).map { _ -> Matrix<Float> in
                let offset = gaussianFrames(rows: 1, columns: 8, generator: &g).values
                let frames = gaussianFrames(rows: 20, columns: 8, generator: &g)
                return Matrix(rows: 20, columns: 8, values: frames.values.enumerated().map { $0.element * noise + offset[$0.offset % 8] })
            }
        }
        let r = try fadBootstrap(reference: ref, fileFrames: clustered(30, noise: 1), resamples: 200, seed: 1)
        XCTAssertLessThan(r.biasCorrection, -1)
        XCTAssertLessThan(r.resamplesBelowEstimate, 20)
        XCTAssertLessThanOrEqual(r.low, r.estimate)
        XCTAssertGreaterThanOrEqual(r.high, r.estimate)
        XCTAssertLessThan(r.high, r.percentileHigh)
        XCTAssertLessThan(r.low, r.percentileLow)
        XCTAssertEqual(r.method, "BCa")
        // Ten tight clusters: (almost) no resample falls below the estimate, BCa's percentiles
        // come from the extreme tail and leave the estimate out; the interval is then the
        // percentile interval shifted by the bootstrap bias, which holds it.
        let tight = try fadBootstrap(reference: ref, fileFrames: clustered(10, noise: 0.3), resamples: 200, seed: 1)
        XCTAssertLessThanOrEqual(tight.resamplesBelowEstimate, 2)
        XCTAssertGreaterThan(tight.percentileLow, tight.estimate)
        XCTAssertLessThan(tight.biasCorrection, -2)
        XCTAssertEqual(tight.method, "shifted-percentile")
        XCTAssertLessThanOrEqual(tight.low, tight.estimate)
        XCTAssertGreaterThanOrEqual(tight.high, tight.estimate)
        XCTAssertEqual(tight.high - tight.low, tight.percentileHigh - tight.percentileLow, accuracy: 1e-9 * tight.high)
    }
}
