import FAD
import XCTest
import _FADTestSupport

/// The library evaluator: per-metric results or errors, and the one error model.
final class EvaluatorTests: XCTestCase {
    let reference = Fixtures.url("cli/reference/embeddings/vggish").path
    let generated = Fixtures.url("cli/generated/embeddings/vggish").path

    func testFailedMetricsKeepTheirErrorAndTheOthersTheirResults() throws {
        var options = EvaluationOptions()
        options.cache = nil
        options.metrics = [.fad, .fadInf, .is, .kad]
        let report = try Evaluator(options: options).score(reference: reference, generated: [generated])
        let set = try XCTUnwrap(report.sets.first)
        // FAD and KAD are computed; FAD-inf (85 frames < 500) and IS (no classifier on .npy
        // inputs) carry their errors instead of failing the run.
        let fd = try XCTUnwrap(set.fad?.result)
        XCTAssertEqual(set.fad?.value, fd.value)
        XCTAssertNil(set.fad?.error)
        XCTAssertNotNil(set.kad?.result)
        XCTAssertNil(set.fadInf?.result)
        XCTAssertTrue(set.fadInf?.error?.message.contains("the set has 85") ?? false, "\(String(describing: set.fadInf?.error))")
        XCTAssertEqual(set.inceptionScore?.error?.kind, .usage)
        XCTAssertEqual(set.metricFailures.map(\.metric), ["FAD-inf", "IS"])
        // The JSON round-trips through the metrics' own Codable types.
        let decoded = try JSONDecoder().decode(ScoreReport.self, from: Data(try report.json().utf8))
        XCTAssertEqual(decoded.sets[0].fad?.result, fd)
        XCTAssertEqual(decoded.sets[0].fadInf?.error?.message, set.fadInf?.error?.message)
    }

    func testErrorsFromEveryModuleBecomeOneFADErrorWithItsExitCode() throws {
        var options = EvaluationOptions()
        options.cache = nil
        XCTAssertThrowsError(try Evaluator(options: options).score(reference: "/nonexistent/fad-ref", generated: [generated])) { error in
            XCTAssertEqual((error as? FADError)?.kind, .input, "\(error)")
            XCTAssertEqual((error as? FADError)?.kind.exitCode, 66)
            XCTAssertTrue((error as? FADError)?.errorDescription?.contains("/nonexistent/fad-ref") ?? false, "\(error)")
        }
        options.model = "no-such-model"
        let audio = Fixtures.repositoryRoot.appendingPathComponent("Examples/reference").path
        XCTAssertThrowsError(try Evaluator(options: options).score(reference: audio, generated: [audio])) { error in
            XCTAssertEqual((error as? FADError)?.kind, .usage, "\(error)")
        }
        XCTAssertEqual(FADError(MetricsError.invalid(subject: "s", reason: "r")).kind, .data)
        XCTAssertEqual(FADError(StatisticsError(path: "f", reason: "r", kind: .writeFailed)).kind, .io)
        XCTAssertEqual(Set(FADError.Kind.allCases.map(\.exitCode)), [64, 65, 66, 69, 74])
    }
}
