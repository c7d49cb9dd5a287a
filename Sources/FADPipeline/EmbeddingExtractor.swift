import FADArrays
import FADAudio
import FADFeatures
import FADModels
import Foundation

/// One file's embeddings: a `[windows, dim]` matrix for each requested layer.
public struct FileEmbeddings: Sendable {
    public let file: InputFile
    public let layers: [String: Matrix<Float>]
    /// True when every layer came from the cache (no decoding, no model work).
    public let fromCache: Bool
}

/// Turns audio files into embeddings with one model: decode -> resample -> front end -> CNN,
/// consulting the content-addressed cache first, delivering results in file order.
///
/// `threads` is the one thread setting of a run: that many files are in flight at once, each on
/// its own worker from decoding to the last layer with FADNN's kernels on one thread, so one
/// file's decoding and front end overlap with the others' inference (see `orderedParallelMap`;
/// the last files of a set share the idle workers' kernel threads). OpenBLAS itself stays serial
/// (`BLAS`). The embeddings are bit-identical for any `threads`.
public final class EmbeddingExtractor: Sendable {
    public let model: AudioEmbeddingModel
    public let layers: [String]
    public let windowHop: Int?
    public let cache: EmbeddingCache?
    public let threads: Int
    /// Applied to each file's samples before the model (part of the recipe).
    public let normalization: AudioNormalization
    /// A toolkit's own cutting of clips into windows, instead of the model's (`windowHop` is
    /// then unused).
    public let clipWindowing: ClipWindowing?
    private let loader: AudioLoader

    public init(model: AudioEmbeddingModel, layers: [String], windowHop: Int? = nil, cache: EmbeddingCache?,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                resampler: ResamplerQuality = .kaiserPolyphase, normalization: AudioNormalization = .none,
                clipWindowing: ClipWindowing? = nil) throws {
        for layer in layers where !(ClassifierLayers.layers.contains(layer) && !model.descriptor.labels.isEmpty) {
            _ = try model.descriptor.layer(layer)
        }
        if clipWindowing != nil && model.descriptor.channels != 1 {
            // The toolkits' windows are cut from mono samples; interleaved channels would be cut apart.
            throw ModelError(path: model.descriptor.name, kind: .invalidInput,
                             reason: "a toolkit preset's windows need a mono model; this one reads \(model.descriptor.channels) channels")
        }
        self.model = model
        self.layers = layers
        self.windowHop = windowHop
        self.cache = cache
        self.threads = max(1, threads)
        self.normalization = normalization
        self.clipWindowing = clipWindowing
        // Stereo models (encodec-48k) read two channels; every other model the channel mean.
        self.loader = AudioLoader(targetSampleRate: model.descriptor.sampleRate, quality: resampler,
                                  channels: model.descriptor.channels == 2 ? 2 : 1)
    }

    /// What, besides a file's content, determines its embeddings (the cache key's other half).
    public var recipe: EmbeddingCache.Recipe {
        let d = model.descriptor
        return EmbeddingCache.Recipe(model: d.name, weightsDigest: d.weightsDigest,
                                     frontEnd: d.processingDescription + (normalization == .none ? "" : "; audio \(normalization)")
                                         + (clipWindowing.map { "; windows \($0)" } ?? ""), windowHop: windowHop ?? d.windowFrames)
    }

    /// Embeds `files`, calling `deliver` once per file in file order with the embeddings, or a
    /// ``FileFailure`` saying why that file could not be used, or another error when the run
    /// itself cannot go on (a model that cannot run, a cache that cannot be written).
    public func run(_ files: [InputFile], progress: ProgressReporter? = nil,
                    deliver: (Int, Result<FileEmbeddings, Error>) -> Void) {
        let recipe = self.recipe
        orderedParallelMap(count: files.count, threads: threads, work: { index in
            defer { progress?.advance() }
            return Result { try self.embed(files[index], recipe: recipe) }
                .mapError { Self.isAboutTheRun($0) ? $0 : FileFailure(describing: $0, path: files[index].url.path) }
        }, deliver: deliver)
    }

