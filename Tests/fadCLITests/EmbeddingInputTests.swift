import XCTest
import _FADTestSupport

/// Inputs that skip the model: folders of .npy embeddings (fadtk's cache layout) and saved
/// statistics. These run in well under a second, so they carry the exact-number checks.
final class EmbeddingInputTests: XCTestCase {
    struct Expected: Decodable {
        let fad_fadtk_eig: Double
        let fad_sqrtm: Double
        let reference_frames: Int
        let generated_frames: Int
        let dimension: Int
    }

    let reference = Fixtures.url("cli/reference/embeddings/vggish").path
    let generated = Fixtures.url("cli/generated/embeddings/vggish").path

    func testFADOnNpyFoldersMatchesFadtkFormula() throws {
        let expected = try Fixtures.json(Expected.self, "cli/expected.json")
        let run = try FAD.run([reference, generated, "--json", "--metrics", "fad"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try run.json()
        let sets = try XCTUnwrap(json["sets"] as? [[String: Any]])
        let fad = try XCTUnwrap((sets[0]["fad"] as? [String: Any])?["value"] as? Double)
        // fadtk's eig method and fad's symmetric-eigen method agree to rounding on a
        // well-conditioned 16-d case: 1e-8 relative is the bar.
        XCTAssertEqual(fad, expected.fad_fadtk_eig, accuracy: 1e-8 * expected.fad_fadtk_eig)
        XCTAssertEqual(fad, expected.fad_sqrtm, accuracy: 1e-8 * expected.fad_sqrtm)
        let set = try XCTUnwrap(sets[0]["set"] as? [String: Any])
        XCTAssertEqual(set["frames"] as? Int, expected.generated_frames)
        XCTAssertEqual(set["files"] as? Int, 5)
        let ref = try XCTUnwrap(json["reference"] as? [String: Any])
        XCTAssertEqual(ref["frames"] as? Int, expected.reference_frames)
        XCTAssertEqual((json["model"] as? [String: Any])?["name"] as? String, "embeddings")
    }

    func testTableAndCSV() throws {
        let table = try FAD.run([reference, generated, "--metrics", "fad"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("FAD"), table.stdout)
        XCTAssertTrue(table.stdout.contains("8.545"), table.stdout)
        let csv = try FAD.run([reference, generated, "--metrics", "fad", "--csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("set,files,frames,fad"))
        XCTAssertTrue(lines[1].contains(",5,85,8.545"), String(lines[1]))
    }

    func testFADInfReportsTooFewFramesWithoutFailing() throws {
        let run = try FAD.run([reference, generated, "--json", "--metrics", "fad,fad-inf"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let sets = try XCTUnwrap(try run.json()["sets"] as? [[String: Any]])
        let inf = try XCTUnwrap(sets[0]["fadInf"] as? [String: Any])
        XCTAssertNil(inf["value"])
        XCTAssertTrue((inf["error"] as? String ?? "").contains("the set has 85"), "\(inf)")
    }

    func testBootstrapIntervalIsSeededAndReported() throws {
        func interval(_ seed: String) throws -> [String: Any] {
            let run = try FAD.run([reference, generated, "--json", "--metrics", "fad", "--bootstrap", "30", "--seed", seed])
            XCTAssertEqual(run.status, 0, run.stderr)
            let sets = try XCTUnwrap(try run.json()["sets"] as? [[String: Any]])
            return try XCTUnwrap((sets[0]["fad"] as? [String: Any])?["confidenceInterval"] as? [String: Any])
        }
        let a = try interval("7"), b = try interval("7"), c = try interval("8")
        let low = try XCTUnwrap(a["low"] as? Double), high = try XCTUnwrap(a["high"] as? Double)
        XCTAssertLessThan(low, high)
        XCTAssertEqual(a["resamples"] as? Int, 30)
        XCTAssertEqual(a["low"] as? Double, b["low"] as? Double)
        XCTAssertEqual(a["high"] as? Double, b["high"] as? Double)
        XCTAssertNotEqual(a["low"] as? Double, c["low"] as? Double)
    }

    func testSavedStatisticsAsReferenceGiveTheSameFAD() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stats = dir.appendingPathComponent("ref.fadstats").path
        let save = try FAD.run(["stats", "save", reference, "-o", stats, "--quiet"])
        XCTAssertEqual(save.status, 0, save.stderr)
        let direct = try FAD.run([reference, generated, "--json", "--metrics", "fad"])
        let viaStats = try FAD.run([stats, generated, "--json", "--metrics", "fad"])
        XCTAssertEqual(viaStats.status, 0, viaStats.stderr)
        func fad(_ r: FADRun) throws -> Double {
            let sets = try XCTUnwrap(try r.json()["sets"] as? [[String: Any]])
            return try XCTUnwrap((sets[0]["fad"] as? [String: Any])?["value"] as? Double)
        }
        XCTAssertEqual(try fad(viaStats), try fad(direct), accuracy: 1e-12 * (try fad(direct)))
        let show = try FAD.run(["stats", "show", stats])
        XCTAssertTrue(show.stdout.contains("frames     120"), show.stdout)
    }

    func testStatsMergeOfShardsEqualsOnePass() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Two shards as path lists over the same files.
        let files = try FileManager.default.contentsOfDirectory(atPath: reference).sorted()
        try files.prefix(2).map { "\(reference)/\($0)" }.joined(separator: "\n").write(to: dir.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try files.dropFirst(2).map { "\(reference)/\($0)" }.joined(separator: "\n").write(to: dir.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        for shard in ["a", "b"] {
            let r = try FAD.run(["stats", "save", dir.appendingPathComponent("\(shard).txt").path, "-o", dir.appendingPathComponent("\(shard).fadstats").path, "-q"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let merge = try FAD.run(["stats", "merge", dir.appendingPathComponent("a.fadstats").path, dir.appendingPathComponent("b.fadstats").path, "-o", dir.appendingPathComponent("all.fadstats").path])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        let merged = try FAD.run([dir.appendingPathComponent("all.fadstats").path, generated, "--json", "--metrics", "fad"])
        let direct = try FAD.run([reference, generated, "--json", "--metrics", "fad"])
        let a = try XCTUnwrap(((try merged.json()["sets"] as? [[String: Any]])?[0]["fad"] as? [String: Any])?["value"] as? Double)
        let b = try XCTUnwrap(((try direct.json()["sets"] as? [[String: Any]])?[0]["fad"] as? [String: Any])?["value"] as? Double)
        XCTAssertEqual(a, b, accuracy: 1e-10 * b)
    }

    func testMismatchedDimensionsAreOneClearError() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = dir.appendingPathComponent("other.npy")
        try Data(NPYArrayFixture.float32(rows: 3, columns: 8)).write(to: other)
        let run = try FAD.run([reference, dir.path, "--metrics", "fad"])
        XCTAssertEqual(run.status, 65, run.stderr)
        XCTAssertTrue(run.stderr.contains("dimension"), run.stderr)
    }

    func testMissingAndEmptyInputs() throws {
        let missing = try FAD.run(["/nonexistent/folder", generated])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/folder: no such file or folder"), missing.stderr)
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = try FAD.run([dir.path, generated])
        XCTAssertEqual(empty.status, 65, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("no audio or .npy files"), empty.stderr)
    }

    func testUnknownModelIsAUsageError() throws {
        let run = try FAD.run([reference, generated, "--model", "no-such-model"])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("unknown model 'no-such-model'"), run.stderr)
    }
}

/// Minimal .npy bytes for tests that need a malformed set.
enum NPYArrayFixture {
    static func float32(rows: Int, columns: Int) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        header += String(repeating: " ", count: (64 - (10 + header.count + 1) % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        bytes += Array(header.utf8)
        bytes += [UInt8](repeating: 0, count: rows * columns * 4)
        return bytes
    }
}
