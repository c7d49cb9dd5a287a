import Foundation

/// Resolves an evaluation's inputs and, only when one of them is audio, loads the model: a run
/// on `.npy` embeddings or saved statistics never touches a model. The ``Evaluator`` and the
/// `fad` commands that embed (`embed`, `stats save`, `classify`) share it.
public struct EvaluationSession {
    /// Resolved inputs, by the path the user gave.
    public let sources: [String: InputSource]
    /// The loaded model and its extractor, when some input is audio.
    public let extractor: EmbeddingExtractor?
    public let layer: String
    public let metadata: StatisticsMetadata
    public let quiet: Bool

    public var model: AudioEmbeddingModel? { extractor?.model }

    /// Each input's part of the partition, when the run is one shard of its sets.
    public let shards: [String: ShardInfo]
    /// What the `.npy` folders written by `fad embed` record about their embedding.
    public let folderProvenance: [String: StatisticsMetadata]

    /// - Parameters:
    ///   - extraLayers: layers needed besides the embedding layer (e.g. logits for KL).
    ///   - shard: keep only this shard of each audio or embedding input.
    public init(inputs: [String], options: EvaluationOptions, extraLayers: [String] = [],
                shard: ShardSelection? = nil) throws {
        var sources: [String: InputSource] = [:]
        var shards: [String: ShardInfo] = [:]
        for input in inputs {
            var source = try InputSource.resolve(input)
            if let shard {
                let cut = try source.sharded(shard, path: input)
                source = cut.source
                shards[input] = cut.info
            }
            sources[input] = source
        }
        self.sources = sources
        self.shards = shards
        var provenance: [String: StatisticsMetadata] = [:]
        for input in inputs {
            if case .embeddings = sources[input], let p = try EmbeddingFolder.provenance(of: input) { provenance[input] = p.metadata }
        }
        self.folderProvenance = provenance
        self.quiet = options.quiet
        let needsModel = sources.values.contains { if case .audio = $0 { return true } else { return false } }
        if needsModel {
            let model = try ModelRegistry.load(options.model)
            let layer = options.layer ?? model.descriptor.defaultLayer
            var layers = [layer]
            for extra in extraLayers where !layers.contains(extra) && !model.descriptor.labels.isEmpty { layers.append(extra) }
            let d = model.descriptor
            let hop = options.hop
                ?? options.hopSeconds.map { max(1, Int(($0 * Double(d.sampleRate) / Double(d.frameHop)).rounded())) }
            let extractor = try EmbeddingExtractor(model: model, layers: layers, windowHop: hop, cache: options.cache,
                                                   threads: options.threads, resampler: options.resampler,
                                                   normalization: options.audioNormalization,
                                                   clipWindowing: options.clipWindowing)
            let recipe = extractor.recipe
            self.extractor = extractor
            self.layer = layer
            self.metadata = StatisticsMetadata(
                model: recipe.model, layer: layer, frontEnd: recipe.frontEnd, files: 0,
                extra: ["weightsDigest": recipe.weightsDigest, "windowHop": String(recipe.windowHop)])
        } else {
            self.extractor = nil
            // The first saved statistics in the order given (the reference, in `fad REF GEN`)
            // label the run; every other input is checked against them.
            let saved = inputs.lazy.compactMap { input -> URL? in
                if case .statistics(let url) = sources[input] { return url } else { return nil }
            }.first
            if let saved {
                self.metadata = try GaussianStatistics.read(from: saved).metadata
                self.layer = metadata.layer
            } else if let recorded = inputs.lazy.compactMap({ provenance[$0] }).first {
                self.metadata = recorded
                self.layer = recorded.layer
            } else {
                self.layer = options.layer ?? "embeddings"
                self.metadata = StatisticsMetadata(model: "embeddings", layer: layer, frontEnd: "precomputed", files: 0)
            }
        }
    }

    /// Analyzes one input (only its shard, in a sharded run), checking that saved statistics
    /// come from the same model, layer, front end, window hop and weights as everything they
    /// are compared with, saved statistics included, and that they cover a whole set.
    public func analyze(_ path: String, request: AnalysisRequest) throws -> AnalyzedSet {
        let analyzer = SetAnalyzer(extractor: extractor, layer: layer, statisticsMetadata: metadata, quiet: quiet)
        let source = try sources[path] ?? InputSource.resolve(path)
        if let recorded = folderProvenance[path], let why = recorded.mismatch(with: metadata) {
            throw FADError(.data, "\(path): embeddings of a different embedding (\(why)): written with \(recorded.summary), this run uses \(metadata.summary)")
        }
        let set = try analyzer.analyze(path, source: source, request: request)
        if case .statistics = source {
            let m = set.statistics.metadata
            if let shard = m.shard {
                throw FADError(.data, "\(path): holds shard \(shard.index)/\(shard.count) of a set, not the whole set; merge every shard first (`fad stats merge part-*.fadstats -o all.fadstats`)")
            }
            if let why = m.mismatch(with: metadata) {
                throw FADError(.data, "\(path): statistics of a different embedding (\(why)): computed with \(m.summary), this run uses \(metadata.summary)")
            }
        }
        return set
    }

    /// Embeds every file of the audio inputs, in order, and hands each file's embeddings to
    /// `each`. A file that cannot be used is reported on stderr and skipped (fatal with
    /// `strict`), as is a file `each` rejects with a ``FileFailure``; the skipped files are
    /// returned. `command` names the command in the error for a non-audio input.
    public func forEachEmbeddedFile(of inputs: [String], command: String, strict: Bool,
                             _ each: (FileEmbeddings) throws -> Void) throws -> [FileFailure] {
        guard let extractor else {
            throw FADError(.usage, "`fad \(command)` takes audio inputs")
        }
        var skipped: [FileFailure] = []
        for input in inputs {
            guard case .audio(let files) = sources[input] else {
                throw FADError(.usage, "\(input): `fad \(command)` takes audio inputs")
            }
            var firstError: Error?
            extractor.run(files, progress: ProgressReporter(label: input, total: files.count, quiet: quiet)) { _, result in
                guard firstError == nil else { return }
                do {
                    try each(try result.get())
                } catch let failure as FileFailure where !strict {
                    if !quiet { FileHandle.standardError.write(Data("fad: skipping \(failure)\n".utf8)) }
                    skipped.append(failure)
                } catch { firstError = error }
            }
            if let firstError { throw firstError }
        }
        return skipped
    }

    /// The model description for reports.
    public var modelInfo: ModelInfo {
        ModelInfo(name: metadata.model, layer: layer, windowHop: metadata.extra["windowHop"].flatMap(Int.init),
                  weightsDigest: metadata.extra["weightsDigest"])
    }
}

extension SetInfo {
    /// What the report says about an analysed set.
    public init(_ set: AnalyzedSet) {
        self.init(path: set.path, files: set.statistics.metadata.files, frames: set.frameCount, cachedFiles: set.cachedFiles,
                  failures: set.failures.map { FailureInfo(path: $0.path, reason: $0.reason) })
    }
}
