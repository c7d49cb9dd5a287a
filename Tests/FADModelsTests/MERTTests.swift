import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import FADNN
@testable import FADModels
import _FADTestSupport

/// MERT-v1-95M and MERT-v1-330M against m-a-p's own `MERTModel` (modeling_MERT.py on
/// transformers 4.46.3's HuBERT), run in float64 with the same deterministic full-size weights
/// in the official layout on 3 s of real music (Tests/Fixtures/scripts/mert_fixtures.py).
///
/// Tolerance: 1e-4 of the reference's largest value in each hidden state. fad runs in float32:
/// seven convolutions (dot products of up to 1,536 terms), a 6,144-term positional convolution,
/// then per layer GEMMs of 768-4,096 terms, a softmax over 224 keys and LayerNorms, compounding
/// over 12 or 24 layers; measured errors are printed (they stay well inside).
final class MERTTests: XCTestCase {
    static func manifest(_ size: MERT.Size) -> String { size == .base ? "mert/weights_95m.json" : "mert/weights_330m.json" }

    nonisolated(unsafe) static var prepared: [MERT.Size: InMemoryWeights] = [:]

    /// The imported weights; the 330M's (1.3 GB) are not kept between tests.
    static func weights(_ size: MERT.Size) throws -> InMemoryWeights {
        if let cached = prepared[size] { return cached }
        let path = manifest(size)
        let state = try DeterministicWeights.stateDict(manifest: path)
        DeterministicWeights.cache[path] = nil
        let weights = InMemoryWeights(try TorchImporter.prepare(stateDict: state, spec: MERT.importSpec(size), path: "deterministic"))
        if size == .base { prepared[size] = weights }
        return weights
    }

    static func networkModel(_ id: String) throws -> NetworkModel<MERT> {
        let spec = try XCTUnwrap(MERT.specs.first { $0.id == id })
        let size: MERT.Size = id.hasPrefix("mert-v1-95m") ? .base : .large
        return try NetworkModel<MERT>(spec: spec, weights: ModelWeights(try weights(size), path: "deterministic", digest: "test"), labels: [])
    }

    /// The frames the fixture keeps: every 16th and the last.
    static func fixtureFrames(_ frames: Int) -> [Int] { Array(stride(from: 0, to: frames, by: 16)) + [frames - 1] }

    func checkEveryLayer(_ size: MERT.Size, chunkFrames: Int) throws {
        let wave = try Fixtures.npy("mert/music.npy").floats
        let reference = try Fixtures.npy(size == .base ? "mert/music_95m_hidden.npy" : "mert/music_330m_hidden.npy")
        var network = try MERT(weights: try Self.weights(size), size: size)
        network.chunkFrames = chunkFrames
        let frames = MERT.frames(samples: wave.count)
        XCTAssertGreaterThan(frames, 0)
        let kept = Self.fixtureFrames(frames)
        XCTAssertEqual(reference.shape, [size.layers + 1, kept.count, size.hidden])
        let states = network.hiddenStates(wave[...], wanted: Set(0...size.layers))
        let d = size.hidden, block = kept.count * d
        var worst = 0.0
        for layer in 0...size.layers {
            let h = try XCTUnwrap(states[layer])
            XCTAssertEqual(h.shape, [frames, d])
            let ours = kept.flatMap { h.values[($0 * d) ..< (($0 + 1) * d)] }
            let error = maxRelativeDifference(ours, reference.floats[(layer * block) ..< ((layer + 1) * block)])
            worst = max(worst, error)
            XCTAssertLessThan(error, 1e-4, "\(size.rawValue) hidden_states[\(layer)]")
        }
        print("MERT \(size.rawValue), chunks of \(chunkFrames) frames: worst layer max relative difference \(worst)")
        if size == .base {
            let last = try Fixtures.npy("mert/music_95m_last.npy")
            let error = maxRelativeDifference(states[12]!.values, last.floats)
            print("MERT 95M hidden_states[12], all 224 frames: max relative difference \(error)")
            XCTAssertLessThan(error, 1e-4)
        }
    }

    /// Every hidden state 0...12, with the conv stack streamed in chunks of 64 frames (4
    /// chunks; the runner test covers the default, one chunk here).
    func testBaseEveryLayerMatchesReference() throws {
        try checkEveryLayer(.base, chunkFrames: 64)
    }

    /// Every hidden state 0...24 of the pre-LN 330M (the last through the final LayerNorm).
    func testLargeEveryLayerMatchesReference() throws {
        try checkEveryLayer(.large, chunkFrames: 100)
    }

