import XCTest
import _FADTestSupport

final class ModelsCommandTests: XCTestCase {
    func testListShowsEmbeddedAndImportableModels() throws {
        let empty = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        // An empty model folder and home, so that nothing a user imported shows up.
        let run = try FAD.run(["models", "list"], environment: ["FAD_MODEL_DIR": empty.path, "HOME": empty.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("msd-musicnn") && $0.contains("embedded") }, run.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("vggish ") && $0.contains("fad models import vggish") }, run.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("panns-cnn14 ") && $0.contains("not installed") }, run.stdout)
        // Per id: input, windows, layers, labels (from its spec).
        let musicnn = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("msd-musicnn ") })
        XCTAssertEqual(lines[musicnn + 1], "    input    log-mel, 96 bands every 256 samples, at 16000 Hz mono")
        XCTAssertEqual(lines[musicnn + 2], "    windows  187 frames (2.99 s) every 187 (--hop replaces it)")
        XCTAssertEqual(lines[musicnn + 3],
                       "    layers   max_pool (753), mean_pool (753), penultimate (200), logits (50), probabilities (50); default logits")
        XCTAssertEqual(lines[musicnn + 4], "    labels   50, sigmoid")
        let google = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("vggish-google ") })
        XCTAssertTrue(lines[google + 2].contains("the hop is fixed"), lines[google + 2])
        XCTAssertTrue(lines[google].contains("https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth"))
    }

    func testUnimportedModelIsAClearError() throws {
        let empty = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let audio = Fixtures.repositoryRoot.appendingPathComponent("Examples/reference").path
        let run = try FAD.run([audio, audio, "--model", "vggish", "--no-cache"], environment: ["FAD_MODEL_DIR": empty.path, "HOME": empty.path])
        XCTAssertEqual(run.status, 69, run.stderr)
        XCTAssertTrue(run.stderr.contains("fad models import vggish"), run.stderr)
    }

    func testImportRejectsAFileThatIsNotACheckpoint() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bogus = dir.appendingPathComponent("vggish.pth")
        try Data("definitely not a checkpoint".utf8).write(to: bogus)
        let run = try FAD.run(["models", "import", "vggish", bogus.path], environment: ["FAD_MODEL_DIR": dir.path])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains(bogus.path), run.stderr)
        // Its digest is not the one torch.hub pinned in the official file's name: a warning first.
        XCTAssertTrue(run.stderr.contains("fad: warning: \(bogus.path) is not the published vggish-10086976.pth"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("vggish.safetensors").path))
    }

    func testFetchWithoutNetworkFailsClearly() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Port 9 (discard) on loopback refuses the connection at once: no network needed.
        let run = try FAD.run(["models", "fetch", "vggish", "--url", "http://127.0.0.1:9/vggish-10086976.pth"],
                              environment: ["FAD_MODEL_DIR": dir.path])
        XCTAssertEqual(run.status, 69, run.stderr)
        XCTAssertTrue(run.stderr.contains("cannot download"), run.stderr)
        XCTAssertTrue(run.stderr.contains("fad models import"), run.stderr)
    }
}
