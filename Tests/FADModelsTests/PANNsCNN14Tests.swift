import Foundation
import XCTest
import FADNN
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

    private func check(_ name: String, _ variant: PANNsCNN14.Variant) throws {
        let logMel = try Fixtures.npy("panns/\(name)_logmel.npy")
        let output = try Self.model(variant)(logMel: FADNN.Tensor(shape: [1] + logMel.shape, values: logMel.floats))[0]
        let embedding = try Fixtures.npy("panns/\(name)_embedding.npy").floats
        let logits = try Fixtures.npy("panns/\(name)_logits.npy").floats
        // float32 convolutions over up to 18432-long dot products, BatchNorm folded into the
        // weights: 1e-4 of the largest value.
        XCTAssertLessThan(maxRelativeDifference(output.embedding, embedding), 1e-4, name)
        XCTAssertLessThan(maxRelativeDifference(output.logits, logits), 1e-4, name)
        let probabilities = logits.map { 1 / (1 + exp(-$0)) }
        XCTAssertLessThan(maxAbsDifference(output.probabilities, probabilities), 1e-5, name)
    }

    func testMusic32kMatchesPANNs() throws { try check("music_32k", .khz32) }
    func testSynthetic32kMatchesPANNs() throws { try check("synth_32k", .khz32) }
    func testMusic16kMatchesPANNs() throws { try check("music_16k", .khz16) }

    func testLabelsAndSpec() throws {
        let labels = try PANNsCNN14.audioSetLabels(from: Fixtures.repositoryRoot.appendingPathComponent("Models/audioset/labels.txt"))
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
