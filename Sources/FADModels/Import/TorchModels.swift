import Foundation
import FADArrays
import FADFeatures
import FADNN

/// The models fad imports from official PyTorch checkpoints: what the CLI's
/// `fad models import NAME FILE` calls, and the registry loaders for them.
public enum TorchModels {
    /// Importable model ids.
    public static var names: [String] { ["vggish"] + ModelRegistry.imports.map(\.name) }

    /// The import spec of a model id, or `.unknownModel`.
    public static func spec(for name: String) throws -> TorchImportSpec {
        switch name {
        case "vggish": return VGGish.importSpec
        default:
            if let found = ModelRegistry.imports.first(where: { $0.name == name }) { return found.spec }
            throw ModelError(path: name, kind: .unknownModel,
                             reason: "cannot import this model; importable: \(names.joined(separator: ", "))")
        }
    }

    /// Where imported weights go: the store's first search path (`$FAD_MODEL_DIR`, else
    /// `$XDG_DATA_HOME/fad/models`, else `$HOME/.local/share/fad/models`).
    public static func importDirectory(_ store: ModelStore = .default) -> URL {
        store.searchPaths[0]
    }

    /// `fad models import NAME FILE`: converts the checkpoint and writes `<dir>/NAME.safetensors`.
    @discardableResult
    public static func importCheckpoint(_ name: String, from checkpoint: URL, store: ModelStore = .default) throws -> URL {
        try TorchImporter.importCheckpoint(checkpoint, spec: try spec(for: name), into: importDirectory(store))
    }

    /// The official download of a model id (file name and URL), for `fad models fetch`.
    public static func download(for name: String) -> (file: String, url: String)? {
        if let found = ModelRegistry.imports.first(where: { $0.name == name }) { return (found.checkpoint.file, found.checkpoint.url) }
        return TorchImporter.officialDownloads.first { $0.model == name }.map { ($0.file, $0.url) }
    }

    /// The imported weights of `name`, or an error that tells the user how to import them.
    static func importedWeights(_ name: String, store: ModelStore) throws -> URL {
        do {
            return try store.url(for: "\(name).safetensors")
        } catch let error as ModelError where error.kind == .weightsNotFound {
            let how = download(for: name).map { "download \($0.file) from \($0.url), then run `fad models import \(name) \($0.file)`" }
                ?? "run `fad models import \(name) FILE`"
            throw ModelError(path: name, kind: .weightsNotFound,
                             reason: "weights not imported: \(how) (looked for \(name).safetensors in \(store.searchPaths.map(\.path).joined(separator: ", ")))")
        }
    }

    /// Registry loaders for the imported models (merge into `ModelRegistry.loaders`).
    public static let loaders: [String: @Sendable (ModelStore) throws -> AudioEmbeddingModel] = [
        "vggish": { try VGGishModel(store: $0) },
        "vggish-google": { try VGGishModel(store: $0, framing: .google) },
    ]

    /// Opens an imported safetensors file, with FADNN's errors as ModelError.
    static func open(_ url: URL) throws -> SafetensorsFile {
        do { return try SafetensorsFile(contentsOf: url) } catch let error as NNError { throw ModelError(error) }
    }

    /// Runs a model constructor, with FADNN's errors (missing tensor, wrong shape) as ModelError.
    static func building<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as NNError { throw ModelError(error) }
    }
}

// MARK: - VGGish as an AudioEmbeddingModel

/// VGGish behind the `AudioEmbeddingModel` protocol: 16 kHz samples -> one 128-d embedding
/// (layer "embedding") per 0.96 s example. The framing is part of the id, so that caches keyed on
/// the descriptor tell them apart: "vggish" (fadtk framing), "vggish-google".
public final class VGGishModel: AudioEmbeddingModel {
    public let descriptor: ModelDescriptor
    public let network: VGGish
    public let framing: VGGish.Framing
    public let frontEnd = LogMelFrontEnd(.vggish)
    /// Examples per forward pass (bounds memory: ~1.6 MB of activations per example).
    public let batchSize = 64

    /// Loads the imported `vggish.safetensors` from the store.
    public convenience init(store: ModelStore = .default, framing: VGGish.Framing = .fadtk) throws {
        let url = try TorchModels.importedWeights("vggish", store: store)
        try self.init(weights: try TorchModels.open(url), weightsDigest: try WeightReader.digest(url), framing: framing)
    }

    public init(weights: WeightSource, weightsDigest: String, framing: VGGish.Framing = .fadtk) throws {
        network = try TorchModels.building { try VGGish(weights: weights) }
        self.framing = framing
        descriptor = ModelDescriptor(
            name: framing == .fadtk ? "vggish" : "vggish-google", sampleRate: VGGish.sampleRate,
            frontEnd: .vggish,
            windowFrames: VGGish.exampleFrames, frameHop: 160,
            layers: [LayerDescriptor(name: "embedding", dimension: VGGish.embeddingSize)],
            defaultLayer: "embedding", labels: [], weightsDigest: weightsDigest)
    }

    /// `windowHop` (frames) replaces the 96-frame example hop of the fadtk framing; the Google
    /// framing has its own fixed 0.5 s hop.
    public func analyze(samples: [Float], layers: Set<String>, windowHop: Int?) throws -> ModelOutput {
        for layer in layers { _ = try descriptor.layer(layer) }
        guard !samples.isEmpty else {
            throw ModelError(path: descriptor.name, kind: .invalidInput, reason: "empty audio (no samples)")
        }
        if let windowHop, windowHop <= 0 {
            throw ModelError(path: descriptor.name, kind: .invalidInput, reason: "window hop \(windowHop) must be positive")
        }
        let (examples, starts) = try VGGish.examples(of: samples, framing: framing, frontEnd: frontEnd,
                                                     hop: windowHop ?? VGGish.exampleFrames)
        let n = starts.count
        var values: [Float] = []
        values.reserveCapacity(n * VGGish.embeddingSize)
        var first = 0
        while first < n {
            let count = min(batchSize, n - first)
            values += network.embed(examples: examples.slice(batch: first, count: count)).values
            first += count
        }
        let embedding = Matrix(rows: n, columns: VGGish.embeddingSize, values: values)
        return ModelOutput(embeddings: layers.contains("embedding") ? ["embedding": embedding] : [:],
                           logits: nil, probabilities: nil, windowStarts: starts)
    }
}
