import XCTest
import Foundation
import FADArrays
import FADModels
import _FADTestSupport

final class ModelAPITests: XCTestCase {
    func testRegistryAndDescriptors() throws {
        XCTAssertEqual(ModelRegistry.names, ["clap-laion-audio", "clap-laion-music", "encodec-24k", "encodec-48k",
                                             "mert-v1-330m", "mert-v1-330m-kadtk", "mert-v1-95m", "mert-v1-95m-kadtk", "msd-musicnn", "msd-vgg", "mtt-musicnn", "mtt-vgg",
                                             "panns-cnn14", "panns-cnn14-16k", "panns-wavegram-logmel", "passt", "vggish", "vggish-google"])
        let model = try ModelRegistry.load("msd-musicnn")
        let d = model.descriptor
        XCTAssertEqual(d.name, "msd-musicnn")
        XCTAssertEqual(d.sampleRate, 16000)
        XCTAssertEqual(d.windowFrames, 187)
        XCTAssertEqual(d.layers, [LayerDescriptor(name: "max_pool", dimension: 753), LayerDescriptor(name: "mean_pool", dimension: 753),
                                  LayerDescriptor(name: "penultimate", dimension: 200)])
        XCTAssertEqual(d.defaultLayer, "logits")  // chosen by the default-embedding study (README)
        XCTAssertEqual(d.labels.count, 50)
        XCTAssertEqual(d.labels.first, "rock")
        XCTAssertEqual(try ModelRegistry.load("mtt-vgg").descriptor.labels.first, "guitar")
        XCTAssertEqual(try ModelRegistry.load("mtt-vgg").descriptor.layers, [LayerDescriptor(name: "pool5", dimension: 256)])
        // Different weights, different digests; same weights, same digest.
        XCTAssertNotEqual(d.weightsDigest, try ModelRegistry.load("mtt-musicnn").descriptor.weightsDigest)
        XCTAssertEqual(d.weightsDigest, try ModelRegistry.load("msd-musicnn").descriptor.weightsDigest)

        XCTAssertThrowsError(try ModelRegistry.load("nope")) { XCTAssertEqual(($0 as? ModelError)?.kind, .unknownModel) }
        let empty = ModelStore(searchPaths: [URL(fileURLWithPath: "/nonexistent")])
        XCTAssertThrowsError(try ModelRegistry.load("msd-musicnn", store: empty)) { XCTAssertEqual(($0 as? ModelError)?.kind, .weightsNotFound) }
    }

    func testWrongWeightsFileIsRejected() throws {
        let vggWeights = Fixtures.repositoryRoot.appendingPathComponent("Models").appendingPathComponent("musicnn/MTT_vgg.safetensors")
        let labels = Fixtures.repositoryRoot.appendingPathComponent("Models").appendingPathComponent("musicnn/MTT_musicnn.labels.txt")
        XCTAssertThrowsError(try NetworkModel<MusiCNN>(spec: ModelRegistry.spec("mtt-musicnn"), weights: ModelWeights(ModelStore.File(url: vggWeights)),
                                                     labels: try readLines(labels))) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidWeights, "\(error)")
        }
        let musicnnWeights = Fixtures.repositoryRoot.appendingPathComponent("Models").appendingPathComponent("musicnn/MTT_musicnn.safetensors")
        XCTAssertThrowsError(try NetworkModel<MusicnnVGG>(spec: ModelRegistry.spec("mtt-vgg"), weights: ModelWeights(ModelStore.File(url: musicnnWeights)),
                                                        labels: try readLines(labels))) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidWeights, "\(error)")
        }
    }

    private func readLines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testWindowingAndShortClips() throws {
        let w = try Windowing(length: 187, hop: 187)
        XCTAssertEqual(w.starts(frames: 751), [0, 187, 374, 561])
        XCTAssertEqual(w.starts(frames: 561), [0, 187, 374])
        XCTAssertEqual(w.starts(frames: 100), [0])
        XCTAssertEqual(try Windowing(length: 187, hop: 94).starts(frames: 751), [0, 94, 188, 282, 376, 470, 564])
        XCTAssertThrowsError(try Windowing(length: 187, hop: 0))

        // A clip shorter than a window is zero-padded to one window (documented in `Windowing`).
        let model = try NetworkModel<MusiCNN>(spec: ModelRegistry.spec("mtt-musicnn"))
        let real = try Fixtures.npy("musicnn/real.npy").matrix(of: Float.self)
        let short = real.selectingRows(0..<100)
        var padded = short
        padded.appendRows(of: Matrix(rows: 87, columns: 96))
        let a = try model.analyze(logMel: short, layers: ["penultimate"], windowHop: nil)
        let b = try model.analyze(logMel: padded, layers: ["penultimate"], windowHop: nil)
        XCTAssertEqual(a.windowStarts, [0])
        XCTAssertEqual(a.embeddings["penultimate"], b.embeddings["penultimate"])
        XCTAssertThrowsError(try model.analyze(logMel: Matrix(rows: 0, columns: 96), layers: [], windowHop: nil)) {
            XCTAssertEqual(($0 as? ModelError)?.kind, .invalidInput)
        }
        XCTAssertThrowsError(try model.analyze(logMel: real, layers: ["pool5"], windowHop: nil)) {
            XCTAssertEqual(($0 as? ModelError)?.kind, .unknownLayer)
        }
        XCTAssertThrowsError(try model.analyze(logMel: Matrix(rows: 10, columns: 64), layers: [], windowHop: nil)) {
            XCTAssertEqual(($0 as? ModelError)?.kind, .invalidInput)
        }
    }
}
