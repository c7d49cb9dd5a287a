import Foundation
import XCTest
import FADNN
import FADFeatures
@testable import FADModels
import _FADTestSupport

/// CNN14 against panns_inference 0.1.1's `Cnn14` run with the same deterministic full-size weights
/// (Tests/Fixtures/scripts/panns_fixtures.py), from the reference model's own log-mel.
final class PANNsCNN14Tests: XCTestCase {
    nonisolated(unsafe) static var prepared: InMemoryWeights?
    nonisolated(unsafe) static var models: [PANNsCNN14.Variant: PANNsCNN14] = [:]

    /// Both variants share the network (and the fixture weights); only the front end differs.
    static func model(_ variant: PANNsCNN14.Variant) throws -> PANNsCNN14 {
        if prepared == nil {
            let state = try DeterministicWeights.stateDict(manifest: "panns/weights.json")
            prepared = InMemoryWeights(try TorchImporter.prepare(stateDict: state, spec: PANNsCNN14.importSpec(variant),
                                                                 path: "deterministic"))
        }
        if let model = models[variant] { return model }
        let model = try PANNsCNN14(weights: prepared!, variant: variant)
        models[variant] = model
        return model
    }

    /// The model as the registry runs it (front end, windows, batches), on the fixture weights.
    static func networkModel(_ variant: PANNsCNN14.Variant) throws -> NetworkModel<PANNsCNN14> {
        _ = try model(variant)
        let spec = try XCTUnwrap(PANNsCNN14.specs.first { $0.id == variant.modelName })
        let labels = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Models/audioset/labels.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        return try NetworkModel<PANNsCNN14>(spec: spec, weights: ModelWeights(prepared!, path: "deterministic", digest: "test"),
                                            labels: labels)
    }

    private func check(_ name: String, _ variant: PANNsCNN14.Variant) throws {
        let logMel = try Fixtures.npy("panns/\(name)_logmel.npy")
        let output = try Self.model(variant)(logMel: FADNN.Tensor(shape: [1] + logMel.shape, values: logMel.floats))[0]
        let embedding = try Fixtures.npy("panns/\(name)_embedding.npy").floats
        let logits = try Fixtures.npy("panns/\(name)_logits.npy").floats
        // float32 convolutions over up to 18432-long dot products, BatchNorm folded into the
        // weights: 1e-4 of the largest value.
        print("CNN14 \(name) from log-mel: embedding \(maxRelativeDifference(output.embedding, embedding)), logits \(maxRelativeDifference(output.logits, logits)) max relative difference")
        XCTAssertLessThan(maxRelativeDifference(output.embedding, embedding), 1e-4, name)
        XCTAssertLessThan(maxRelativeDifference(output.logits, logits), 1e-4, name)
        let probabilities = logits.map { 1 / (1 + exp(-$0)) }
        XCTAssertLessThan(maxAbsDifference(output.probabilities, probabilities), 1e-5, name)
    }

    func testMusic32kMatchesPANNs() throws { try check("music_32k", .khz32) }
    func testSynthetic32kMatchesPANNs() throws { try check("synth_32k", .khz32) }
    func testMusic16kMatchesPANNs() throws { try check("music_16k", .khz16) }

    /// From waveforms through FADFeatures' PANNs front end (float32 FFTW vs torchlibrosa's
    /// float32 conv STFT; measured ~1.3e-6 relative): 1e-4 of the largest value, as from log-mel.
    func testFromWaveformMatchesPANNs() throws {
        for (name, variant) in [("music_32k", PANNsCNN14.Variant.khz32), ("synth_32k", .khz32), ("music_16k", .khz16)] {
            let model = try Self.networkModel(variant)
            let frontEnd = LogMelFrontEnd(variant.frontEndConfiguration)
            let wave = try Fixtures.npy("panns/\(name).npy").floats
            let logMel = try frontEnd(wave)
            let reference = try Fixtures.npy("panns/\(name)_logmel.npy")
            XCTAssertEqual([logMel.rows, logMel.columns], reference.shape, name)
            // dB values: absolute 1e-2 dB (quiet bins amplify float32 rounding in the log).
            XCTAssertLessThan(maxAbsDifference(logMel.values, reference.floats), 1e-2, name)
            let analysis = try model.analyze(samples: wave, layers: ["embedding"], windowHop: nil)
            XCTAssertEqual(analysis.windowStarts, [0])
            let embedding = try XCTUnwrap(analysis.embeddings["embedding"]).values
            let logits = try XCTUnwrap(analysis.logits).values
            print("CNN14 \(name) from waveform: log-mel max abs difference \(maxAbsDifference(logMel.values, reference.floats)) dB, embedding \(maxRelativeDifference(embedding, try Fixtures.npy("panns/\(name)_embedding.npy").floats)), logits \(maxRelativeDifference(logits, try Fixtures.npy("panns/\(name)_logits.npy").floats)) max relative difference")
            XCTAssertLessThan(maxRelativeDifference(embedding, try Fixtures.npy("panns/\(name)_embedding.npy").floats), 1e-4, name)
            XCTAssertLessThan(maxRelativeDifference(logits, try Fixtures.npy("panns/\(name)_logits.npy").floats), 1e-4, name)
        }
    }

