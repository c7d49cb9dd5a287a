import FADArrays
import Foundation
import XCTest
import _FADTestSupport

/// `--shard I/N`, `fad stats merge` and the provenance checks, through the command line. The
/// statistics tests run on .npy folders (no model: fast); embedding and the shared cache run the
/// default model on a few example files.
final class ShardingCLITests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try Fixtures.temporaryDirectory("fad-shard") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// A folder of 17 .npy "songs" of 1 to 9 frames, d = 6, in two subfolders.
    func npySet() throws -> String {
        let root = work.appendingPathComponent("set")
        for k in 0..<17 {
            let rows = 1 + (k * 5) % 9
            var state = UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15
            let values = (0..<(rows * 6)).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(state >> 40) / Float(1 << 24) * 4 - 1
            }
            let url = root.appendingPathComponent("album\(k % 2)/song\(k).npy")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try NPYArray(shape: [rows, 6], floats: values).write(to: url)
        }
        return root.path
    }

    /// Mean and covariance of a `.fadstats` file, read by hand (the documented layout).
    func readStatistics(_ path: String) throws -> (header: [String: Any], values: [Double]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = Int(data[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: data[16..<(16 + length)]) as? [String: Any])
        let payload = data[(16 + length)...]
        let values = stride(from: payload.startIndex, to: payload.endIndex, by: 8).map { i in
            Double(bitPattern: payload[i..<(i + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        }
        return (header, values)
    }

    func saveShards(_ set: String, count: Int, prefix: String = "part", extra: [String] = []) throws {
        for i in 1...count {
            let run = try FAD.run(["stats", "save", set, "--shard", "\(i)/\(count)", "-o", path("\(prefix)-\(i).fadstats"), "-q"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
    }

    func testShardedStatisticsMergeToTheOneProcessStatistics() throws {
        let set = try npySet()
        let single = try FAD.run(["stats", "save", set, "-o", path("single.fadstats"), "-q"])
        XCTAssertEqual(single.status, 0, single.stderr)
        try saveShards(set, count: 4)
        var assigned = 0
        for i in 1...4 {
            let shard = try XCTUnwrap(try readStatistics(path("part-\(i).fadstats")).header["shard"] as? [String: Any])
            XCTAssertEqual(shard["index"] as? Int, i)
            XCTAssertEqual(shard["count"] as? Int, 4)
            XCTAssertEqual(shard["setFiles"] as? Int, 17)
            assigned += try XCTUnwrap(shard["assignedFiles"] as? Int)
        }
        XCTAssertEqual(assigned, 17, "the shards cover the set once")
        // Merged in an order that is neither the shards' nor the file system's.
        let merge = try FAD.run(["stats", "merge", path("part-3.fadstats"), path("part-1.fadstats"), path("part-4.fadstats"),
                                 path("part-2.fadstats"), "-o", path("out/merged.fadstats")])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertTrue(merge.stderr.contains("17 files"), merge.stderr)
        let (mh, mv) = try readStatistics(path("out/merged.fadstats"))
        let (sh, sv) = try readStatistics(path("single.fadstats"))
        XCTAssertEqual(mh["count"] as? Int, sh["count"] as? Int)
        XCTAssertEqual(mh["files"] as? Int, 17)
        XCTAssertNil(mh["shard"])
        XCTAssertEqual((mh["extra"] as? [String: String])?["setDigest"], (sh["extra"] as? [String: String])?["setDigest"])
        // Only the float64 summation order differs: 1e-12 relative to the largest entry.
        let scale = sv.map(abs).max()!
        XCTAssertLessThan(maxAbsDifference(mv, sv) / scale, 1e-12)
    }

    func testOverlapGapAndForeignShardsAreRefused() throws {
        let set = try npySet()
        try saveShards(set, count: 3)
        let overlap = try FAD.run(["stats", "merge", path("part-1.fadstats"), path("part-2.fadstats"), path("part-2.fadstats"),
                                   path("part-3.fadstats"), "-o", path("x.fadstats")])
        XCTAssertEqual(overlap.status, 65, overlap.stderr)
        XCTAssertTrue(overlap.stderr.contains("part-2.fadstats: overlaps \(path("part-2.fadstats")): both are shard 2/3"), overlap.stderr)
        let gap = try FAD.run(["stats", "merge", path("part-1.fadstats"), path("part-3.fadstats"), "-o", path("x.fadstats")])
        XCTAssertEqual(gap.status, 65, gap.stderr)
        XCTAssertTrue(gap.stderr.contains("shards leave a gap: 1 of 3 missing (2)"), gap.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.fadstats")), "nothing written on refusal")
        // Shards of another cut (4 shards) or of another embedding (another layer name).
        try saveShards(set, count: 4, prefix: "four")
        let mixed = try FAD.run(["stats", "merge", path("part-1.fadstats"), path("four-2.fadstats"), path("part-3.fadstats"), "-o", path("x.fadstats")])
        XCTAssertEqual(mixed.status, 65, mixed.stderr)
        XCTAssertTrue(mixed.stderr.contains("different partitions"), mixed.stderr)
        try saveShards(set, count: 3, prefix: "other", extra: ["--layer", "pooled"])
        let foreign = try FAD.run(["stats", "merge", path("part-1.fadstats"), path("other-2.fadstats"), path("part-3.fadstats"), "-o", path("x.fadstats")])
        XCTAssertEqual(foreign.status, 65, foreign.stderr)
        XCTAssertTrue(foreign.stderr.contains("other-2.fadstats: cannot merge statistics of different embeddings: layer pooled vs embeddings"), foreign.stderr)
        // A shard is not a set: scoring against one is refused.
        let partial = try FAD.run([path("part-1.fadstats"), set, "--metrics", "fad"])
        XCTAssertEqual(partial.status, 65, partial.stderr)
        XCTAssertTrue(partial.stderr.contains("holds shard 1/3 of a set, not the whole set"), partial.stderr)
        // More shards than files.
        let empty = try FAD.run(["stats", "save", set, "--shard", "18/18", "-o", path("y.fadstats")])
        XCTAssertEqual(empty.status, 64, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("shard 18/18 holds no file (the set has 17)"), empty.stderr)
        let bad = try FAD.run(["stats", "save", set, "--shard", "0/4", "-o", path("y.fadstats")])
        XCTAssertEqual(bad.status, 64, bad.stderr)
    }

    func testMergeSaysWhenShardsSkippedFiles() throws {
        let set = try npySet()
        try Data("not an array".utf8).write(to: URL(fileURLWithPath: set).appendingPathComponent("album0/broken.npy"))
        try saveShards(set, count: 2)
        let merge = try FAD.run(["stats", "merge", path("part-1.fadstats"), path("part-2.fadstats"), "-o", path("all.fadstats")])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertTrue(merge.stderr.contains("17 files") && merge.stderr.contains("1 of the set's 18 files could not be read"), merge.stderr)
    }

    func testStatisticsOfDifferentEmbeddingsAreNeverCompared() throws {
        let set = try npySet()
        for (name, layer) in [("a", "embeddings"), ("b", "pooled")] {
            let run = try FAD.run(["stats", "save", set, "--layer", layer, "-o", path("\(name).fadstats"), "-q"])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let run = try FAD.run([path("a.fadstats"), path("b.fadstats"), "--metrics", "fad"])
        XCTAssertEqual(run.status, 65, run.stderr)
        XCTAssertTrue(run.stderr.contains("b.fadstats: statistics of a different embedding (layer pooled vs embeddings)"), run.stderr)
        let same = try FAD.run([path("a.fadstats"), path("a.fadstats"), "--metrics", "fad"])
        XCTAssertEqual(same.status, 0, same.stderr)
    }

    func testEmbedRefusesToOverwriteItsOwnOutput() throws {
        let examples = Fixtures.repositoryRoot.appendingPathComponent("Examples")
        for folder in ["ref", "gen"] {
            let dir = work.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: examples.appendingPathComponent("reference/battle.ogg"), to: dir.appendingPathComponent("battle.ogg"))
        }
        let run = try FAD.run(["embed", path("ref"), path("gen"), "-o", path("out"), "--no-cache"])
        XCTAssertEqual(run.status, 64, run.stderr)
        XCTAssertTrue(run.stderr.contains("battle.ogg and ") && run.stderr.contains("would both be written to \(path("out"))/battle.npy"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")), "nothing is written")
        // The same within one folder: song.ogg beside song.flac.
        for name in ["knolls.ogg", "knolls.flac"] {
            try FileManager.default.copyItem(at: examples.appendingPathComponent("reference/knolls.ogg"), to: work.appendingPathComponent("ref/\(name)"))
        }
        let within = try FAD.run(["embed", path("ref"), "-o", path("out2"), "--no-cache"])
        XCTAssertEqual(within.status, 64, within.stderr)
        XCTAssertTrue(within.stderr.contains("would both be written to \(path("out2"))/knolls.npy"), within.stderr)
    }

    func testEmbeddingFoldersCarryTheirProvenance() throws {
        let song = Fixtures.repositoryRoot.appendingPathComponent("Examples/reference/battle.ogg").path
        let cache = ["--cache-dir", path("cache"), "-q"]
        let embed = try FAD.run(["embed", song, "-o", path("emb")] + cache)
        XCTAssertEqual(embed.status, 0, embed.stderr)
        let recorded = try String(contentsOf: work.appendingPathComponent("emb/.fad-embeddings.json"), encoding: .utf8)
        XCTAssertTrue(recorded.contains("\"model\" : \"msd-musicnn\"") && recorded.contains("\"windowHop\""), recorded)
        // Statistics of the same audio with another window hop: same model, layer and
        // dimension, so only the recorded provenance can tell them apart.
        let save = try FAD.run(["stats", "save", song, "--hop", "94", "-o", path("hop94.fadstats")] + cache)
        XCTAssertEqual(save.status, 0, save.stderr)
        let run = try FAD.run([path("hop94.fadstats"), path("emb"), "--metrics", "fad"])
        XCTAssertEqual(run.status, 65, run.stderr)
        XCTAssertTrue(run.stderr.contains("emb: embeddings of a different embedding (window hop 187 vs 94)"), run.stderr)
        // A folder labels its statistics: saved from the folder, they match the audio's.
        let fromFolder = try FAD.run(["stats", "save", path("emb"), "-o", path("emb.fadstats")] + cache)
        XCTAssertEqual(fromFolder.status, 0, fromFolder.stderr)
        let show = try FAD.run(["stats", "show", path("emb.fadstats")])
        XCTAssertTrue(show.stdout.contains("model      msd-musicnn") && show.stdout.contains("windowHop  187"), show.stdout)
        // Embedding into that folder with another hop would mix the two: refused.
        let mixed = try FAD.run(["embed", song, "--hop", "94", "-o", path("emb")] + cache)
        XCTAssertEqual(mixed.status, 65, mixed.stderr)
        XCTAssertTrue(mixed.stderr.contains("holds embeddings of another embedding already (window hop 187 vs 94)"), mixed.stderr)
    }

    func testConcurrentWritersOnOneCacheLeaveOnlyRightEntries() throws {
        // Four processes embed the same two files at the same time into one cache, as the
        // tasks of an array job sharing a cache on NFS would.
        let examples = Fixtures.repositoryRoot.appendingPathComponent("Examples/reference")
        let names = ["battle.ogg", "knolls.ogg"]
        try FileManager.default.createDirectory(at: work.appendingPathComponent("audio"), withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.copyItem(at: examples.appendingPathComponent(name), to: work.appendingPathComponent("audio/\(name)"))
        }
        try names.map { "audio/\($0)" }.joined(separator: "\n").write(to: work.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        let cache = path("cache")
        // Started together, awaited together: no threads in the test itself.
        let processes = try (0..<4).map { k -> (Process, URL) in
            let process = Process()
            process.executableURL = FAD.productsDirectory.appendingPathComponent("fad")
            process.arguments = ["embed", path("list.txt"), "-o", path("out\(k)"), "--cache-dir", cache, "--threads", "1", "-q"]
            let log = work.appendingPathComponent("stderr-\(k).txt")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
            process.standardOutput = FileHandle.nullDevice
            return (process, log)
        }
        for (process, _) in processes { try process.run() }
        for (process, log) in processes {
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
        // Every entry is a whole, readable .npy, and no temporary file is left.
        let entries = try XCTUnwrap(FileManager.default.enumerator(atPath: cache)).compactMap { $0 as? String }
            .filter { !FileManager.default.isDirectory(atPath: "\(cache)/\($0)") }
        XCTAssertFalse(entries.isEmpty)
        for entry in entries {
            XCTAssertTrue(entry.hasSuffix(".npy") && !entry.contains(".tmp"), entry)
            XCTAssertNoThrow(try NPYArray.read(contentsOf: URL(fileURLWithPath: "\(cache)/\(entry)")), entry)
        }
        // Every entry is the right one: a run served from the cache alone gives the bits of a
        // run that computes everything afresh.
        let cached = try FAD.run(["embed", path("list.txt"), "-o", path("cached"), "--cache-dir", cache, "-q"])
        let fresh = try FAD.run(["embed", path("list.txt"), "-o", path("fresh"), "--no-cache", "-q"])
        XCTAssertEqual(cached.status, 0, cached.stderr)
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        for name in ["battle.npy", "knolls.npy"] {
            let expected = try Data(contentsOf: work.appendingPathComponent("fresh/audio/\(name)"))
            XCTAssertEqual(try Data(contentsOf: work.appendingPathComponent("cached/audio/\(name)")), expected, name)
            for k in 0..<4 { XCTAssertEqual(try Data(contentsOf: work.appendingPathComponent("out\(k)/audio/\(name)")), expected, "out\(k)/\(name)") }
        }
    }
}

private extension FileManager {
    func isDirectory(atPath path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
