import FADArrays
import FADMetrics
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