    /// Errors that would repeat for every file: stop instead of skipping files one by one.
    static func isAboutTheRun(_ error: Error) -> Bool {
        if let e = error as? ModelError { return e.kind != .invalidInput }
        if case PipelineError.cacheUnwritable = error { return true }
        return false
    }

    /// The width of a layer's rows (a classifier pseudo-layer has one column per label).
    private func dimension(of layer: String) -> Int? {
        let d = model.descriptor
        if ClassifierLayers.layers.contains(layer) && !d.labels.isEmpty { return d.labels.count }
        return try? d.layer(layer).dimension
    }

    private func embed(_ file: InputFile, recipe: EmbeddingCache.Recipe) throws -> FileEmbeddings {
        // The digest only keys the cache: without one, hashing the file would be wasted CPU
        // (SHA-256 of a 10 s 44.1 kHz stereo WAV: 1.3 ms, ~1.3 % of musicnn's time on it).
        let digest = try cache.map { _ in try contentDigest(of: file.url) }
        if let cache, let digest {
            var cached: [String: Matrix<Float>] = [:]
            for layer in layers {
                // An entry of another width than the layer's is damaged or planted: a miss.
                guard let m = cache.load(contentDigest: digest, recipe: recipe, layer: layer),
                      m.columns == dimension(of: layer) else { break }
                cached[layer] = m
            }
            if cached.count == layers.count { return FileEmbeddings(file: file, layers: cached, fromCache: true) }
        }
        let decoded = try loader.load(file.url)
        // Finite samples can still sum past Float's range when channels are mixed down.
        guard allFinite(decoded) else {
            throw FileFailure(path: file.url.path, reason: "decoded audio holds NaN or infinity (samples beyond the float range?)")
        }
        let samples = normalization.apply(decoded)
        // Every layer comes out of the same forward pass, so all of them are cached: switching
        // layer later (or running the tag metrics) is a cache hit, not another model run.
        let d = model.descriptor
        let allLayers = Set(d.layers.map(\.name))
        let output = try clipWindowing.map { try $0.analyze(samples, model: model, layers: allLayers) }
            ?? model.analyze(samples: samples, layers: allLayers, windowHop: windowHop)
        var computed = output.embeddings
        if !d.labels.isEmpty {
            computed[ClassifierLayers.logitsLayer] = output.logits
            computed[ClassifierLayers.probabilitiesLayer] = output.probabilities
        }
        // NaN or infinity here (a front end overflowed by huge samples, say) would turn the
        // whole set's statistics into NaN: blamed on this file, which is skipped, and never cached.
        for (layer, matrix) in computed where !matrix.values.allSatisfy(\.isFinite) {
            throw FileFailure(path: file.url.path, reason: "the model's \(layer) output holds NaN or infinity (audio too loud or damaged for the front end?)")
        }
        var result: [String: Matrix<Float>] = [:]
        for layer in layers {
            guard let matrix = computed[layer] else {
                throw FileFailure(path: file.url.path, reason: "model produced no output for layer \(layer)")
            }
            result[layer] = matrix
        }
        if let cache, let digest {
            for (layer, matrix) in computed.sorted(by: { $0.key < $1.key }) {
                try cache.store(matrix, contentDigest: digest, recipe: recipe, layer: layer)
            }
        }
        return FileEmbeddings(file: file, layers: result, fromCache: false)
    }
}

extension FileFailure {
    /// Wraps any error about one file, without repeating the path when the error already starts
    /// with it (the stage errors all read "PATH: reason").
    public init(describing error: Error, path: String) {
        if let failure = error as? FileFailure { self = failure; return }
        var reason = String(describing: error)
        if reason.hasPrefix(path + ": ") { reason.removeFirst(path.count + 2) }
        self.init(path: path, reason: reason)
    }
}
