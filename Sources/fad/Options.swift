import ArgumentParser
import FAD
import Foundation

/// Which model and which of its layers produce the embeddings.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Model (see `fad models list`; default: \(ModelCatalog.defaultModel), or the preset's).", valueName: "name"))
    var model: String?

    /// The model to use when no preset chooses one.
    var modelName: String { model ?? ModelCatalog.defaultModel }

    @Option(help: ArgumentHelp("Embedding layer (default: the model's FAD layer).", valueName: "layer"))
    var layer: String?

    @Option(help: ArgumentHelp("Hop between analysis windows, in front-end frames (default: the model's own).", valueName: "frames"))
    var hop: Int?

    @Option(help: ArgumentHelp("Resampler: kaiserPolyphase (100 dB Kaiser-windowed sinc, ~50x faster than libsamplerate's best), bestSinc, mediumSinc, fastestSinc (libsamplerate), zeroOrderHold, linear.", valueName: "quality"))
    var resampler: ResamplerQuality = .kaiserPolyphase

    func validate() throws {
        if let model, !ModelRegistry.names.contains(model) {
            throw ValidationError("unknown model '\(model)'; available: \(ModelRegistry.names.joined(separator: ", "))")
        }
        if let hop, hop < 1 { throw ValidationError("--hop must be at least 1") }
    }
}

extension ResamplerQuality: ExpressibleByArgument {}

/// How a run uses the machine and reports trouble.
struct RunOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Worker threads (results do not depend on it).", valueName: "n"))
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Embedding cache folder (default: $FAD_CACHE_DIR, $XDG_CACHE_HOME/fad or ~/.cache/fad).", valueName: "dir"))
    var cacheDir: String?

    @Flag(help: "Do not read or write the embedding cache.")
    var noCache = false

    @Flag(help: "Stop at the first unreadable file instead of skipping it.")
    var strict = false

    @Flag(name: .shortAndLong, help: "No progress or warnings on stderr.")
    var quiet = false

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    var cache: EmbeddingCache? {
        noCache ? nil : EmbeddingCache(directory: cacheDir.map { URL(fileURLWithPath: $0) } ?? EmbeddingCache.defaultDirectory)
    }
}

extension EvaluationOptions {
    /// The library's options from the command line's embedding and run options.
    init(_ model: ModelOptions, _ run: RunOptions) {
        self.init()
        self.model = model.modelName
        layer = model.layer
        hop = model.hop
        resampler = model.resampler
        threads = run.threads
        cache = run.cache
        strict = run.strict
        quiet = run.quiet
    }

    /// KAD, MAD and PRDC settings from `BeyondFADOptions`.
    mutating func apply(_ beyond: BeyondFADOptions) {
        kadBandwidth = beyond.kadBandwidth
        kadPrecision = beyond.kadPrecision
        prdcK = beyond.prdcK
        madPooling = beyond.madPooling
    }
}

/// Settings of KAD, MAD and precision/recall/density/coverage, shared by `score` and `per-song`.
struct BeyondFADOptions: ParsableArguments {
    @Option(help: ArgumentHelp("KAD kernel bandwidth: reference (median pairwise distance of the reference set, the same kernel for every generated set), generated (kadtk's code: the scored set's median) or a number.", valueName: "reference|generated|VALUE"))
    var kadBandwidth: KADBandwidth = .reference

    @Option(help: ArgumentHelp("Arithmetic of KAD's inner products and exponentials: float64 (DGEMM, the default; kadtk's formula in float64 to ~1e-12) or float32 (SGEMM, about 1.9x faster; measured under 1e-6 relative from float64, far below KAD's sampling spread).", valueName: "float32|float64"))
    var kadPrecision: KADPrecision = .standard

    @Option(help: ArgumentHelp("k of the k-nearest-neighbour manifolds of precision/recall/density/coverage.", valueName: "k"))
    var prdcK: Int = 5

    @Option(help: ArgumentHelp("How each file's frames become the one vector per file that MAD and PRDC compare: max or mean.", valueName: "pooling"))
    var madPooling: EmbeddingPooling = .max

    func validate() throws {
        if prdcK < 1 { throw ValidationError("--prdc-k must be at least 1") }
    }
}

extension KADBandwidth: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

extension EmbeddingPooling: ExpressibleByArgument {}
extension KADPrecision: ExpressibleByArgument {}
