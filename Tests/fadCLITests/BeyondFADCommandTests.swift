import FADArrays
import XCTest
import _FADTestSupport

/// `--metrics kad,kad-inf,mad,prdc`, their options, and the per-song report's per-file columns,
/// on the .npy fixture folders; expected numbers from kadtk and prdc
/// (Tests/Fixtures/scripts/kad_mauve_prdc_fixtures.py, section "cli").
final class BeyondFADCommandTests: XCTestCase {
    let reference = Fixtures.url("cli/reference/embeddings/vggish").path
    let generated = Fixtures.url("cli/generated/embeddings/vggish").path

    var expected: [String: Any] {
        let data = try! Data(contentsOf: Fixtures.url("metrics/beyond_fad_reference.json"))
        return (try! JSONSerialization.jsonObject(with: data) as! [String: Any])["cli"] as! [String: Any]
    }

    func testKADAndPRDCMatchTheReferencePackages() throws {
        let run = try FAD.run([reference, generated, reference, "--json", "--metrics", "kad,kad-inf,mad,prdc", "--prdc-k", "2",
                               "--kad-precision", "float64"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let sets = try XCTUnwrap(try run.json()["sets"] as? [[String: Any]])
        let kad = try XCTUnwrap(sets[0]["kad"] as? [String: Any])
        let e = expected
        // kadtk float64 on the same frames: 1e-9 relative (see FADMetricsTests.KernelAudioDistanceTests).
        XCTAssertEqual(kad["value"] as! Double, e["kad_reference_bandwidth"] as! Double, accuracy: 1e-9 * 3.2)
        XCTAssertEqual(kad["bandwidth"] as! Double, e["bandwidth"] as! Double, accuracy: 1e-12 * 5.6)
        XCTAssertEqual(kad["bandwidthSource"] as? String, "reference")
        XCTAssertEqual(kad["precision"] as? String, "float64")
        // The reference bandwidth is the same kernel for both scored sets.
        XCTAssertEqual((sets[1]["kad"] as? [String: Any])?["bandwidth"] as? Double, kad["bandwidth"] as? Double)
        let prdc = try XCTUnwrap(sets[0]["prdc"] as? [String: Any])
        let p = e["prdc_k2_max"] as! [String: Double]
        for name in ["precision", "recall", "density", "coverage"] {
            XCTAssertEqual(prdc[name] as! Double, p[name]!, accuracy: 1e-9, name)
        }
        XCTAssertEqual(prdc["pooling"] as? String, "max")
        XCTAssertEqual(prdc["k"] as? Int, 2)
        // The reference scored against itself: identical file histograms, so MAD is exactly 0,
        // and every file is inside the manifold.
        let selfMAD = try XCTUnwrap(sets[1]["mad"] as? [String: Any])
        XCTAssertEqual(selfMAD["value"] as? Double, 0)
        XCTAssertEqual(selfMAD["pooling"] as? String, "max")
        XCTAssertEqual(selfMAD["seed"] as? Int, 0)
        XCTAssertEqual((sets[1]["prdc"] as? [String: Any])?["precision"] as? Double, 1)
        XCTAssertNotNil((sets[0]["mad"] as? [String: Any])?["value"] as? Double)
        // KAD-inf needs > 500 frames: reported, not fatal.
        let inf = try XCTUnwrap(sets[0]["kadInf"] as? [String: Any])
        XCTAssertTrue((inf["error"] as? String ?? "").contains("the set has 85"), "\(inf)")
    }

    func testBandwidthChoicesAndBadValues() throws {
        let fixed = try FAD.run([reference, generated, "--json", "--metrics", "kad", "--kad-bandwidth", "3", "--kad-precision", "float64"])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        let kad = try XCTUnwrap((try XCTUnwrap(try fixed.json()["sets"] as? [[String: Any]]))[0]["kad"] as? [String: Any])
        XCTAssertEqual(kad["bandwidthSource"] as? String, "fixed")
        XCTAssertEqual(kad["bandwidth"] as? Double, 3)
        XCTAssertEqual(kad["value"] as! Double, expected["kad_fixed_bandwidth_3"] as! Double, accuracy: 1e-9 * 4.6)
        let generatedBandwidth = try FAD.run([reference, generated, "--json", "--metrics", "kad", "--kad-bandwidth", "generated"])
        let g = try XCTUnwrap((try XCTUnwrap(try generatedBandwidth.json()["sets"] as? [[String: Any]]))[0]["kad"] as? [String: Any])
        XCTAssertEqual(g["bandwidthSource"] as? String, "generated")
        XCTAssertEqual(g["precision"] as? String, "float64")  // the default: kadtk's formula to ~1e-12
        XCTAssertNotEqual(g["bandwidth"] as? Double, expected["bandwidth"] as? Double)
        // float32: kadtk's float64 value within the float32 path's bound (5e-6 relative, see
        // FADMetricsTests.KernelAudioDistanceTests; measured here 5.4e-8), recorded in the JSON.
        let single = try FAD.run([reference, generated, "--json", "--metrics", "kad", "--kad-precision", "float32"])
        XCTAssertEqual(single.status, 0, single.stderr)
        let s = try XCTUnwrap((try XCTUnwrap(try single.json()["sets"] as? [[String: Any]]))[0]["kad"] as? [String: Any])
        XCTAssertEqual(s["precision"] as? String, "float32")
        let e = expected["kad_reference_bandwidth"] as! Double
        XCTAssertEqual(s["value"] as! Double, e, accuracy: 5e-6 * abs(e))
        for bad in [["--kad-bandwidth", "wide"], ["--kad-bandwidth", "-2"], ["--prdc-k", "0"], ["--mad-pooling", "median"],
                    ["--kad-precision", "float16"]] {
            let run = try FAD.run([reference, generated, "--metrics", "kad"] + bad)
            XCTAssertNotEqual(run.status, 0, bad.joined(separator: " "))
            XCTAssertTrue(run.stderr.contains(bad[0]), run.stderr)
        }
        let unknown = try FAD.run([reference, generated, "--metrics", "kad,mmd"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown metric 'mmd'"), unknown.stderr)
    }

    func testTableAndCSVCarryTheNewColumns() throws {
        let table = try FAD.run([reference, generated, "--metrics", "fad,kad,mad,prdc", "--prdc-k", "2"])
        XCTAssertEqual(table.status, 0, table.stderr)
        for column in ["KAD", "MAD", "prec", "recall", "density", "cover", "3.124"] {
            XCTAssertTrue(table.stdout.contains(column), "\(column) in \(table.stdout)")
        }
        XCTAssertTrue(table.stdout.contains("outside the reference manifold"), table.stdout)
        let csv = try FAD.run([reference, generated, "--metrics", "kad,prdc", "--prdc-k", "2", "--csv", "--kad-precision", "float64"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let row = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(header.count, row.count)
        let kad = try XCTUnwrap(Double(row[try XCTUnwrap(header.firstIndex(of: "kad"))]))
        XCTAssertEqual(kad, expected["kad_reference_bandwidth"] as! Double, accuracy: 1e-9 * 3.2)
        XCTAssertEqual(Double(row[try XCTUnwrap(header.firstIndex(of: "precision"))]), 0.4)
    }

    func testKADInfOnSetsLargeEnough() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Two folders of 3 files x 200 frames of 8-d embeddings: 600 frames, enough for the
        // 500-frame minimum of the FAD-inf schedule.
        for (side, offset) in [("ref", 0.0), ("gen", 0.3)] {
            let folder = dir.appendingPathComponent(side)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for f in 0..<3 {
                var values: [Float] = []
                for i in 0..<(200 * 8) {
                    let phase = Double(i * 7 + f * 13) * 0.61 + offset
                    values.append(Float(2 * sin(phase) + offset))
                }
                try NPYArray(shape: [200, 8], floats: values).write(to: folder.appendingPathComponent("s\(f).npy"))
            }
        }
        let run = try FAD.run([dir.appendingPathComponent("ref").path, dir.appendingPathComponent("gen").path, "--json",
                               "--metrics", "kad,kad-inf", "--fad-inf-sampling", "replacement", "--seed", "4"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let set = try XCTUnwrap((try run.json()["sets"] as? [[String: Any]])?.first)
        let inf = try XCTUnwrap(set["kadInf"] as? [String: Any])
        XCTAssertNil(inf["error"], "\(inf)")
        XCTAssertNotNil(inf["value"] as? Double)
        // FADInfinityResult's own points, {frames, fad} (the report's copy wrote [frames, fad] pairs).
        XCTAssertEqual((inf["points"] as? [[String: Any]])?.count, 25)
        XCTAssertEqual((inf["points"] as? [[String: Any]])?.last?["frames"] as? Int, 600)
        XCTAssertEqual(inf["sampling"] as? String, "replacement")
        XCTAssertEqual(inf["seed"] as? Int, 4)
        XCTAssertEqual(inf["precision"] as? String, "float64")  // the default
        XCTAssertEqual(inf["bandwidth"] as? Double, (set["kad"] as? [String: Any])?["bandwidth"] as? Double)
    }

    func testBootstrapIsBCaWithThePercentileIntervalBeside() throws {
        let run = try FAD.run([reference, generated, "--json", "--metrics", "fad", "--bootstrap", "40"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let sets = try XCTUnwrap(try run.json()["sets"] as? [[String: Any]])
        let fad = try XCTUnwrap(sets[0]["fad"] as? [String: Any])
        let ci = try XCTUnwrap(fad["confidenceInterval"] as? [String: Any])
        XCTAssertEqual(ci["method"] as? String, "BCa")
        XCTAssertNotNil(ci["percentileLow"] as? Double)
        XCTAssertNotNil(ci["biasCorrection"] as? Double)
        XCTAssertNotNil(ci["resamplesBelowEstimate"] as? Int)
        let value = try XCTUnwrap(fad["value"] as? Double)
        XCTAssertLessThanOrEqual(try XCTUnwrap(ci["low"] as? Double), value)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(ci["high"] as? Double), value)
    }

    func testPerSongReportHasPerFileKADAndManifoldColumns() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = dir.appendingPathComponent("report.html")
        let run = try FAD.run(["per-song", reference, generated, "--csv", "-", "-o", html.path, "--prdc-k", "2", "--quiet",
                               "--kad-precision", "float64"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "path,fad,robust_z,frames,outlier,top_tags,kad,knn_distance,inside_reference")
        let e = expected
        let kads = e["per_file_kad"] as! [String: Double], knn = e["per_file_knn_k2_max"] as! [String: Double]
        XCTAssertEqual(lines.count, 6)
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let name = URL(fileURLWithPath: f[0]).deletingPathExtension().lastPathComponent
            XCTAssertEqual(try XCTUnwrap(Double(f[6])), kads[name]!, accuracy: 1e-9 * max(1, abs(kads[name]!)), name)
            XCTAssertEqual(try XCTUnwrap(Double(f[7])), knn[name]!, accuracy: 1e-9 * knn[name]!, name)
            XCTAssertTrue(f[8] == "0" || f[8] == "1")
        }
        XCTAssertEqual(lines.dropFirst().filter { $0.hasSuffix(",1") }.count, 2, "precision 0.4 of 5 files")
        let page = try String(contentsOf: html, encoding: .utf8)
        XCTAssertTrue(page.contains("<th>KAD</th>") && page.contains("<th>in reference</th>"))
        XCTAssertTrue(page.contains("k-th nearest reference file (k = 2)") && page.contains("2-NN ball"))
        XCTAssertTrue(page.contains("float64 inner products"))
    }
}
