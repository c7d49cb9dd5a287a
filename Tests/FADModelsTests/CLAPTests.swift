import Foundation
import XCTest
import FADArrays
import FADNN
import FADFeatures
@testable import FADModels
import _FADTestSupport

/// The CLAP-LAION audio encoder against laion_clap 1.1.7's own CLAP_Module (HTSAT-base for
/// `clap-laion-music`, HTSAT-tiny for `clap-laion-audio`) run in float64 with the same
/// deterministic full-size weights, loaded by laion_clap's `load_ckpt` from a file in the official
/// checkpoint layout (Tests/Fixtures/scripts/clap_fixtures.py), on real music.
///
/// Tolerance 1e-4 of the largest reference value: fad runs float32 (FFT, SGEMM, LayerNorm
/// statistics in double) against a float64 reference through 10-18 Swin blocks; measured errors
/// are printed by each test.
final class CLAPTests: XCTestCase {
    nonisolated(unsafe) static var networks: [CLAP.Variant: CLAP] = [:]
    nonisolated(unsafe) static var weights: [CLAP.Variant: InMemoryWeights] = [:]

    static func prepared(_ variant: CLAP.Variant) throws -> InMemoryWeights {
        if let cached = weights[variant] { return cached }
        let state = try DeterministicWeights.stateDict(manifest: "clap/weights-\(variant.rawValue).json")
        let prepared = InMemoryWeights(try TorchImporter.prepare(stateDict: state, spec: CLAP.importSpec(variant), path: "deterministic"))
        weights[variant] = prepared
        return prepared
    }

    static func network(_ variant: CLAP.Variant) throws -> CLAP {
        if let cached = networks[variant] { return cached }
        let network = try CLAP(weights: try prepared(variant), variant: variant)
        networks[variant] = network
        return network
    }

    /// A stored clip (int16) as the model's input: int16 / 32767 in float32, as laion_clap's
    /// `int16_to_float32` gives it.
    static func clip(_ name: String) throws -> [Float] {
        let q = try Fixtures.npy("clap/\(name).npy")
        XCTAssertEqual(q.dtype, .int16)
        return q.values.map { Float($0 / 32767) }
    }

    static func padded(_ samples: [Float]) -> [Float] {
        samples + [Float](repeating: 0, count: CLAP.windowSamples - samples.count)
    }

    /// Front end first: int16 round trip, torchlibrosa STFT and mel, decibels. float32 FFT
    /// against the float64 reference: 1e-2 dB absolute (quiet bins amplify float32 rounding in the log).
    func testLogMelMatchesTorchlibrosa() throws {
        let network = try Self.network(.audio)
        let logMel = try network.logMel(window: try Self.clip("battle_10s"))
        let reference = try Fixtures.npy("clap/battle_10s_logmel.npy")
        XCTAssertEqual([logMel.rows, logMel.columns], reference.shape)
        let difference = maxAbsDifference(logMel.values, reference.floats)
        print("CLAP log-mel max abs difference \(difference) dB")
        XCTAssertLessThan(difference, 1e-2)
    }

    /// The bicubic resize keeps PyTorch's invariants: identity when the sizes agree, the end rows
    /// kept (align_corners), constants kept (the four weights sum to 1). Its values inside are
    /// checked through the embeddings, which depend on every resized frame.
    func testBicubicResize() {
        let input = Matrix(rows: 1001, columns: 2, values: (0..<1001).flatMap { [Float(($0 * 37) % 101), 5] })
        let resized = BicubicResize(from: 1001, to: 1024)(input)
        XCTAssertEqual(resized.rows, 1024)
        XCTAssertEqual(resized.values[0], input.values[0])
        XCTAssertEqual(resized.values[2 * 1023], input.values[2 * 1000], accuracy: 1e-4)
        for i in 0..<1024 { XCTAssertEqual(resized.values[2 * i + 1], 5, accuracy: 1e-5) }
        XCTAssertEqual(BicubicResize(from: 7, to: 7)(Matrix(rows: 7, columns: 1, values: [3, 1, 4, 1, 5, 9, 2])).values, [3, 1, 4, 1, 5, 9, 2])
    }

    private func checkEmbeddings(_ variant: CLAP.Variant) throws {
        let network = try Self.network(variant)
        let clips = ["battle_10s", "frantic_4s"]
        let windows = try clips.flatMap { Self.padded(try Self.clip($0)) }
        let (latent, embedding) = try network(windows: FADNN.Tensor(shape: [2, CLAP.windowSamples], values: windows))
        for (i, name) in clips.enumerated() {
            let referenceEmbedding = try Fixtures.npy("clap/\(variant.rawValue)_\(name)_embedding.npy").floats
            let referenceLatent = try Fixtures.npy("clap/\(variant.rawValue)_\(name)_latent.npy").floats
            let e = Array(embedding.values[i * 512 ..< (i + 1) * 512])
            let d = variant.latentDimension
            let l = Array(latent.values[i * d ..< (i + 1) * d])
            print("\(variant.rawValue) \(name): embedding \(maxRelativeDifference(e, referenceEmbedding)), latent \(maxRelativeDifference(l, referenceLatent)) max relative difference")
            XCTAssertLessThan(maxRelativeDifference(e, referenceEmbedding), 1e-4, name)
            XCTAssertLessThan(maxRelativeDifference(l, referenceLatent), 1e-4, name)
            XCTAssertEqual(e.reduce(0) { $0 + Double($1) * Double($1) }, 1, accuracy: 1e-5)
        }
    }

