import FADArrays
import FADStats
import Foundation
import XCTest
import _FADTestSupport

/// Merging the shards of one set: exact against one pass, and every way of getting the shards
/// wrong (other embedding, overlap, gap, other set or partition) refused with a message that
/// names the file.
final class ShardMergeTests: XCTestCase {
    let d = 6
    let provenance = ["windowHop": "187", "weightsDigest": "sha256:abc", "tool": "fad"]

    /// Four shards of 23 "files" (file i goes to shard i % 4 + 1, as any partition might), and
    /// the same files in one pass.
    func makeShards(setDigest: String = "sha256:set-a") throws -> (shards: [GaussianStatistics], whole: GaussianStatistics) {
        var parts = (0..<4).map { _ in RunningStatistics(dimension: d) }
        var whole = RunningStatistics(dimension: d)
        var counts = [0, 0, 0, 0]
        for i in 0..<23 {
            let frames = testFrames(rows: 1 + (i * 7) % 13, columns: d, seed: UInt64(i + 1))
            parts[i % 4].add(frames)
            counts[i % 4] += 1
            whole.add(frames)
        }
        let meta = StatisticsMetadata(model: "m", layer: "l", frontEnd: "f", files: 0, extra: provenance)
        let shards = try (0..<4).map { k -> GaussianStatistics in
            var m = meta
            m.files = counts[k]
            m.shard = ShardInfo(index: k + 1, count: 4, partition: "rule-v1", setFiles: 23, setDigest: setDigest,
                                assignedFiles: counts[k])
            return try parts[k].finalized(metadata: m)
        }
        var wholeMeta = meta
        wholeMeta.files = 23
        return (shards, try whole.finalized(metadata: wholeMeta))
    }

    func merge(_ shards: [GaussianStatistics], paths: [String]? = nil) throws -> GaussianStatistics {
        var merger = StatisticsMerger()
        for (k, s) in shards.enumerated() { try merger.add(s, path: paths?[k] ?? "part-\(k + 1).fadstats") }
        return try merger.finalized()
    }

