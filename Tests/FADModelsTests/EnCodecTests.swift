import Foundation
import XCTest
import FADNN
@testable import FADModels
import _FADTestSupport

/// The EnCodec encoders against the `encodec` package 0.1.1's own `EncodecModel.encode`, run in
/// float64 with the same deterministic full-size weights on real music
/// (Tests/Fixtures/scripts/encodec_fixtures.py).
///
/// Tolerance: 1e-4 of the reference's largest latent value. fad runs in float32: five
/// convolution stages (dot products up to 16 x 256 = 4096 terms), 2 x 226 LSTM steps whose
/// rounding carries from step to step, residual sums; measured errors are printed.
final class EnCodecTests: XCTestCase {
    nonisolated(unsafe) static var weights: [EnCodec.Variant: InMemoryWeights] = [:]

    static func prepared(_ variant: EnCodec.Variant) throws -> InMemoryWeights {
        if let cached = weights[variant] { return cached }
        let state = try DeterministicWeights.stateDict(manifest: variant == .khz24 ? "encodec/weights_24k.json" : "encodec/weights_48k.json")
        let prepared = InMemoryWeights(try TorchImporter.prepare(stateDict: state, spec: EnCodec.importSpec(variant), path: "deterministic"))
        weights[variant] = prepared
        return prepared
    }

    static func model(_ variant: EnCodec.Variant) throws -> EnCodec {
        try EnCodec(weights: try prepared(variant), variant: variant)
    }

    /// The model as the registry runs it, with `batchSize` frames per streamed chunk.
    static func networkModel(_ variant: EnCodec.Variant, batchSize: Int? = nil) throws -> NetworkModel<EnCodec> {
        var spec = try XCTUnwrap(EnCodec.specs.first { $0.id == variant.modelName })
        if let batchSize { spec.batchSize = batchSize }
        return try NetworkModel<EnCodec>(spec: spec, weights: ModelWeights(try prepared(variant), path: "deterministic", digest: "test"),
                                         labels: [])
    }

    func testWholeClip24kMatchesEncodec() throws {
        let wave = try Fixtures.npy("encodec/music_24k.npy").floats
        let reference = try Fixtures.npy("encodec/music_24k_latent.npy")
        let latent = try Self.model(.khz24).encode(FADNN.Tensor(shape: [1, wave.count, 1], values: wave))
        XCTAssertEqual(latent.shape, [1] + reference.shape)
        XCTAssertEqual(reference.shape, [EnCodec.frames(samples: wave.count), 128])
        let error = maxRelativeDifference(latent.values, reference.floats)
        print("EnCodec 24k whole clip: latent max relative difference \(error)")
        XCTAssertLessThan(error, 1e-4)
    }

    /// Streaming in chunks (of 7 frames, shorter than the context, and the default 750, with the
    /// LSTM state carried) gives the
    /// whole-file latent: the same tolerance as one pass, and 1e-5 against fad's own one pass.
    func testStreamed24kMatchesEncodec() throws {
        let wave = try Fixtures.npy("encodec/music_24k.npy").floats
        let reference = try Fixtures.npy("encodec/music_24k_latent.npy").floats
        let whole = try Self.model(.khz24).encode(FADNN.Tensor(shape: [1, wave.count, 1], values: wave)).values
        for chunk in [7, 750] {
            let model = try Self.networkModel(.khz24, batchSize: chunk)
            let output = try model.analyze(samples: wave, layers: ["latent"], windowHop: nil)
            let latent = try XCTUnwrap(output.embeddings["latent"])
            XCTAssertEqual(latent.rows, 226)
            XCTAssertEqual(output.windowStarts, (0..<226).map { $0 * 320 })
            print("EnCodec 24k streamed in \(chunk)-frame chunks: max relative difference \(maxRelativeDifference(latent.values, reference)) (vs encodec), \(maxRelativeDifference(latent.values, whole)) (vs one pass)")
            XCTAssertLessThan(maxRelativeDifference(latent.values, reference), 1e-4, "chunk \(chunk)")
            XCTAssertLessThan(maxRelativeDifference(latent.values, whole), 1e-5, "chunk \(chunk)")
        }
    }

