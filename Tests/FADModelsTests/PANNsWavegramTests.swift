import Foundation
import XCTest
import FADNN
import FADFeatures
@testable import FADModels
import _FADTestSupport

/// Wavegram-Logmel-CNN14 against the reference repository's own `Wavegram_Logmel_Cnn14`
/// (qiuqiangkong/audioset_tagging_cnn, pytorch/models.py) run in float64 with the same
/// deterministic full-size weights (Tests/Fixtures/scripts/panns_wavegram_fixtures.py), from the
/// waveform through fad's runner (front end inside the forward pass, padding, windows).
///
/// Tolerance, for every output: 1e-4 of the reference's largest value. fad runs in float32
/// (FFTW front end, im2col SGEMM convolutions with BatchNorm folded into the weights, dot products
/// up to 18432 long in conv_block6); quiet log-mel bins amplify float32 rounding in the
/// logarithm (CNN14's front end is within 1e-2 dB of torchlibrosa's), and the errors stay orders
/// of magnitude below what would change an embedding's FAD.
final class PANNsWavegramTests: XCTestCase {
    static let manifest = "panns_wavegram/weights.json"

    /// What the shared setup did: the model the registry loaded, the file the import wrote.
    struct Imported { var model: NetworkModel<PANNsWavegramLogmelCNN14>; var writtenFile: String }
    nonisolated(unsafe) static var imported: Imported?

    /// The official checkpoint's layout (a legacy torch.save of {"iteration", "model": state
    /// dict}), rebuilt from the fixture's header and the deterministic weights (~330 MB in a
    /// temporary folder), imported through `fad models import`'s path and loaded through the
    /// registry, once per run: every test below runs this model.
    static func shared() throws -> Imported {
        if let imported { return imported }
        struct Storages: Decodable {
            struct Entry: Decodable { var name: String; var count: Int64; var bytes: Int; var deterministic: Bool }
            var storages: [Entry]
        }
        let directory = try Fixtures.temporaryDirectory("wavegram-import")
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("Wavegram_Logmel_Cnn14_mAP=0.439.pth")
        let state = try DeterministicWeights.stateDict(manifest: manifest)
        FileManager.default.createFile(atPath: checkpoint.path, contents: nil)
        let handle = try FileHandle(forWritingTo: checkpoint)
        try handle.write(contentsOf: try Data(contentsOf: Fixtures.url("panns_wavegram/checkpoint_legacy_header.bin")))
        for entry in try Fixtures.json(Storages.self, "panns_wavegram/checkpoint_legacy_storages.json").storages {
            var count = entry.count.littleEndian
            try handle.write(contentsOf: Data(bytes: &count, count: 8))
            if entry.deterministic {
                let values = try XCTUnwrap(state[entry.name]).values
                XCTAssertEqual(values.count * 4, entry.bytes, entry.name)
                try handle.write(contentsOf: values.withUnsafeBufferPointer { Data(buffer: $0) })
            } else {
                try handle.write(contentsOf: Data(count: entry.bytes))  // front-end kernels, counters
            }
        }
        try handle.close()
        let models = directory.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let store = ModelStore(searchPaths: [models, Fixtures.repositoryRoot.appendingPathComponent("Models")])
        let written = try TorchModels.importCheckpoint("panns-wavegram-logmel", from: checkpoint, store: store)
        let model = try XCTUnwrap(try ModelRegistry.load("panns-wavegram-logmel", store: store) as? NetworkModel<PANNsWavegramLogmelCNN14>)
        imported = Imported(model: model, writtenFile: written.lastPathComponent)
        return imported!
    }

    static func model() throws -> NetworkModel<PANNsWavegramLogmelCNN14> { try shared().model }

    static func music() throws -> [Float] { try Fixtures.npy("panns/music_32k.npy").floats }

    /// The clips of the fixture script, by name.
    static func clip(_ name: String) throws -> [Float] {
        switch name {
        case "music": return try music()
        case "synth": return try Fixtures.npy("panns/synth_32k.npy").floats
        case "music_cut": return Array(try music().prefix(47_800))
        case "music_short": return Array(try music().prefix(6_000))
        default: throw XCTSkip("no clip \(name)")
        }
    }

    private func check(_ name: String, _ output: ModelOutput, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(output.windowStarts, [0], name, file: file, line: line)
        let embedding = try XCTUnwrap(output.embeddings["embedding"]).values
        let logits = try XCTUnwrap(output.logits).values
        let probabilities = try XCTUnwrap(output.probabilities).values
        let referenceEmbedding = try Fixtures.npy("panns_wavegram/\(name)_embedding.npy").values
        let referenceLogits = try Fixtures.npy("panns_wavegram/\(name)_logits.npy").values
        let embeddingError = maxRelativeDifference(embedding, referenceEmbedding)
        let logitsError = maxRelativeDifference(logits, referenceLogits)
        print("Wavegram-Logmel-CNN14 \(name): embedding \(embeddingError), logits \(logitsError) max relative difference")
        XCTAssertLessThan(embeddingError, 1e-4, name, file: file, line: line)
        XCTAssertLessThan(logitsError, 1e-4, name, file: file, line: line)
        // The runner's sigmoid against the reference's clipwise_output (sigmoid of its logits).
        XCTAssertLessThan(maxAbsDifference(probabilities, referenceLogits.map { 1 / (1 + exp(-$0)) }), 1e-5, name, file: file, line: line)
    }

