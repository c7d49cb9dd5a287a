import Foundation
import XCTest
import FADArrays
import FADNN
@testable import FADModels
import _FADTestSupport

/// The imported models behind `AudioEmbeddingModel`, and the "not imported" path.
final class TorchModelsTests: XCTestCase {
    func testNotImportedModelsTellTheUserWhatToRun() throws {
        let empty = try Fixtures.temporaryDirectory("no-models")
        defer { try? FileManager.default.removeItem(at: empty) }
        let store = ModelStore(searchPaths: [empty])
        for name in TorchModels.names {
            XCTAssertThrowsError(try ModelRegistry.load(name, store: store), name) { error in
                guard let error = error as? ModelError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .weightsNotFound)
                XCTAssertTrue(error.description.hasPrefix("\(name): weights not imported"), error.description)
                XCTAssertTrue(error.description.contains("`fad models import \(name) "), error.description)
                XCTAssertTrue(error.description.contains("https://"), error.description)
            }
        }
        XCTAssertThrowsError(try TorchModels.spec(for: "openl3"))
        XCTAssertEqual(TorchModels.importDirectory(store), empty)
    }

    func testVGGishModelOutputs() throws {
        let model = try NetworkModel<VGGish>(spec: ModelRegistry.spec("vggish"),
                                             weights: ModelWeights(VGGishTests.weights(), path: "deterministic", digest: "test"), labels: [])
        XCTAssertEqual(model.descriptor.name, "vggish")
        XCTAssertEqual(model.descriptor.frontEnd, .vggish)
        let wave = try Fixtures.npy("vggish/music_16k.npy").floats
        let output = try model.analyze(samples: wave, layers: ["embedding"], windowHop: nil)
        let embedding = try XCTUnwrap(output.embeddings["embedding"])
        XCTAssertEqual(output.windowStarts, [0, 96])
        // Same tolerance as VGGishTests.testFromWaveformMatchesTorchVGGish (front end in float32).
        XCTAssertLessThan(maxRelativeDifference(embedding.values, try Fixtures.npy("vggish/music_embedding.npy").floats), 1e-3)
        XCTAssertThrowsError(try model.analyze(samples: wave, layers: ["logits"], windowHop: nil))
        XCTAssertThrowsError(try model.analyze(samples: [], layers: ["embedding"], windowHop: nil))
        // Short clips are padded to 1 s and give one example.
        XCTAssertEqual(try model.analyze(samples: Array(wave.prefix(4000)), layers: ["embedding"], windowHop: nil).windowStarts, [0])
    }

    func testPANNsModelOutputs() throws {
        let model = try PANNsCNN14Tests.networkModel(.khz32)
        XCTAssertEqual(model.descriptor.name, "panns-cnn14")
        XCTAssertEqual(model.descriptor.sampleRate, 32_000)
        let wave = try Fixtures.npy("panns/music_32k.npy").floats
        let output = try model.analyze(samples: wave, layers: ["embedding"], windowHop: nil)
        XCTAssertEqual(output.windowStarts, [0])
        XCTAssertLessThan(maxRelativeDifference(try XCTUnwrap(output.embeddings["embedding"]).values,
                                                try Fixtures.npy("panns/music_32k_embedding.npy").floats), 1e-3)
        let probabilities = try XCTUnwrap(output.probabilities)
        XCTAssertEqual(probabilities.columns, 527)
        XCTAssertEqual(model.descriptor.labels[137], "Music")
    }
}