    /// Through the registry's runner: one row per frame at 320-sample starts, only the asked
    /// layers; kadtk's 1 s blocks (for the committed clip: int(224 / (72,077 / 24,000)) = 74
    /// frames, 3 rows), each the mean of the reference's frames.
    func testRunnerRowsAndKadtkBlocks() throws {
        let wave = try Fixtures.npy("mert/music.npy").floats
        let last = try Fixtures.npy("mert/music_95m_last.npy").floats
        let frames = MERT.frames(samples: wave.count)
        XCTAssertEqual(last.count, frames * 768)
        let model = try Self.networkModel("mert-v1-95m")
        let output = try model.analyze(samples: wave, layers: ["12", "3"], windowHop: nil)
        XCTAssertEqual(output.windowStarts, (0..<frames).map { $0 * 320 })
        XCTAssertEqual(output.embeddings["12"]?.rows, frames)
        XCTAssertEqual(output.embeddings["3"]?.rows, frames)
        XCTAssertLessThan(maxRelativeDifference(output.embeddings["12"]!.values, last), 1e-4)
        XCTAssertThrowsError(try model.analyze(samples: wave, layers: ["13"], windowHop: nil))
        XCTAssertThrowsError(try model.analyze(samples: wave, layers: ["12"], windowHop: 160))

        XCTAssertEqual(MERT.blockFrames(samples: 72_077, frames: 224), 74)
        XCTAssertEqual(MERT.blockFrames(samples: 240_000, frames: 749), 74)
        let block = MERT.blockFrames(samples: wave.count, frames: frames), blocks = frames / block
        let pooled = try Self.networkModel("mert-v1-95m-kadtk").analyze(samples: wave, layers: ["12"], windowHop: nil)
        let rows = try XCTUnwrap(pooled.embeddings["12"])
        XCTAssertEqual(rows.rows, blocks)
        XCTAssertEqual(pooled.windowStarts, (0..<blocks).map { $0 * block * 320 })
        var expected = [Double](repeating: 0, count: blocks * 768)
        for r in 0..<blocks {
            for f in (r * block) ..< ((r + 1) * block) { for j in 0..<768 { expected[r * 768 + j] += Double(last[f * 768 + j]) / Double(block) } }
        }
        let error = maxRelativeDifference(rows.values, expected)
        print("MERT 95M kadtk 1 s blocks: max relative difference \(error)")
        XCTAssertLessThan(error, 1e-4)
    }

    /// Files are cut at the limit (fadtk's 6 minutes; 1 s here): the first second alone, and a
    /// clip shorter than one frame is refused with a reason.
    func testLimitAndShortInput() throws {
        let wave = try Fixtures.npy("mert/music.npy").floats
        let model = try Self.networkModel("mert-v1-95m")
        var network = model.network
        network.limitSamples = 24_000
        let windows = try network.windows(of: wave, spec: model.spec, frontEnd: nil, hop: nil)
        let frames = MERT.frames(samples: 24_000)
        XCTAssertEqual(windows.starts.count, frames)
        let cut = try XCTUnwrap(windows.outputs?(0 ..< frames, ["2"]).layers["2"])
        let first = try model.analyze(samples: Array(wave.prefix(24_000)), layers: ["2"], windowHop: nil)
        XCTAssertEqual(cut.values, first.embeddings["2"]?.values)
        XCTAssertEqual(MERT.defaultLimitSamples, 8_640_000)
        XCTAssertEqual(MERT.frames(samples: 399), 0)
        XCTAssertEqual(MERT.frames(samples: 400), 1)
        XCTAssertThrowsError(try model.analyze(samples: Array(wave.prefix(399)), layers: ["2"], windowHop: nil)) { error in
            XCTAssertTrue("\(error)".contains("shorter than one MERT frame"), "\(error)")
        }
        let one = try model.analyze(samples: Array(wave.prefix(400)), layers: ["0", "12"], windowHop: nil)
        XCTAssertEqual(one.embeddings["12"]?.rows, 1)
        XCTAssertTrue(one.embeddings["12"]!.values.allSatisfy(\.isFinite))
    }

