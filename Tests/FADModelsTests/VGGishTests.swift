import Foundation
import XCTest
import FADNN
import FADFeatures
@testable import FADModels
import _FADTestSupport

/// VGGish against torchvggish 0.2 run with the same deterministic full-size weights
/// (Tests/Fixtures/scripts/vggish_fixtures.py).
final class VGGishTests: XCTestCase {
    /// Built once: 72 M weights take a few seconds to generate in a debug build.
    nonisolated(unsafe) static var prepared: InMemoryWeights?
    nonisolated(unsafe) static var cached: VGGish?

    /// The imported-layout weights (72 M values take a few seconds to generate in a debug build).
    static func weights() throws -> InMemoryWeights {
        if let prepared { return prepared }
        let state = try DeterministicWeights.stateDict(manifest: "vggish/weights.json")
        let weights = InMemoryWeights(try TorchImporter.prepare(stateDict: state, spec: VGGish.importSpec, path: "deterministic"))
        prepared = weights
        return weights
    }

    static func model() throws -> VGGish {
        if let cached { return cached }
        let model = try VGGish(weights: weights())
        cached = model
        return model
    }

    private func check(_ name: String) throws {
        let examples = try Fixtures.npy("vggish/\(name)_examples.npy")
        let reference = try Fixtures.npy("vggish/\(name)_embedding.npy")
        let output = try Self.model().embed(examples: FADNN.Tensor(shape: examples.shape, values: examples.floats))
        XCTAssertEqual(output.shape, reference.shape)
        // float32 GEMMs in another summation order than oneDNN's over K up to 12288: 1e-4 of the
        // largest embedding value.
        let error = maxRelativeDifference(output.values, reference.floats)
        print("VGGish \(name) examples: max relative difference \(error)")
        XCTAssertLessThan(error, 1e-4, name)
    }

    func testMusicExamplesMatchTorchVGGish() throws { try check("music") }
    func testSyntheticExampleMatchesTorchVGGish() throws { try check("synth") }
    func testGoogleFramedExamplesMatchTorchVGGish() throws { try check("music_google") }

    /// From waveforms through FADFeatures' VGGish front end: torchvggish computes the log-mel in
    /// float64 numpy, FADFeatures in float32 FFTW, so the examples differ by ~1e-5 (allowed 1e-3)
    /// and the embeddings by ~2e-6 relative: 1e-4 of the largest value, as from the examples.
    func testFromWaveformMatchesTorchVGGish() throws {
        let frontEnd = LogMelFrontEnd(.vggish)
        for (name, framing) in [("music", VGGish.Framing.fadtk), ("synth", .fadtk), ("music_google", .google)] {
            let wave = try Fixtures.npy("vggish/\(name.hasPrefix("music") ? "music" : name)_16k.npy").floats
            let (examples, starts) = try VGGish.examples(of: wave, framing: framing, frontEnd: frontEnd)
            let reference = try Fixtures.npy("vggish/\(name)_examples.npy")
            XCTAssertEqual(examples.shape, reference.shape, name)
            XCTAssertLessThan(maxAbsDifference(examples.values, reference.floats), 1e-3, name)
            XCTAssertEqual(starts, framing == .google ? [0, 50, 100] : Array(stride(from: 0, to: examples.shape[0] * 96, by: 96)))
            let output = try Self.model().embed(examples: examples)
            let error = maxRelativeDifference(output.values, try Fixtures.npy("vggish/\(name)_embedding.npy").floats)
            print("VGGish \(name) from waveform: log-mel max abs difference \(maxAbsDifference(examples.values, reference.floats)), embedding max relative difference \(error)")
            XCTAssertLessThan(error, 1e-4, name)
        }
    }

    func testFramingSegments() throws {
        let music = try Fixtures.npy("vggish/music_16k.npy").floats
        XCTAssertEqual(music.count, 32_000)
        // fadtk: the clip itself; short clips are zero-padded to 1 s.
        XCTAssertEqual(VGGish.segments(of: music, framing: .fadtk), [music])
        let short = Array(music.prefix(5000))
        XCTAssertEqual(VGGish.segments(of: short, framing: .fadtk), [short + [Float](repeating: 0, count: 11_000)])
        // google: 1 s windows every 0.5 s of x / max(0.1, max x): 3 for 2 s, as the fixture script.
        let windows = VGGish.segments(of: music, framing: .google)
        XCTAssertEqual(windows.count, try Fixtures.npy("vggish/music_google_examples.npy").shape[0])
        let peak = max(0.1, music.max()!)
        XCTAssertEqual(windows[1][0], music[8000] / peak)
        XCTAssertEqual(windows[2].count, 16_000)
        // Quiet clips are not amplified beyond 10x.
        let quiet = VGGish.segments(of: [0.01, -0.02], framing: .google)[0]
        XCTAssertEqual(quiet[0], 0.1, accuracy: 1e-6)
        XCTAssertEqual(quiet[1], -0.2, accuracy: 1e-6)
    }

    func testImportRejectsWrongCheckpoints() throws {
        var state = try DeterministicWeights.zeroStateDict(manifest: "vggish/weights.json")
        state["embeddings.4.bias"] = nil
        state["features.0.weight"] = ([64, 1, 5, 5], [Float](repeating: 0, count: 1600))
        state["classifier.weight"] = ([2, 2], [0, 0, 0, 0])
        XCTAssertThrowsError(try TorchImporter.prepare(stateDict: state, spec: VGGish.importSpec, path: "x.pth")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("x.pth: not a vggish checkpoint"), message)
            XCTAssertTrue(message.contains("missing 1 tensor(s): embeddings.4.bias"), message)
            XCTAssertTrue(message.contains("unexpected tensor(s): classifier.weight"), message)
            XCTAssertTrue(message.contains("features.0.weight has shape [64, 1, 5, 5], expected [64, 1, 3, 3]"), message)
        }
    }

    /// The whole import path on the full-size .pth that the fixture script saves in /tmp (288 MB,
    /// not committed): FAD_VGGISH_PTH=/tmp/fad-torch/vggish-deterministic.pth (or _legacy.pth).
    func testImportFullCheckpointWhenAvailable() throws {
        guard let path = ProcessInfo.processInfo.environment["FAD_VGGISH_PTH"] else {
            throw XCTSkip("FAD_VGGISH_PTH not set")
        }
        let directory = try Fixtures.temporaryDirectory("vggish-import")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TorchImporter.importCheckpoint(URL(fileURLWithPath: path), spec: VGGish.importSpec, into: directory)
        XCTAssertEqual(file.lastPathComponent, "vggish.safetensors")
        let model = try VGGish(contentsOf: file)
        let examples = try Fixtures.npy("vggish/music_examples.npy")
        let output = model.embed(examples: FADNN.Tensor(shape: examples.shape, values: examples.floats))
        XCTAssertLessThan(maxRelativeDifference(output.values, try Fixtures.npy("vggish/music_embedding.npy").floats), 1e-4)
    }
}