    /// 1.5 s of music and 1 s of synthetic sound: lengths where the reference runs unchanged.
    func testMusicAndSynthMatchReference() throws {
        let model = try Self.model()
        for name in ["music", "synth"] {
            try check(name, try model.analyze(samples: try Self.clip(name), layers: ["embedding"], windowHop: nil))
        }
    }

    /// 47800 samples (mod 640 = 440): the log-mel branch is one frame longer than the wavegram;
    /// the reference raises there, and its fixture cuts the log-mel branch as fad does.
    func testMismatchedBranchLengthsCutTheLogMelBranch() throws {
        XCTAssertEqual(PANNsWavegramLogmelCNN14.logMelFrames(samples: 47_800), 75)
        XCTAssertEqual(PANNsWavegramLogmelCNN14.wavegramFrames(samples: 47_800), 74)
        for samples in [48_000, 10_240, 10_239, 48_636, 320_000] {  // where the reference runs
            XCTAssertEqual(PANNsWavegramLogmelCNN14.logMelFrames(samples: samples),
                           PANNsWavegramLogmelCNN14.wavegramFrames(samples: samples), "\(samples)")
        }
        try check("music_cut", try Self.model().analyze(samples: try Self.clip("music_cut"), layers: ["embedding"], windowHop: nil))
    }

    /// A clip shorter than the network's minimum is zero-padded to 10240 samples, as the
    /// reference fixture was.
    func testShortClipIsPaddedToMinimum() throws {
        try check("music_short", try Self.model().analyze(samples: try Self.clip("music_short"), layers: ["embedding"], windowHop: nil))
        XCTAssertThrowsError(try Self.model().network(waveforms: FADNN.Tensor(shape: [1, 10_000], repeating: 0)))
    }

    /// With a window hop (in samples), windows of 10 s; each equals the network on its slice.
    func testWindowHopCutsTenSecondWindows() throws {
        let model = try Self.model()
        var long = try Self.music()
        while long.count < 330_000 { long += try Self.music() }
        long = Array(long.prefix(330_000))
        let output = try model.analyze(samples: long, layers: ["embedding"], windowHop: 8_000)
        XCTAssertEqual(output.windowStarts, [0, 8_000])
        let second = try model.network(waveforms: FADNN.Tensor(shape: [1, 320_000], values: Array(long[8_000 ..< 328_000])))
        let embeddings = try XCTUnwrap(output.embeddings["embedding"]).values
        XCTAssertLessThan(maxRelativeDifference(Array(embeddings[2048...]), second.embedding.values), 1e-6)
    }

    /// Reachable by id, importable by name, with the AudioSet labels.
    func testRegistryAndSpec() throws {
        XCTAssertTrue(ModelRegistry.names.contains("panns-wavegram-logmel"))
        XCTAssertTrue(TorchModels.names.contains("panns-wavegram-logmel"))
        let spec = try XCTUnwrap(ModelRegistry.specs.first { $0.id == "panns-wavegram-logmel" })
        XCTAssertEqual(spec.sampleRate, 32_000)
        XCTAssertEqual(spec.input, .waveform)
        XCTAssertEqual(spec.weightsFile, "panns-wavegram-logmel.safetensors")
        XCTAssertEqual(spec.officialImport?.checkpoint.file, "Wavegram_Logmel_Cnn14_mAP=0.439.pth")
        let labels = try Self.model().descriptor.labels
        XCTAssertEqual(labels.count, 527)
        XCTAssertEqual(labels[137], "Music")
        // Missing weights say how to import them.
        let empty = try Fixtures.temporaryDirectory("wavegram-empty")
        defer { try? FileManager.default.removeItem(at: empty) }
        XCTAssertThrowsError(try ModelRegistry.load("panns-wavegram-logmel", store: ModelStore(searchPaths: [empty]))) { error in
            XCTAssertTrue("\(error)".contains("fad models import panns-wavegram-logmel"), "\(error)")
        }
        // A checkpoint of another architecture (CNN14) is refused by name and shape.
        var shapes = Dictionary(uniqueKeysWithValues: try Fixtures.json(DeterministicWeights.Manifest.self, Self.manifest)
            .tensors.map { ($0.name, $0.shape) })
        shapes["spectrogram_extractor.stft.conv_real.weight"] = [513, 1, 1024]
        shapes["pre_bn0.num_batches_tracked"] = []
        XCTAssertNoThrow(try TorchImporter.validate(shapes: shapes, spec: PANNsWavegramLogmelCNN14.importSpec, path: "x"))
        shapes["pre_conv0.weight"] = nil
        XCTAssertThrowsError(try TorchImporter.validate(shapes: shapes, spec: PANNsWavegramLogmelCNN14.importSpec, path: "x"))
    }

    /// The import wrote the file the registry loads; the loaded model is the reference's.
    func testImportOfficialLayoutThroughRegistry() throws {
        XCTAssertEqual(try Self.shared().writtenFile, "panns-wavegram-logmel.safetensors")
        try check("music", try Self.model().analyze(samples: try Self.music(), layers: ["embedding"], windowHop: nil))
    }
}
