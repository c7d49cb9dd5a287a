import Foundation
import XCTest
import FADNN
@testable import FADModels
import _FADTestSupport

/// PaSST against hear21passt 0.0.26's own AugmentMelSTFT + PaSST (`passt_s_swa_p16_128_ap476`)
/// run in float64 with the same deterministic full-size weights on 12.5 s of real music
/// (Tests/Fixtures/scripts/passt_fixtures.py).
final class PaSSTTests: XCTestCase {
    nonisolated(unsafe) static var prepared: InMemoryWeights?
    nonisolated(unsafe) static var cachedModel: NetworkModel<PaSST>?

    static func weights() throws -> InMemoryWeights {
        if let prepared { return prepared }
        let state = try DeterministicWeights.stateDict(manifest: "passt/weights.json")
        let weights = InMemoryWeights(try TorchImporter.prepare(stateDict: state, spec: PaSST.importSpec, path: "deterministic"))
        prepared = weights
        return weights
    }

    /// The model as the registry runs it (windows, batches, softmax), on the fixture weights.
    static func model() throws -> NetworkModel<PaSST> {
        if let cachedModel { return cachedModel }
        let spec = try XCTUnwrap(PaSST.specs.first { $0.id == "passt" })
        let labels = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Models/audioset/labels.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let model = try NetworkModel<PaSST>(spec: spec, weights: ModelWeights(try weights(), path: "deterministic", digest: "test"),
                                            labels: labels)
        cachedModel = model
        return model
    }

    static func music() throws -> [Float] { try Fixtures.npy("passt/music.npy").floats }

    /// The front end first: float32 DFT and mel GEMMs against float64 torch.stft and Kaldi banks.
    /// Values are (log(mel + 1e-5) + 4.5) / 5, about -1.4 ... 1.8; quiet bands near the 1e-5
    /// floor amplify float32 rounding of the power, so the bound is absolute: 1e-4.
    func testLogMelMatchesHear21passt() throws {
        let network = try Self.model().network
        let music = try Self.music()
        for (name, range) in [("first", 0 ..< 320_000), ("tail", 320_000 ..< 400_000)] {
            let reference = try Fixtures.npy("passt/mel_\(name).npy")
            let mel = network.logMel(FADNN.Tensor(shape: [1, range.count], values: Array(music[range])))
            XCTAssertEqual(Array(mel.shape.dropFirst()), reference.shape, name)
            let difference = maxAbsDifference(mel.values, reference.floats)
            print("PaSST log-mel \(name): max abs difference \(difference)")
            XCTAssertLessThan(difference, 1e-4, name)
        }
    }

    /// audiocraft's segments (default hop 10 s): [0, 10 s) and the 2.5 s tail, unpadded, in one
    /// batch. float32 GEMMs through 12 blocks against float64: 1e-4 of the largest value.
    func testSegmentsMatchHear21passt() throws {
        let output = try Self.model().analyze(samples: try Self.music(), layers: ["embedding"], windowHop: nil)
        XCTAssertEqual(output.windowStarts, [0, 320_000])
        let embedding = try XCTUnwrap(output.embeddings["embedding"]).values
        let logits = try XCTUnwrap(output.logits).values
        let referenceEmbedding = try Fixtures.npy("passt/hop10_embedding.npy").floats
        let referenceLogits = try Fixtures.npy("passt/hop10_logits.npy").floats
        print("PaSST hop 10 s: embedding \(maxRelativeDifference(embedding, referenceEmbedding)), logits \(maxRelativeDifference(logits, referenceLogits)) max relative difference")
        XCTAssertLessThan(maxRelativeDifference(embedding, referenceEmbedding), 1e-4)
        XCTAssertLessThan(maxRelativeDifference(logits, referenceLogits), 1e-4)
        // probabilities: the softmax over the 527 classes of each window (audiocraft's KLD input).
        let probabilities = try XCTUnwrap(output.probabilities).values
        for w in 0..<2 {
            let row = referenceLogits[w * 527 ..< (w + 1) * 527].map(Double.init)
            let top = row.max()!
            let sum = row.reduce(0) { $0 + exp($1 - top) }
            let softmax = row.map { exp($0 - top) / sum }
            XCTAssertLessThan(maxRelativeDifference(probabilities[w * 527 ..< (w + 1) * 527], softmax), 1e-4)
        }
    }

    /// stable-audio-metrics' 5 s hop gives windows at 0 and 5 s (``testWindowPolicy``), the
    /// second 7.5 s long and unpadded; the first is the 10 s window of the test above. The
    /// second alone, through the network as `forward` runs it, keeps the test short.
    func testFiveSecondHopWindowMatchesHear21passt() throws {
        let music = try Self.music()
        XCTAssertEqual(PaSST.windows(samples: music.count, hop: 160_000).map(\.start), [0, 160_000])
        let window = FADNN.Tensor(shape: [1, 240_000, 1], values: Array(music[160_000...]))
        let output = try Self.model().network.forward(window, layers: ["embedding"])
        let embedding = try XCTUnwrap(output.layers["embedding"]).values
        let logits = try XCTUnwrap(output.logits).values
        let referenceEmbedding = try Fixtures.npy("passt/hop5_embedding.npy").floats
        let referenceLogits = try Fixtures.npy("passt/hop5_logits.npy").floats
        print("PaSST hop 5 s, window at 5 s: embedding \(maxRelativeDifference(embedding, referenceEmbedding[768...])), logits \(maxRelativeDifference(logits, referenceLogits[527...])) max relative difference")
        XCTAssertLessThan(maxRelativeDifference(embedding, referenceEmbedding[768...]), 1e-4)
        XCTAssertLessThan(maxRelativeDifference(logits, referenceLogits[527...]), 1e-4)
    }

