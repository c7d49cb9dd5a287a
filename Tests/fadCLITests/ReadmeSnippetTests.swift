import FAD
import XCTest
import _FADTestSupport

// README snippet begin
import FAD

func scoreFolders(reference: String, generated: String) throws -> Double? {
    var options = EvaluationOptions()
    options.metrics = [.fad, .kad]
    let report = try Evaluator(options: options).score(reference: reference, generated: [generated])
    let set = report.sets[0]
    if let error = set.kad?.error { print("KAD: \(error.message)") }
    return set.fad?.result?.value
}
// README snippet end

/// The README's library snippet is this file's code between the markers above (so it compiles
/// with the test target), and it scores two folders to the number the command prints.
final class ReadmeSnippetTests: XCTestCase {
    static func between(_ text: String, _ begin: String, _ end: String) -> String? {
        guard let a = text.range(of: begin), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else { return nil }
        return String(text[a.upperBound..<b.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testReadmeSnippetIsTheCompiledCopy() throws {
        let readme = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(Self.between(readme, "<!-- snippet: score-two-folders -->", "<!-- end snippet -->"),
                                    "README.md has no score-two-folders snippet")
        let snippet = try XCTUnwrap(Self.between(section, "```swift", "```"))
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let compiled = try XCTUnwrap(Self.between(source, "// README snippet" + " begin", "// README snippet" + " end"))
        XCTAssertEqual(snippet, compiled, "README.md's library snippet differs from the compiled copy in \(#fileID)")
    }

    func testSnippetScoresTwoFoldersAsTheCommandDoes() throws {
        let reference = Fixtures.url("cli/reference/embeddings/vggish").path
        let generated = Fixtures.url("cli/generated/embeddings/vggish").path
        let value = try XCTUnwrap(try scoreFolders(reference: reference, generated: generated))
        let run = try FAD.run([reference, generated, "--json", "--metrics", "fad"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let cli = try XCTUnwrap(((try run.json()["sets"] as? [[String: Any]])?[0]["fad"] as? [String: Any])?["value"] as? Double)
        XCTAssertEqual(value, cli)
    }
}
