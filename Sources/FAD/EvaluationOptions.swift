import Foundation

/// A metric the ``Evaluator`` can report (the names of `fad --metrics`).
public enum EvaluationMetric: String, CaseIterable, Codable, Sendable {
    case fad
    case fadInf = "fad-inf"
    case kld
    case `is`
    case kid
    case kad
    case kadInf = "kad-inf"
    case mad
    case prdc

    /// Metrics computed from the kept frames of BOTH sets.
    public static let needingReferenceFrames: Set<EvaluationMetric> = [.kid, .kad, .kadInf, .mad, .prdc]
}

/// Everything that decides an evaluation: the embedding (model, layer, windows, resampler,
/// audio normalisation), how the run uses the machine, and the metrics with their settings.
/// The defaults are `fad REF GEN`'s.
public struct EvaluationOptions: Sendable {
    // MARK: Embedding
    /// Model id (see `ModelRegistry.names`).
    public var model: String = ModelCatalog.defaultModel
    /// Embedding layer; nil: the model's FAD layer.
    public var layer: String?
    /// Hop between analysis windows in input steps (front-end frames, or samples); nil: the
    /// model's own, or `hopSeconds`.
    public var hop: Int?
    /// Hop between analysis windows in seconds, converted with the model's sample rate and
    /// frame hop (used when `hop` is nil; toolkit presets set it).
    public var hopSeconds: Double?
    public var resampler: ResamplerQuality = .kaiserPolyphase
    /// A toolkit's own cutting of clips into windows (replaces the model's windows and hop).
    public var clipWindowing: ClipWindowing?
    /// What is done to each file's samples before the model.
    public var audioNormalization: AudioNormalization = .none

    // MARK: Run
    /// Files in flight at once (results do not depend on it).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Embedding cache; nil: none.
    public var cache: EmbeddingCache? = EmbeddingCache(directory: EmbeddingCache.defaultDirectory)
    /// Stop at the first unreadable file instead of skipping it.
    public var strict = false
    /// No progress or warnings on stderr.
    public var quiet = true

    // MARK: Metrics
    /// The metrics to compute; nil: FAD, FAD-inf, and KL when the sets are paired (at least
    /// 99 % of generated files have a reference file of the same key).
    public var metrics: Set<EvaluationMetric>?
    public var fadInfSampling: FADInfinitySampling = .withoutReplacement
    /// Seed of every random draw.
    public var seed: UInt64 = 0
    /// Bootstrap resamples of files for a 95 % interval of FAD (0: none).
    public var bootstrap = 0
    public var klPreset: KLPreset = .default
    public var kadBandwidth: KADBandwidth = .reference
    /// Arithmetic of KAD's inner products (float32 SGEMM or float64 DGEMM).
    public var kadPrecision: KADPrecision = .standard
    /// k of the k-NN manifolds of PRDC and per-song k-NN distances.
    public var prdcK = 5
    /// How each file's frames become one vector for MAD and PRDC.
    public var madPooling: EmbeddingPooling = .max
    /// The toolkit preset these options came from, recorded in the report.
    public var preset: ToolkitPreset?

    public init() {}

    /// Checks values that would otherwise fail deep inside a metric.
    public func validate() throws {
        if threads < 1 { throw FADError(.usage, "threads must be at least 1") }
        if let hop, hop < 1 { throw FADError(.usage, "the window hop must be at least 1") }
        if let hopSeconds, !(hopSeconds > 0 && hopSeconds.isFinite) { throw FADError(.usage, "the window hop must be a positive number of seconds") }
        if bootstrap < 0 { throw FADError(.usage, "bootstrap resamples must not be negative") }
        if prdcK < 1 { throw FADError(.usage, "k must be at least 1") }
    }
}