    func testMusicMatchesLaionCLAP() throws { try checkEmbeddings(.music) }
    func testAudioMatchesLaionCLAP() throws { try checkEmbeddings(.audio) }

    /// fadtk's framing: a 10 s window at every whole second before the end, zero-padded.
    func testWindowsFollowFadtk() throws {
        let network = try Self.network(.audio)
        let spec = try XCTUnwrap(CLAP.specs.first { $0.id == "clap-laion-audio" })
        let samples = (0..<(2 * CLAP.sampleRate + 7)).map { Float($0 % 100) / 100 }
        let windows = try network.windows(of: samples, spec: spec, frontEnd: nil, hop: nil)
        XCTAssertEqual(windows.starts, [0, 48_000, 96_000])
        let batch = windows.batch(1 ..< 3)
        XCTAssertEqual(batch.shape, [2, CLAP.windowSamples, 1])
        XCTAssertEqual(Array(batch.values[0 ..< samples.count - 48_000]), Array(samples[48_000...]))
        XCTAssertTrue(batch.values[samples.count - 48_000 ..< CLAP.windowSamples].allSatisfy { $0 == 0 })
        XCTAssertEqual(Array(batch.values[CLAP.windowSamples ..< CLAP.windowSamples + 7]), Array(samples[96_000...]))
        XCTAssertEqual(try network.windows(of: samples, spec: spec, frontEnd: nil, hop: 50_000).starts, [0, 50_000])
        XCTAssertThrowsError(try network.windows(of: samples, spec: spec, frontEnd: nil, hop: 0))
    }

    /// The registry's runner end to end (windows, batches, layers) on the 4 s clip: one window
    /// when the hop is 10 s, equal to laion_clap on the zero-padded clip.
    func testRunnerMatchesLaionCLAP() throws {
        let spec = try XCTUnwrap(CLAP.specs.first { $0.id == "clap-laion-audio" })
        XCTAssertEqual(spec.layers.map(\.name), ["embedding", "latent"])
        let model = try NetworkModel<CLAP>(spec: spec, weights: ModelWeights(try Self.prepared(.audio), path: "deterministic", digest: "test"),
                                           labels: [])
        let output = try model.analyze(samples: try Self.clip("frantic_4s"), layers: ["embedding", "latent"], windowHop: CLAP.windowSamples)
        XCTAssertEqual(output.windowStarts, [0])
        let embedding = try XCTUnwrap(output.embeddings["embedding"])
        XCTAssertEqual([embedding.rows, embedding.columns], [1, 512])
        XCTAssertEqual(output.embeddings["latent"]?.columns, 768)
        XCTAssertLessThan(maxRelativeDifference(embedding.values, try Fixtures.npy("clap/clap-laion-audio_frantic_4s_embedding.npy").floats), 1e-4)
    }

    /// The import accepts the official layout: `module.` names, the text branch, the unused heads
    /// and Swin buffers ignored; a checkpoint of the other size is refused.
    func testImportSpecAcceptsTheOfficialLayout() throws {
        let manifest = try DeterministicWeights.zeroStateDict(manifest: "clap/weights-clap-laion-music.json")
        var shapes = Dictionary(uniqueKeysWithValues: manifest.map { ("module." + $0.key, $0.value.shape) })
        for (name, shape) in [("module.text_branch.embeddings.word_embeddings.weight", [50265, 768]),
                              ("module.text_projection.0.weight", [512, 768]), ("module.audio_transform.sequential.0.weight", [512, 512]),
                              ("module.logit_scale_a", []), ("module.audio_branch.layers.0.blocks.1.attn_mask", [64, 64, 64]),
                              ("module.audio_branch.tscam_conv.weight", [527, 1024, 2, 3]),
                              ("module.audio_branch.spectrogram_extractor.stft.conv_real.weight", [513, 1, 1024])] {
            shapes[name] = shape
        }
        XCTAssertNoThrow(try TorchImporter.validate(shapes: shapes, spec: CLAP.importSpec(.music), path: "official"))
        XCTAssertThrowsError(try TorchImporter.validate(shapes: shapes, spec: CLAP.importSpec(.audio), path: "official"))
        shapes["module.audio_projection.2.bias"] = nil
        XCTAssertThrowsError(try TorchImporter.validate(shapes: shapes, spec: CLAP.importSpec(.music), path: "official")) { error in
            XCTAssertTrue("\(error)".contains("audio_projection.2.bias"), "\(error)")
        }
    }
}