    /// Segments of 1 s every 0.99 s, each scaled by its RMS: 2.2 s give 150 + 150 + 33 frames.
    func testStereo48kMatchesEncodec() throws {
        let wave = try Fixtures.npy("encodec/music_48k.npy")
        XCTAssertEqual(wave.shape, [105_600, 2])
        let reference = try Fixtures.npy("encodec/music_48k_latent.npy")
        let model = try Self.networkModel(.khz48)
        let output = try model.analyze(samples: wave.floats, layers: ["latent"], windowHop: nil)
        let latent = try XCTUnwrap(output.embeddings["latent"])
        XCTAssertEqual([latent.rows, latent.columns], reference.shape)
        XCTAssertEqual(output.windowStarts.count, 333)
        XCTAssertEqual(Array(output.windowStarts[148...151]), [148 * 320, 149 * 320, 47_520, 47_520 + 320])
        let error = maxRelativeDifference(latent.values, reference.floats)
        print("EnCodec 48k stereo, 3 segments: latent max relative difference \(error)")
        XCTAssertLessThan(error, 1e-4)
    }

    func testShortAndInvalidInput() throws {
        let model = try Self.networkModel(.khz24)
        // Shorter than one frame: one frame (the package pads the last stride).
        let wave = try Fixtures.npy("encodec/music_24k.npy").floats
        let one = try model.analyze(samples: Array(wave.prefix(100)), layers: ["latent"], windowHop: nil)
        XCTAssertEqual(one.embeddings["latent"]?.rows, 1)
        XCTAssertTrue(one.embeddings["latent"]!.values.allSatisfy(\.isFinite))
        XCTAssertThrowsError(try model.analyze(samples: wave, layers: ["latent"], windowHop: 160))
        let stereo = try Self.networkModel(.khz48)
        XCTAssertThrowsError(try stereo.analyze(samples: [0.1, 0.2, 0.3], layers: ["latent"], windowHop: nil))
        // A last segment of one sample (47,521 samples: segments of 47,521 and 1): reflect
        // padding on inputs shorter than the padding, as EnCodec's pad1d allows.
        let music = try Fixtures.npy("encodec/music_48k.npy").floats
        let tail = try stereo.analyze(samples: Array(music.prefix(2 * 47_521)), layers: ["latent"], windowHop: nil)
        XCTAssertEqual(tail.windowStarts.count, 149 + 1)
        XCTAssertEqual(tail.windowStarts.last, 47_520)
        XCTAssertTrue(tail.embeddings["latent"]!.values.allSatisfy(\.isFinite))
    }

    /// The official state dicts hold the decoder and the quantiser too: accepted and dropped;
    /// a wrongly shaped encoder tensor is refused.
    func testImportSpecAcceptsTheWholeCodec() throws {
        for (variant, file) in [(EnCodec.Variant.khz24, "encodec/weights_24k.json"), (.khz48, "encodec/weights_48k.json")] {
            let manifest = try Fixtures.json(DeterministicWeights.Manifest.self, file)
            var shapes = Dictionary(uniqueKeysWithValues: manifest.tensors.map { ($0.name, $0.shape) })
            shapes["decoder.model.0.conv.conv.bias"] = [512]
            shapes["quantizer.vq.layers.0._codebook.embed"] = [1024, 128]
            XCTAssertNoThrow(try TorchImporter.validate(shapes: shapes, spec: EnCodec.importSpec(variant), path: "x"))
            shapes["encoder.model.13.lstm.weight_hh_l1"] = [2048, 256]
            XCTAssertThrowsError(try TorchImporter.validate(shapes: shapes, spec: EnCodec.importSpec(variant), path: "x"))
        }
        XCTAssertEqual(EnCodec.Variant.khz24.officialCheckpoint.digest, .sha256Prefix("d7cc33bc"))
        XCTAssertTrue(ModelRegistry.names.contains("encodec-24k") && ModelRegistry.names.contains("encodec-48k"))
    }

    /// The import path on the full codec checkpoint the fixture script saves in /tmp (not
    /// committed): FAD_ENCODEC_TH=/tmp/fad-torch/encodec_24khz-deterministic.th.
    func testImportFullCheckpointWhenAvailable() throws {
        guard let path = ProcessInfo.processInfo.environment["FAD_ENCODEC_TH"] else {
            throw XCTSkip("FAD_ENCODEC_TH not set")
        }
        let directory = try Fixtures.temporaryDirectory("encodec-import")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TorchImporter.importCheckpoint(URL(fileURLWithPath: path), spec: EnCodec.importSpec(.khz24), into: directory)
        XCTAssertEqual(file.lastPathComponent, "encodec-24k.safetensors")
        let model = try EnCodec(contentsOf: file, variant: .khz24)
        let wave = try Fixtures.npy("encodec/music_24k.npy").floats
        let latent = try model.latent(of: wave)
        XCTAssertLessThan(maxRelativeDifference(latent, try Fixtures.npy("encodec/music_24k_latent.npy").floats), 1e-4)
    }
}
