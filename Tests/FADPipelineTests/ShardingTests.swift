import FADPipeline
import FADStats
import Foundation
import XCTest
import _FADTestSupport

/// The partition behind `--shard I/N`: every file in exactly one shard, shards within one file
/// of each other in size, and the same partition whatever the order the files were listed in or
/// the folder the set lives in.
final class ShardingTests: XCTestCase {
    func files(_ keys: [String], root: String = "/data/set") -> [InputFile] {
        keys.map { InputFile(url: URL(fileURLWithPath: "\(root)/\($0).wav"), key: $0) }
    }

    func testShardsCoverTheSetOnceAndAreBalanced() throws {
        let keys = (0..<1003).map { "album\($0 % 7)/track\($0)" }
        let set = files(keys)
        var seen: [String: Int] = [:]
        var sizes: [Int] = []
        for i in 1...8 {
            let (chosen, info) = try ShardSelection(index: i, count: 8).select(set, set: "set")
            sizes.append(chosen.count)
            XCTAssertEqual(info.index, i)
            XCTAssertEqual(info.count, 8)
            XCTAssertEqual(info.setFiles, 1003)
            XCTAssertEqual(info.assignedFiles, chosen.count)
            XCTAssertEqual(info.partition, ShardSelection.partitionRule)
            // A shard keeps the set's own order.
            XCTAssertEqual(chosen, set.filter { chosen.contains($0) })
            for f in chosen { seen[f.key, default: 0] += 1 }
        }
        XCTAssertEqual(seen.count, 1003)
        XCTAssertTrue(seen.values.allSatisfy { $0 == 1 })
        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(sizes)")
    }

    func testPartitionIgnoresListingOrderAndSetLocation() throws {
        let keys = (0..<50).map { "song-\($0)" }
        let a = files(keys, root: "/node1/scratch/ref")
        let b = files(keys.reversed(), root: "/mnt/other/ref")
        for i in 1...3 {
            let shard = try ShardSelection(index: i, count: 3)
            let (x, infoX) = try shard.select(a, set: "a")
            let (y, infoY) = try shard.select(b, set: "b")
            XCTAssertEqual(Set(x.map(\.key)), Set(y.map(\.key)))
            XCTAssertEqual(infoX, infoY)
        }
        // The digest follows the set's content: one file more, another digest.
        XCTAssertNotEqual(ShardSelection.setDigest(a), ShardSelection.setDigest(files(keys + ["extra"])))
    }

    func testPartitionIsPinned() throws {
        // The rule is part of the file format: shards cut by an older build must merge with
        // shards cut by a newer one. Expected values from an independent implementation in
        // Python's hashlib:
        //   r = sorted(range(10), key=lambda i: (sha256(k[i].encode()).digest()[:16], i))
        //   shard 1 = sorted(i for rank, i in enumerate(r) if rank % 3 == 0)
        //   digest = sha256(b"".join(k.encode() + b"\n" for k in sorted(keys)))
        let set = files(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
        let shard1 = try ShardSelection(index: 1, count: 3).select(set, set: "s").files.map(\.key)
        XCTAssertEqual(shard1, Self.pinnedShard1)
        XCTAssertEqual(ShardSelection.setDigest(set), Self.pinnedDigest)
    }

    static let pinnedShard1: [String] = ["c", "h", "i", "j"]
    static let pinnedDigest = "sha256:5af306b9538f2bf03cef3ab056bdf784781be7495ad6b0aa753035e473ce245e"

    func testBadShardsAreRefused() throws {
        for text in ["0/4", "5/4", "1/0", "-1/3", "3", "a/b", "1/2/3", ""] {
            XCTAssertThrowsError(try ShardSelection(parsing: text), text) {
                XCTAssertTrue("\($0)".contains("expected I/N"), "\($0)")
            }
        }
        XCTAssertEqual(try ShardSelection(parsing: "3/8").description, "3/8")
        XCTAssertThrowsError(try ShardSelection(index: 3, count: 3).select(files(["x", "y"]), set: "tiny")) {
            XCTAssertEqual("\($0)", "tiny: shard 3/3 holds no file (the set has 2); use at most 2 shards")
        }
    }
}
