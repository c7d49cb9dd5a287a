import FADArrays
import FADNN
import FADStats
import Foundation

/// What the metrics need from one input set, gathered in one pass over its files.
public struct AnalyzedSet: Sendable {
    /// The path the user gave.
    public let path: String
    /// Frame statistics of the embedding layer (loaded as is for a statistics file).
    public var statistics: GaussianStatistics
    /// Files that contributed, in order (empty for a statistics file).
    public var keys: [String] = []
    /// Each file's embedding frames, kept only when a metric needs them (FAD-inf, per-song,
    /// KID, bootstrap); FAD alone keeps nothing per file, so memory does not grow with the set.
    public var fileFrames: [(key: String, frames: Matrix<Float>)] = []
    /// Each file's clip-level classifier logits (the mean of its window logits), when asked for.
    public var clipLogits: [String: [Float]] = [:]
    /// Per file, the classifier's logits of every window `[windows][labels]`, beside
    /// `clipLogits` (for KL conventions that pair windows, as audiocraft's does).
    public var windowLogits: [String: [[Float]]] = [:]
    /// Each file's clip-level label probabilities, when the extractor computes them.
    public var clipProbabilities: [String: [Float]] = [:]
    /// Files that could not be used, with the reason.
    public var failures: [FileFailure] = []
    /// Files whose embeddings all came from the cache.
    public var cachedFiles: Int = 0

    /// Number of embedding frames.
    public var frameCount: Int { statistics.count }

    /// All kept frames of all files, stacked in file order.
    public var allFrames: Matrix<Float> {
        var all = Matrix<Float>(rows: 0, columns: statistics.dimension)
        for (_, frames) in fileFrames { all.appendRows(of: frames) }
        return all
    }
}

/// What to gather about a set beyond its statistics.
public struct AnalysisRequest: Sendable {
    public var keepFrames: Bool
    public var clipLogits: Bool
    public var strict: Bool
    public init(keepFrames: Bool = false, clipLogits: Bool = false, strict: Bool = false) {
        self.keepFrames = keepFrames; self.clipLogits = clipLogits; self.strict = strict
    }
}

/// Builds ``AnalyzedSet``s from inputs: embeds audio sets with the extractor, reads `.npy`
/// embedding sets, loads saved statistics.
public struct SetAnalyzer: Sendable {
    public let extractor: EmbeddingExtractor?
    public let layer: String
    public let statisticsMetadata: StatisticsMetadata
    public let quiet: Bool

    public init(extractor: EmbeddingExtractor?, layer: String, statisticsMetadata: StatisticsMetadata, quiet: Bool) {
        // OpenBLAS's own threads change the rounding of the covariance and FD computations;
        // keep them serial whether or not a model runs in this process.
        BLAS.makeSerial()
        self.extractor = extractor
        self.layer = layer
        self.statisticsMetadata = statisticsMetadata
        self.quiet = quiet
    }

    public func analyze(_ path: String, request: AnalysisRequest) throws -> AnalyzedSet {
        try analyze(path, source: InputSource.resolve(path), request: request)
    }

    /// Analyzes an input resolved already (e.g. cut down to one shard); `path` names it.
    public func analyze(_ path: String, source: InputSource, request: AnalysisRequest) throws -> AnalyzedSet {
        switch source {
        case .statistics(let url):
            if request.keepFrames || request.clipLogits {
                throw PipelineError.inputUnreadable(path: path, reason: "saved statistics hold no per-file frames or labels; this metric needs the audio or its embeddings")
            }
            return AnalyzedSet(path: path, statistics: try GaussianStatistics.read(from: url))
        case .embeddings(let files):
            if request.clipLogits {
                throw PipelineError.inputUnreadable(path: path, reason: "an embedding folder holds no classifier outputs; this metric needs the audio")
            }
            return try gather(path: path, files: files, request: request) { deliver in
                for (i, file) in files.enumerated() {
                    deliver(i, Result {
                        let matrix = try NPYArray.read(contentsOf: file.url).matrix(of: Float.self)
                        try Self.checkEmbeddings(matrix, path: file.url.path)
                        return FileEmbeddings(file: file, layers: [layer: matrix], fromCache: true)
                    }.mapError { FileFailure(describing: $0, path: file.url.path) as Error })
                }
            }
        case .audio(let files):
            guard let extractor else {
                throw PipelineError.inputUnreadable(path: path, reason: "audio input needs a model")
            }
            let progress = ProgressReporter(label: path, total: files.count, quiet: quiet)
            return try gather(path: path, files: files, request: request) { deliver in
                extractor.run(files, progress: progress, deliver: deliver)
            }
        }
    }

