import FADArrays

/// What a set of statistics was computed from: enough to refuse comparing or merging statistics
/// of different embeddings.
public struct StatisticsMetadata: Codable, Hashable, Sendable {
    /// Embedding model identifier (e.g. `"vggish"`).
    public var model: String
    /// Layer / output the frames were taken from (e.g. `"embedding"`, `"penultimate"`).
    public var layer: String
    /// Canonical description of the audio front end (sample rate, windowing, …) so that
    /// statistics from different configurations are never mixed silently.
    public var frontEnd: String
    /// Number of audio files whose frames went in.
    public var files: Int
    /// Free-form provenance (tool version, dataset name, …). The entries named in
    /// ``provenanceKeys`` are not free-form: they take part in every compatibility check.
    public var extra: [String: String]
    /// Which part of a set these statistics cover, when computed with `--shard I/N`; nil for a
    /// whole set.
    public var shard: ShardInfo?

    /// `extra` entries that fix the embedding as much as model, layer and front end do: the
    /// hop between analysis windows and the digest of the model's weights.
    public static let provenanceKeys = ["windowHop", "weightsDigest"]

    public init(model: String, layer: String, frontEnd: String, files: Int, extra: [String: String] = [:],
                shard: ShardInfo? = nil) {
        self.model = model
        self.layer = layer
        self.frontEnd = frontEnd
        self.files = files
        self.extra = extra
        self.shard = shard
    }

    /// Whether statistics labelled `self` and `other` describe the same embedding space.
    public func isCompatible(with other: StatisticsMetadata) -> Bool { mismatch(with: other) == nil }

    /// Why statistics labelled `self` and `other` do not describe the same embedding space
    /// (e.g. `"window hop 187 vs 94"`), or nil when model, layer, front end, window hop and
    /// weights digest all agree. A provenance entry present on one side only is a mismatch:
    /// statistics that cannot show where they come from are not compared with ones that can.
    public func mismatch(with other: StatisticsMetadata) -> String? {
        if model != other.model { return "model \(model) vs \(other.model)" }
        if layer != other.layer { return "layer \(layer) vs \(other.layer)" }
        if frontEnd != other.frontEnd { return "front end [\(frontEnd)] vs [\(other.frontEnd)]" }
        for key in Self.provenanceKeys where extra[key] != other.extra[key] {
            let name = key == "windowHop" ? "window hop" : "weights digest"
            return "\(name) \(extra[key] ?? "(not recorded)") vs \(other.extra[key] ?? "(not recorded)")"
        }
        return nil
    }

    /// One line naming the embedding, for error messages.
    public var summary: String {
        var text = "\(model) layer \(layer) [\(frontEnd)]"
        if let hop = extra["windowHop"] { text += ", hop \(hop)" }
        if let digest = extra["weightsDigest"] { text += ", weights \(digest.prefix(19))" }
        return text
    }
}

/// Which part of a set a statistics file covers: shard `index` of `count` under the named
/// partition rule, with the size and digest of the whole set so that shards of different sets,
/// or of one set whose files changed between jobs, are never merged.
public struct ShardInfo: Codable, Hashable, Sendable {
    /// 1-based shard number, as in `--shard 3/8`.
    public var index: Int
    /// Number of shards the set was split into.
    public var count: Int
    /// The partition rule's name; shards cut by different rules cannot be merged.
    public var partition: String
    /// Files in the whole set, all shards together.
    public var setFiles: Int
    /// `"sha256:<hex>"` of the whole set's file list, all shards together.
    public var setDigest: String
    /// Files the partition gave this shard (the statistics' `files` is smaller when some of
    /// them could not be read).
    public var assignedFiles: Int

    public init(index: Int, count: Int, partition: String, setFiles: Int, setDigest: String, assignedFiles: Int) {
        self.index = index; self.count = count; self.partition = partition
        self.setFiles = setFiles; self.setDigest = setDigest; self.assignedFiles = assignedFiles
    }
}

/// Mean and unbiased covariance of a set of embedding frames, in `Double`, with the frame count
/// needed to merge them exactly with other statistics.
///
/// `covariance` is the (n - 1)-normalised sample covariance (NumPy's `np.cov(x, rowvar=False)`);
/// for a single frame it is the zero matrix.
public struct GaussianStatistics: Sendable, Equatable {
    /// Number of frames.
    public let count: Int
    /// Frame length.
    public var dimension: Int { mean.count }
    public let mean: [Double]
    /// Symmetric `dimension × dimension` matrix.
    public let covariance: Matrix<Double>
    public var metadata: StatisticsMetadata

    /// Validates and wraps precomputed statistics (e.g. a population mean and covariance).
    public init(count: Int, mean: [Double], covariance: Matrix<Double>, metadata: StatisticsMetadata) throws {
        let d = mean.count
        guard count > 0 else { throw StatisticsError(reason: "frame count must be positive, got \(count)") }
        guard d > 0 else { throw StatisticsError(reason: "empty mean vector") }
        guard covariance.rows == d, covariance.columns == d else {
            throw StatisticsError(reason: "covariance is \(covariance.rows) x \(covariance.columns), mean has \(d) values")
        }
        guard mean.allSatisfy({ $0.isFinite }), covariance.values.allSatisfy({ $0.isFinite }) else {
            throw StatisticsError(reason: "mean or covariance contains NaN or infinity")
        }
        self.count = count
        self.mean = mean
        self.covariance = covariance
        self.metadata = metadata
    }

