import XCTest
import _FADTestSupport

/// End-to-end runs on real audio with the embedded default model (musicnn), on small subsets of
/// the bundled examples so that the debug build stays quick.
final class AudioScoringTests: XCTestCase {
    let examples = Fixtures.repositoryRoot.appendingPathComponent("Examples")
    var work: URL!
    var cache: URL!

    override func setUpWithError() throws {
        work = try Fixtures.temporaryDirectory("fad-cli")
        cache = work.appendingPathComponent("cache")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    /// Copies the first `count` files of an example set into the work folder.
    func subset(_ name: String, count: Int) throws -> URL {
        let source = examples.appendingPathComponent(name)
        let target = work.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted().prefix(count) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: target.appendingPathComponent(file))
        }
        return target
    }

    func score(_ args: [String]) throws -> (FADRun, [String: Any]) {
        let run = try FAD.run(args + ["--json", "--cache-dir", cache.path, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return (run, try run.json())
    }

    func fadValues(_ json: [String: Any]) throws -> [Double] {
        let sets = try XCTUnwrap(json["sets"] as? [[String: Any]])
        return try sets.map { try XCTUnwrap(($0["fad"] as? [String: Any])?["value"] as? Double) }
    }

    func testDegradedSetScoresWorseThanCloseSet() throws {
        let ref = try subset("reference", count: 6)
        let close = try subset("generated-close", count: 4)
        let degraded = try subset("generated-degraded", count: 4)
        let (_, json) = try score([ref.path, close.path, degraded.path, "--metrics", "fad,kld,is,kid"])
        let fads = try fadValues(json)
        XCTAssertLessThan(fads[0], fads[1], "close \(fads[0]) should beat degraded \(fads[1])")
        let model = try XCTUnwrap(json["model"] as? [String: Any])
        XCTAssertEqual(model["name"] as? String, "msd-musicnn")
        // Same file names in both sets: KL pairs them.
        let sets = try XCTUnwrap(json["sets"] as? [[String: Any]])
        let kl = try XCTUnwrap(sets[1]["kl"] as? [String: Any])
        XCTAssertEqual(kl["pairs"] as? Int, 4)
        XCTAssertNotNil(kl["value"] as? Double)
        // IS needs at least as many files as splits (10): with 4 it says so instead of failing
        // the run. KID on 12 frames per set uses every frame in every subset, which the JSON
        // must say.
        let inception = try XCTUnwrap(sets[0]["inceptionScore"] as? [String: Any])
        XCTAssertNil(inception["mean"])
        XCTAssertTrue((inception["error"] as? String ?? "").contains("splits"), "\(inception)")
        let kid = try XCTUnwrap(sets[0]["kid"] as? [String: Any])
        XCTAssertNotNil(kid["mean"] as? Double)
        XCTAssertEqual(kid["subsetSize"] as? Int, 12)
        // KIDResult's own name for "the subset size was reduced to the set" (the report now
        // stores the metric's result type instead of a copy that called it subsetSizeClamped).
        XCTAssertEqual(kid["clamped"] as? Bool, true)
        XCTAssertEqual(kid["identicalSubsets"] as? Bool, false)
    }

    func testBrokenFilesAreSkippedAndListedOrFatalWithStrict() throws {
        let ref = try subset("reference", count: 3)
        let gen = try subset("generated-close", count: 3)
        try Data("not audio at all".utf8).write(to: gen.appendingPathComponent("broken.wav"))
        try Data().write(to: gen.appendingPathComponent("empty.flac"))
        let (_, json) = try score([ref.path, gen.path, "--metrics", "fad"])
        let set = try XCTUnwrap((json["sets"] as? [[String: Any]])?[0]["set"] as? [String: Any])
        XCTAssertEqual(set["files"] as? Int, 3)
        let failures = try XCTUnwrap(set["failures"] as? [[String: Any]])
        XCTAssertEqual(Set(failures.compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }),
                       ["broken.wav", "empty.flac"])
        XCTAssertTrue(failures.allSatisfy { !($0["reason"] as? String ?? "").isEmpty })

        let strict = try FAD.run([ref.path, gen.path, "--metrics", "fad", "--strict", "--cache-dir", cache.path, "--quiet"])
        XCTAssertEqual(strict.status, 66, strict.stderr)
        XCTAssertTrue(strict.stderr.contains("broken.wav") || strict.stderr.contains("empty.flac"), strict.stderr)
    }

    func testCacheResumesAnInterruptedRunAndThreadsDoNotChangeResults() throws {
        let ref = try subset("reference", count: 3)
        let gen = try subset("generated-degraded", count: 3)
        // A run killed after two of the generated files: their entries are in the cache.
        let partial = work.appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: gen.path).sorted().prefix(2) {
            try FileManager.default.copyItem(at: gen.appendingPathComponent(name), to: partial.appendingPathComponent(name))
        }
        _ = try score([ref.path, partial.path, "--metrics", "fad", "--threads", "1"])
        let entries = try XCTUnwrap(FileManager.default.enumerator(atPath: cache.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".npy") }
        XCTAssertEqual(entries.count, 5 * 5, "every layer of every file is cached: \(entries.count)")

        let (_, resumed) = try score([ref.path, gen.path, "--metrics", "fad", "--threads", "2"])
        let referenceCached = (resumed["reference"] as? [String: Any])?["cachedFiles"] as? Int
        let generatedCached = ((resumed["sets"] as? [[String: Any]])?[0]["set"] as? [String: Any])?["cachedFiles"] as? Int
        XCTAssertEqual(referenceCached, 3)
        XCTAssertEqual(generatedCached, 2)
        // A second run does no model work at all.
        let (_, warm) = try score([ref.path, gen.path, "--metrics", "fad", "--threads", "1"])
        XCTAssertEqual(((warm["sets"] as? [[String: Any]])?[0]["set"] as? [String: Any])?["cachedFiles"] as? Int, 3)
        // Bit-identical with 1 and 2 threads, with and without the cache.
        let cold = try FAD.run([ref.path, gen.path, "--metrics", "fad", "--json", "--no-cache", "--threads", "2", "--quiet"])
        XCTAssertEqual(try fadValues(try cold.json()), try fadValues(resumed))
        XCTAssertEqual(try fadValues(warm), try fadValues(resumed))
        let coldOne = try FAD.run([ref.path, gen.path, "--metrics", "fad", "--json", "--no-cache", "--threads", "1", "--quiet"])
        XCTAssertEqual(try fadValues(try coldOne.json()), try fadValues(resumed))
    }

    func testEmbedWritesOneNpyPerFile() throws {
        let gen = try subset("generated-close", count: 2)
        let out = work.appendingPathComponent("emb")
        let run = try FAD.run(["embed", gen.path, "-o", out.path, "--layer", "penultimate", "--cache-dir", cache.path, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        // Besides the .npy files, only the hidden provenance file (.fad-embeddings.json).
        let entries = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(entries.filter { $0.hasPrefix(".") }, [".fad-embeddings.json"])
        let files = entries.filter { !$0.hasPrefix(".") }
        XCTAssertEqual(files.count, 2)
        XCTAssertTrue(files.allSatisfy { $0.hasSuffix(".npy") })
        let header = try Data(contentsOf: out.appendingPathComponent(files[0])).prefix(128)
        let text = String(decoding: header, as: UTF8.self)
        XCTAssertTrue(text.contains("'<f4'") && text.contains(", 200)"), text)  // [windows, 200] penultimate
        // The .npy folder is itself an input: scoring it skips the model.
        let again = try FAD.run([out.path, out.path, "--metrics", "fad", "--json"])
        XCTAssertEqual(again.status, 0, again.stderr)
    }

    func testClassifyJSONAndText() throws {
        let file = examples.appendingPathComponent("reference/battle.ogg").path
        let run = try FAD.run(["classify", file, "--json", "--cache-dir", cache.path, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try run.json()
        let labels = try XCTUnwrap(json["labels"] as? [String])
        XCTAssertEqual(labels.count, 50)
        let files = try XCTUnwrap(json["files"] as? [[String: Any]])
        let p = try XCTUnwrap(files.first?["probabilities"] as? [Double])
        XCTAssertEqual(p.count, 50)
        XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0 <= 1 })
        let text = try FAD.run(["classify", file, "--top", "3", "--cache-dir", cache.path, "--quiet"])
        XCTAssertEqual(text.stdout.split(separator: "\n").count, 4, text.stdout)
    }

    func testPerSongReportFindsTheInjectedOutlier() throws {
        let ref = try subset("reference", count: 6)
        let gen = try subset("generated-close", count: 6)
        try FileManager.default.copyItem(at: examples.appendingPathComponent("generated-degraded/battle.ogg"),
                                         to: gen.appendingPathComponent("zz-degraded.ogg"))
        let html = work.appendingPathComponent("report.html")
        let csv = work.appendingPathComponent("report.csv")
        let run = try FAD.run(["per-song", ref.path, gen.path, "-o", html.path, "--csv", csv.path, "--cache-dir", cache.path, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 8)
        XCTAssertTrue(rows[1].contains("zz-degraded.ogg"), "worst first: \(rows[1])")
        let page = try String(contentsOf: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<svg") && page.contains("zz-degraded") && page.contains("<audio"))
    }
}