    func testWindowPolicy() {
        func starts(_ samples: Int, _ hop: Int) -> [[Int]] { PaSST.windows(samples: samples, hop: hop).map { [$0.start, $0.count] } }
        // audiocraft: torch.split into 10 s; tails of 0.15 s (4800 samples) or less dropped.
        XCTAssertEqual(starts(400_000, 320_000), [[0, 320_000], [320_000, 80_000]])
        XCTAssertEqual(starts(324_800, 320_000), [[0, 320_000]])
        XCTAssertEqual(starts(324_801, 320_000), [[0, 320_000], [320_000, 4801]])
        XCTAssertEqual(starts(640_000, 320_000), [[0, 320_000], [320_000, 320_000]])
        // stable-audio-metrics' starts: range(0, max(step, len - step), step).
        XCTAssertEqual(starts(400_000, 160_000), [[0, 320_000], [160_000, 240_000]])
        XCTAssertEqual(starts(320_000, 160_000), [[0, 320_000]])
        XCTAssertEqual(starts(100_000, 160_000), [[0, 100_000]])
        XCTAssertEqual(starts(480_001, 160_000), [[0, 320_000], [160_000, 320_000], [320_000, 160_001]])
        // Shorter than the network's minimum: one zero-padded window.
        XCTAssertEqual(starts(1000, 320_000), [[0, PaSST.minimumSamples]])
    }

    /// A clip shorter than one patch column is zero-padded to 4801 samples and still runs.
    func testVeryShortClip() throws {
        let music = try Self.music()
        let output = try Self.model().analyze(samples: Array(music.prefix(3000)), layers: ["embedding"], windowHop: nil)
        XCTAssertEqual(output.windowStarts, [0])
        let padded = Array(music.prefix(3000)) + [Float](repeating: 0, count: PaSST.minimumSamples - 3000)
        let direct = try Self.model().network(samples: FADNN.Tensor(shape: [1, padded.count], values: padded))
        XCTAssertEqual(try XCTUnwrap(output.embeddings["embedding"]).values, direct.embedding.values)
        XCTAssertThrowsError(try Self.model().analyze(samples: [0.1, .nan] + music.prefix(6000), layers: ["embedding"], windowHop: nil))
    }

    func testSpecAndImportNames() throws {
        let model = try Self.model()
        XCTAssertEqual(model.descriptor.labels.count, 527)
        XCTAssertEqual(model.spec.activation, .softmax)
        XCTAssertNotNil(ModelRegistry.specs.first { $0.id == "passt" })
        XCTAssertTrue(ModelRegistry.imports.contains { $0.name == "passt" && $0.checkpoint.file == "passt-s-f128-p16-s10-ap.476-swa.pt" })
        // The manifest is the state dict of hear21passt's model: head_dist is there and ignored.
        let manifest = try Fixtures.json(DeterministicWeights.Manifest.self, "passt/weights.json")
        var shapes = Dictionary(uniqueKeysWithValues: manifest.tensors.map { ($0.name, $0.shape) })
        XCTAssertEqual(shapes["head_dist.weight"], [527, 768])
        XCTAssertNoThrow(try TorchImporter.validate(shapes: shapes, spec: PaSST.importSpec, path: "x"))
        shapes["time_new_pos_embed"] = [1, 768, 1, 100]
        XCTAssertThrowsError(try TorchImporter.validate(shapes: shapes, spec: PaSST.importSpec, path: "x"))
    }

    /// The import path on the full checkpoint the fixture script saves in /tmp (~345 MB, not
    /// committed): FAD_PASST_PT=/tmp/fad-torch/passt-deterministic.pt.
    func testImportFullCheckpointWhenAvailable() throws {
        guard let path = ProcessInfo.processInfo.environment["FAD_PASST_PT"] else {
            throw XCTSkip("FAD_PASST_PT not set")
        }
        let directory = try Fixtures.temporaryDirectory("passt-import")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TorchImporter.importCheckpoint(URL(fileURLWithPath: path), spec: PaSST.importSpec, into: directory)
        XCTAssertEqual(file.lastPathComponent, "passt.safetensors")
        let model = try PaSST(contentsOf: file)
        let music = try Self.music()
        let out = try model(samples: FADNN.Tensor(shape: [1, 80_000], values: Array(music[320_000...])))
        let reference = try Fixtures.npy("passt/hop10_logits.npy").floats
        XCTAssertLessThan(maxRelativeDifference(out.logits.values, reference[527...]), 1e-4)
    }
}