    /// Peak memory does not grow with the file past the limit (2 s here): a 20-minute file
    /// costs what a 10 s one does, beyond its own samples (allocated before the measurement).
    /// Linux only (the kernel's peak-RSS mark, reset through /proc/self/clear_refs).
    func testPeakMemoryIsFlatPastTheLimit() throws {
        #if !canImport(Glibc)
        throw XCTSkip("Linux only")
        #else
        func status(_ key: String) -> Double? {
            guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
                  let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
            return kib / 1024
        }
        let model = try Self.networkModel("mert-v1-95m")
        var network = model.network
        network.limitSamples = 48_000
        func peakIncrease(_ samples: [Float]) throws -> Double {
            // Freed heap pages go back to the kernel first, or reusing them would not show.
            if let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") {
                _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
            }
            guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { throw XCTSkip("no /proc/self/clear_refs") }
            handle.write(Data("5".utf8)); try handle.close()
            let before = try XCTUnwrap(status("VmRSS:"))
            let windows = try network.windows(of: samples, spec: model.spec, frontEnd: nil, hop: nil)
            let rows = try XCTUnwrap(windows.outputs?(0 ..< windows.starts.count, ["12"]).layers["12"])
            XCTAssertEqual(rows.shape, [MERT.frames(samples: 48_000), 768])
            return try XCTUnwrap(status("VmHWM:")) - before
        }
        let short = (0..<(10 * 24_000)).map { Float(sin(Double($0) * 0.031)) * 0.3 }
        let long = (0..<(20 * 60 * 24_000)).map { Float(sin(Double($0) * 0.031)) * 0.3 }
        _ = try peakIncrease(short)  // warm-up: first-use allocations
        let a = try peakIncrease(short), b = try peakIncrease(long)
        print(String(format: "MERT peak RSS increase, 2 s limit: %.1f MiB for a 10 s file, %.1f MiB for a 20-minute one", a, b))
        XCTAssertGreaterThan(a, 1, "the measurement sees the activations")
        XCTAssertLessThan(b - a, 16)
        #endif
    }

    /// The official layout: `masked_spec_embed` is dropped, anything else unknown or misshaped
    /// is refused; both sizes are registered with their layers.
    func testImportSpec() throws {
        for size in MERT.Size.allCases {
            let manifest = try Fixtures.json(DeterministicWeights.Manifest.self, Self.manifest(size))
            var shapes = Dictionary(uniqueKeysWithValues: manifest.tensors.map { ($0.name, $0.shape) })
            XCTAssertNotNil(shapes["masked_spec_embed"])
            XCTAssertNoThrow(try TorchImporter.validate(shapes: shapes, spec: MERT.importSpec(size), path: "x"))
            var extra = shapes
            extra["encoder.layers.0.attention.relax"] = [1]
            XCTAssertThrowsError(try TorchImporter.validate(shapes: extra, spec: MERT.importSpec(size), path: "x"))
            shapes["encoder.layers.3.feed_forward.output_dense.weight"] = [size.hidden, size.hidden]
            XCTAssertThrowsError(try TorchImporter.validate(shapes: shapes, spec: MERT.importSpec(size), path: "x"))
            let spec = try ModelRegistry.spec(size.rawValue)
            XCTAssertEqual(spec.layers.map(\.name), (0...size.layers).map(String.init))
            XCTAssertEqual(spec.defaultLayer, String(size.layers))
            XCTAssertEqual(try ModelRegistry.spec(size.rawValue + "-kadtk").weightsFile, "\(size.rawValue).safetensors")
        }
        XCTAssertEqual(ModelRegistry.imports.filter { $0.name.hasPrefix("mert") }.map(\.name).sorted(), ["mert-v1-330m", "mert-v1-95m"])
    }

    /// The import path on the full state dict the fixture script saves in /tmp (not committed):
    /// FAD_MERT_BIN=/tmp/fad-torch/mert-v1-95m-deterministic.bin.
    func testImportFullCheckpointWhenAvailable() throws {
        guard let path = ProcessInfo.processInfo.environment["FAD_MERT_BIN"] else {
            throw XCTSkip("FAD_MERT_BIN not set")
        }
        let directory = try Fixtures.temporaryDirectory("mert-import")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TorchImporter.importCheckpoint(URL(fileURLWithPath: path), spec: MERT.importSpec(.base), into: directory)
        XCTAssertEqual(file.lastPathComponent, "mert-v1-95m.safetensors")
        let model = try MERT(contentsOf: file, size: .base)
        let wave = try Fixtures.npy("mert/music.npy").floats
        let states = model.hiddenStates(wave[...], wanted: [12])
        XCTAssertLessThan(maxRelativeDifference(states[12]!.values, try Fixtures.npy("mert/music_95m_last.npy").floats), 1e-4)
    }
}