    func expectRefusal(_ shards: [GaussianStatistics], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try merge(shards), file: file, line: line) { error in
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
            }
        }
    }

    func testShardsMergeToTheOnePassStatistics() throws {
        let (shards, whole) = try makeShards()
        // Any order: Chan's update agrees with one pass to rounding (summation order only).
        for order in [[0, 1, 2, 3], [3, 1, 0, 2]] {
            let merged = try merge(order.map { shards[$0] })
            XCTAssertEqual(merged.count, whole.count)
            XCTAssertEqual(merged.metadata.files, 23)
            XCTAssertNil(merged.metadata.shard)
            XCTAssertEqual(merged.metadata.extra["setDigest"], "sha256:set-a")
            XCTAssertEqual(merged.metadata.extra["windowHop"], "187")
            XCTAssertLessThan(maxRelativeDifference(merged.mean, whole.mean), 1e-12)
            XCTAssertLessThan(maxRelativeDifference(merged.covariance.values, whole.covariance.values), 1e-12)
        }
    }

    func testOverlappingShardsAreRefused() throws {
        let (shards, _) = try makeShards()
        XCTAssertThrowsError(try merge([shards[0], shards[1], shards[1], shards[2], shards[3]],
                                       paths: ["a", "b", "c", "d", "e"])) { error in
            XCTAssertEqual("\(error)", "c: overlaps b: both are shard 2/4 of the same set")
        }
    }

    func testGapsAreRefused() throws {
        let (shards, _) = try makeShards()
        expectRefusal([shards[0], shards[2]], ["part-1.fadstats: shards leave a gap: 2 of 4 missing (2, 4)"])
        expectRefusal([shards[3]], ["gap: 3 of 4 missing (1, 2, 3)"])
    }

    func testShardsThatDisagreeOnTheEmbeddingAreRefused() throws {
        let (shards, _) = try makeShards()
        for (key, value, fragment) in [("model", "other", "model other vs m"), ("layer", "x", "layer x vs l"),
                                       ("frontEnd", "sr=1", "front end [sr=1] vs [f]"),
                                       ("windowHop", "94", "window hop 94 vs 187"),
                                       ("weightsDigest", "sha256:def", "weights digest sha256:def vs sha256:abc")] {
            var odd = shards[2]
            switch key {
            case "model": odd.metadata.model = value
            case "layer": odd.metadata.layer = value
            case "frontEnd": odd.metadata.frontEnd = value
            default: odd.metadata.extra[key] = value
            }
            expectRefusal([shards[0], shards[1], odd, shards[3]], ["part-1.fadstats", "part-3.fadstats: cannot merge statistics of different embeddings", fragment])
        }
        // Provenance recorded on one side only is a mismatch too.
        var bare = shards[1]
        bare.metadata.extra["weightsDigest"] = nil
        expectRefusal([shards[0], bare, shards[2], shards[3]], ["weights digest (not recorded) vs sha256:abc"])
    }

    func testShardsOfAnotherSetOrPartitionAreRefused() throws {
        let (shards, whole) = try makeShards()
        let (others, _) = try makeShards(setDigest: "sha256:set-b")
        expectRefusal([shards[0], shards[1], others[2], shards[3]], ["part-3.fadstats: is a shard of a different set than part-1.fadstats"])
        var eight = shards[1]
        eight.metadata.shard!.count = 8
        expectRefusal([shards[0], eight], ["part-2.fadstats: is shard 2/8", "different partitions"])
        var rule = shards[1]
        rule.metadata.shard!.partition = "rule-v2"
        expectRefusal([shards[0], rule], ["different partitions"])
        expectRefusal([shards[0], whole], ["part-2.fadstats: is not a shard, but part-1.fadstats is shard 1/4"])
        expectRefusal([whole, shards[0]], ["part-2.fadstats: is shard 1/4, but part-1.fadstats is not a shard"])
        var bad = shards[0]
        bad.metadata.shard!.index = 5
        expectRefusal([bad], ["invalid shard 5/4"])
    }

    func testWholeSetsStillMergeFreely() throws {
        let (_, whole) = try makeShards()
        let twice = try merge([whole, whole])
        XCTAssertEqual(twice.count, 2 * whole.count)
        XCTAssertEqual(twice.metadata.files, 46)
    }

    func testShardRecordSurvivesTheFile() throws {
        let (shards, _) = try makeShards()
        let dir = try Fixtures.temporaryDirectory("shard-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("part-3.fadstats")
        try shards[2].write(to: url)
        let back = try GaussianStatistics.read(from: url)
        XCTAssertEqual(back, shards[2])
        XCTAssertEqual(back.metadata.shard?.index, 3)
        XCTAssertEqual(back.metadata.shard?.setDigest, "sha256:set-a")
        // Whole-set files carry no "shard" key at all, so older readers see the same header.
        let wholeURL = dir.appendingPathComponent("whole.fadstats")
        try merge(shards).write(to: wholeURL)
        let text = String(decoding: try Data(contentsOf: wholeURL).prefix(2000), as: UTF8.self)
        XCTAssertFalse(text.contains("\"shard\""), text)
        XCTAssertTrue(text.contains("setDigest"), text)
    }

    func testMismatchNamesTheFirstDifference() {
        let a = StatisticsMetadata(model: "m", layer: "l", frontEnd: "f", files: 1, extra: provenance)
        var b = a
        XCTAssertNil(a.mismatch(with: b))
        b.files = 9
        b.extra["tool"] = "other"
        XCTAssertNil(a.mismatch(with: b), "file counts and free-form entries do not matter")
        b.extra["windowHop"] = "94"
        XCTAssertEqual(a.mismatch(with: b), "window hop 187 vs 94")
        XCTAssertFalse(a.isCompatible(with: b))
    }
}