    /// Embeddings from outside must have a width (a zero-column matrix would reach BLAS, which
    /// reports such calls on stdout) and finite values (one NaN would make every statistic NaN).
    static func checkEmbeddings(_ matrix: Matrix<Float>, path: String) throws {
        guard matrix.columns > 0 else {
            throw FileFailure(path: path, reason: "embeddings of dimension 0 (shape [\(matrix.rows), 0])")
        }
        guard matrix.values.allSatisfy(\.isFinite) else {
            throw FileFailure(path: path, reason: "embeddings hold NaN or infinity")
        }
    }

    private func gather(path: String, files: [InputFile], request: AnalysisRequest,
                        produce: ((Int, Result<FileEmbeddings, Error>) -> Void) -> Void) throws -> AnalyzedSet {
        var running: RunningStatistics?
        // The fadtk preset's statistics: per-file float16 means merged as fadtk merges them.
        let fadtkFileMerge = extractor?.clipWindowing?.float16Embeddings == true
        var kept: [(key: String, frames: Matrix<Float>)] = []
        var logits: [String: [Float]] = [:]
        var windowLogits: [String: [[Float]]] = [:]
        var probabilities: [String: [Float]] = [:]
        var keys: [String] = []
        var failures: [FileFailure] = []
        var cached = 0
        var firstError: Error?
        produce { _, result in
            guard firstError == nil else { return }
            switch result {
            case .failure(let error):
                guard let failure = error as? FileFailure, !request.strict else { firstError = error; return }
                if !quiet { FileHandle.standardError.write(Data("fad: skipping \(failure)\n".utf8)) }
                failures.append(failure)
            case .success(let embedded):
                guard let frames = embedded.layers[layer] else { return }
                do { try Self.checkEmbeddings(frames, path: embedded.file.url.path) } catch let failure as FileFailure {
                    if request.strict { firstError = failure; return }
                    if !quiet { FileHandle.standardError.write(Data("fad: skipping \(failure)\n".utf8)) }
                    failures.append(failure)
                    return
                } catch { firstError = error; return }
                if running == nil { running = RunningStatistics(dimension: frames.columns) }
                guard frames.columns == running!.dimension else {
                    firstError = PipelineError.dimensionMismatch(path: embedded.file.url.path, expected: running!.dimension, found: frames.columns)
                    return
                }
                guard frames.rows > 0 else {
                    failures.append(FileFailure(path: embedded.file.url.path, reason: "no embedding frames"))
                    return
                }
                if fadtkFileMerge {
                    running!.addFile(frames, meanRoundedToFloat16: true)
                } else {
                    running!.add(frames)
                }
                keys.append(embedded.file.key)
                if embedded.fromCache { cached += 1 }
                if request.keepFrames { kept.append((embedded.file.key, frames)) }
                if request.clipLogits, let l = embedded.layers[ClassifierLayers.logitsLayer] {
                    logits[embedded.file.key] = ClassifierLayers.clipLogits(l)
                    windowLogits[embedded.file.key] = (0..<l.rows).map { r in (0..<l.columns).map { l[r, $0] } }
                }
                if let p = embedded.layers[ClassifierLayers.probabilitiesLayer] {
                    probabilities[embedded.file.key] = ClassifierLayers.clipProbabilities(p)
                }
            }
        }
        if let firstError { throw firstError }
        guard let running, running.count > 0 else { throw PipelineError.noUsableFiles(path: path, failed: failures.count) }
        var metadata = statisticsMetadata
        metadata.files = keys.count
        var set = AnalyzedSet(path: path, statistics: try running.finalized(metadata: metadata))
        set.keys = keys
        set.fileFrames = kept
        set.clipLogits = logits
        set.windowLogits = windowLogits
        set.clipProbabilities = probabilities
        set.failures = failures
        set.cachedFiles = cached
        return set
    }
}