    func testWindowedOutputs() throws {
        let network = try Self.model(.khz32)
        let model = try Self.networkModel(.khz32)
        let frontEnd = LogMelFrontEnd(.pannsCNN14)
        let wave = try Fixtures.npy("panns/music_32k.npy").floats
        func embedding(_ samples: [Float], hop: Int?) throws -> (starts: [Int], values: [Float]) {
            let output = try model.analyze(samples: samples, layers: ["embedding"], windowHop: hop)
            return (output.windowStarts, try XCTUnwrap(output.embeddings["embedding"]).values)
        }
        // A window as long as the clip is the clip.
        let whole = try embedding(wave, hop: nil)
        XCTAssertEqual(whole.starts, [0])
        XCTAssertEqual(try embedding(wave, hop: 1000).values, whole.values)
        // Windows of 1000 frames every 40: each equals the network on that slice of the log-mel.
        var long = wave
        while long.count < 11 * 32_000 { long += wave }
        let parts = try embedding(long, hop: 40)
        let logMel = try frontEnd(long)
        XCTAssertEqual(parts.starts, Array(stride(from: 0, through: logMel.rows - 1000, by: 40)))
        let slice = FADNN.Tensor(shape: [1, 1000, 64], values: Array(logMel.values[40 * 64 ..< 1040 * 64]))
        XCTAssertLessThan(maxRelativeDifference(Array(parts.values[2048 ..< 4096]), network(logMel: slice)[0].embedding), 1e-6)
        // Very short clips are padded to the network's minimum instead of failing.
        XCTAssertEqual(try embedding(Array(wave.prefix(3000)), hop: nil).values.count, 2048)
    }

    func testLabelsAndSpec() throws {
        let labels = try Self.networkModel(.khz32).descriptor.labels
        XCTAssertEqual(labels.count, 527)
        XCTAssertEqual(labels[0], "Speech")
        XCTAssertEqual(labels[137], "Music")
        // Front-end kernels and BatchNorm counters of the official checkpoints are accepted and dropped.
        let manifest = try Fixtures.json(DeterministicWeights.Manifest.self, "panns/weights.json")
        var shapes = Dictionary(uniqueKeysWithValues: manifest.tensors.map { ($0.name, $0.shape) })
        shapes["logmel_extractor.melW"] = [513, 64]
        shapes["bn0.num_batches_tracked"] = []
        XCTAssertNoThrow(try TorchImporter.validate(shapes: shapes, spec: PANNsCNN14.importSpec(.khz32), path: "x"))
        shapes["fc_audioset.weight"] = [10, 2048]
        XCTAssertThrowsError(try TorchImporter.validate(shapes: shapes, spec: PANNsCNN14.importSpec(.khz32), path: "x"))
    }

    /// The import path on the full checkpoint the fixture script saves in /tmp (~320 MB, not
    /// committed): FAD_PANNS_PTH=/tmp/fad-torch/panns-cnn14-deterministic.pth.
    func testImportFullCheckpointWhenAvailable() throws {
        guard let path = ProcessInfo.processInfo.environment["FAD_PANNS_PTH"] else {
            throw XCTSkip("FAD_PANNS_PTH not set")
        }
        let directory = try Fixtures.temporaryDirectory("panns-import")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TorchImporter.importCheckpoint(URL(fileURLWithPath: path), spec: PANNsCNN14.importSpec(.khz32), into: directory)
        XCTAssertEqual(file.lastPathComponent, "panns-cnn14.safetensors")
        let model = try PANNsCNN14(contentsOf: file, variant: .khz32)
        let logMel = try Fixtures.npy("panns/music_32k_logmel.npy")
        let output = model(logMel: FADNN.Tensor(shape: [1] + logMel.shape, values: logMel.floats))[0]
        XCTAssertLessThan(maxRelativeDifference(output.embedding, try Fixtures.npy("panns/music_32k_embedding.npy").floats), 1e-4)
    }
}