    /// Statistics of the union of both frame sets, as if computed in one pass (Chan's formula).
    ///
    /// Model, layer, front end, window hop and weights digest must agree; file counts add up;
    /// `extra` keeps the entries on which both agree. Shard bookkeeping is not checked here:
    /// ``StatisticsMerger`` does that for whole sets of shards.
    public func merged(with other: GaussianStatistics) throws -> GaussianStatistics {
        var merger = StatisticsMerger(checksShards: false)
        try merger.add(self)
        try merger.add(other)
        return try merger.finalized()
    }

    /// Merges several statistics left to right (the order fixes the rounding).
    public static func merging(_ statistics: [GaussianStatistics]) throws -> GaussianStatistics {
        var merger = StatisticsMerger(checksShards: false)
        for s in statistics { try merger.add(s) }
        return try merger.finalized()
    }
}

/// Merges statistics one at a time, holding only the running sums (`dimension²` doubles), so
/// any number of shard files can be merged in the memory of one.
///
/// It refuses statistics of different embeddings (model, layer, front end, window hop, weights
/// digest) and, for shards written with `--shard I/N`, shards of different sets or partitions,
/// the same shard twice (overlap) and, in ``finalized()``, missing shards (gaps). Statistics
/// that are not shards merge freely with each other (the caller vouches that their files are
/// distinct), but never with shards.
public struct StatisticsMerger: Sendable {
    private var running: RunningStatistics?
    private var metadata: StatisticsMetadata?
    private var firstPath = ""
    private var files = 0
    private var shardPaths: [Int: String] = [:]
    private let checksShards: Bool

    /// - Parameter checksShards: whether to enforce the shard rules (overlap, gaps, one set);
    ///   off only for merging in-memory statistics that the caller knows to be disjoint.
    public init(checksShards: Bool = true) { self.checksShards = checksShards }

    /// Number of statistics added so far.
    public private(set) var added = 0

    /// Files in the whole set, when shards are merged (the merged `files` is smaller when
    /// some could not be read while the shards were computed).
    public var setFiles: Int? { metadata?.shard?.setFiles }

    /// Folds `statistics` in; `path` names it in errors.
    public mutating func add(_ statistics: GaussianStatistics, path: String = "<statistics>") throws {
        func fail(_ reason: String) -> StatisticsError { StatisticsError(path: path, reason: reason) }
        let meta = statistics.metadata
        guard let first = metadata, let dimension = running?.dimension else {
            if checksShards, let shard = meta.shard { try Self.checkShardFields(shard, path: path) }
            running = RunningStatistics(statistics)
            metadata = meta
            firstPath = path
            files = meta.files
            if let shard = meta.shard { shardPaths[shard.index] = path }
            added = 1
            return
        }
        guard statistics.dimension == dimension else {
            throw fail("cannot merge statistics of dimension \(dimension) and \(statistics.dimension) (\(firstPath) has \(dimension))")
        }
        if let why = meta.mismatch(with: first) {
            throw fail("cannot merge statistics of different embeddings: \(why) (in \(firstPath))")
        }
        if checksShards {
            switch (first.shard, meta.shard) {
            case (nil, nil): break
            case (let a?, nil):
                throw fail("is not a shard, but \(firstPath) is shard \(a.index)/\(a.count); merge the shards first, then merge the result with other sets")
            case (nil, let b?):
                throw fail("is shard \(b.index)/\(b.count), but \(firstPath) is not a shard; merge the shards first, then merge the result with other sets")
            case (let a?, let b?):
                try Self.checkShardFields(b, path: path)
                guard a.count == b.count, a.partition == b.partition else {
                    throw fail("is shard \(b.index)/\(b.count) (\(b.partition)), \(firstPath) is shard \(a.index)/\(a.count) (\(a.partition)): shards of different partitions")
                }
                guard a.setDigest == b.setDigest, a.setFiles == b.setFiles else {
                    throw fail("is a shard of a different set than \(firstPath) (\(b.setFiles) files, \(b.setDigest.prefix(19))... vs \(a.setFiles) files, \(a.setDigest.prefix(19))...): were files added or removed between jobs?")
                }
                if let other = shardPaths[b.index] {
                    throw fail("overlaps \(other): both are shard \(b.index)/\(b.count) of the same set")
                }
                shardPaths[b.index] = path
            }
        }
        let (sum, overflow) = files.addingReportingOverflow(meta.files)
        guard !overflow, running!.count <= Int.max - statistics.count else { throw fail("file or frame count overflows") }
        files = sum
        // In place: a copy of the running sums would cost dimension² doubles per file.
        running!.merge(RunningStatistics(statistics))
        // Free-form entries survive only where every input agrees.
        metadata!.extra = first.extra.filter { meta.extra[$0.key] == $0.value }
        added += 1
    }

    /// The merged statistics. Throws when nothing was added or, for shards, when some shard
    /// of the partition is missing.
    public func finalized() throws -> GaussianStatistics {
        guard let running, var meta = metadata else { throw StatisticsError(reason: "nothing to merge") }
        if checksShards, let shard = meta.shard {
            let missing = (1...shard.count).filter { shardPaths[$0] == nil }
            if !missing.isEmpty {
                let list = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", ..." : "")
                throw StatisticsError(path: firstPath, reason: "shards leave a gap: \(missing.count) of \(shard.count) missing (\(list)); every shard 1...\(shard.count) of the set must be given once")
            }
            // The complete partition is the whole set again.
            meta.shard = nil
            meta.extra["setDigest"] = shard.setDigest
        }
        if !checksShards { meta.shard = nil }
        meta.files = files
        return try running.finalized(metadata: meta)
    }

    private static func checkShardFields(_ shard: ShardInfo, path: String) throws {
        guard shard.count >= 1, (1...shard.count).contains(shard.index) else {
            throw StatisticsError(path: path, reason: "invalid shard \(shard.index)/\(shard.count)")
        }
    }
}
