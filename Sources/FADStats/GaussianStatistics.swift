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
    /// Free-form provenance (tool version, dataset name, …).
    public var extra: [String: String]

    public init(model: String, layer: String, frontEnd: String, files: Int, extra: [String: String] = [:]) {
        self.model = model
        self.layer = layer
        self.frontEnd = frontEnd
        self.files = files
        self.extra = extra
    }

    /// Whether statistics labelled `self` and `other` describe the same embedding space.
    public func isCompatible(with other: StatisticsMetadata) -> Bool {
        model == other.model && layer == other.layer && frontEnd == other.frontEnd
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
    /// Model, layer and front end must agree; file counts add up; `extra` keeps the entries on
    /// which both agree.
    public func merged(with other: GaussianStatistics) throws -> GaussianStatistics {
        guard dimension == other.dimension else {
            throw StatisticsError(reason: "cannot merge statistics of dimension \(dimension) and \(other.dimension)")
        }
        guard metadata.isCompatible(with: other.metadata) else {
            throw StatisticsError(reason: "cannot merge statistics of different embeddings: "
                + "\(metadata.model)/\(metadata.layer) [\(metadata.frontEnd)] vs "
                + "\(other.metadata.model)/\(other.metadata.layer) [\(other.metadata.frontEnd)]")
        }
        // Counts from files are bounded when read, but merged statistics can be merged again.
        guard case (_, false) = count.addingReportingOverflow(other.count),
              case (_, false) = metadata.files.addingReportingOverflow(other.metadata.files) else {
            throw StatisticsError(reason: "cannot merge: the frame or file counts overflow")
        }
        var running = RunningStatistics(self)
        running.merge(RunningStatistics(other))
        let extra = metadata.extra.filter { other.metadata.extra[$0.key] == $0.value }
        let merged = StatisticsMetadata(model: metadata.model, layer: metadata.layer, frontEnd: metadata.frontEnd,
                                        files: metadata.files + other.metadata.files, extra: extra)
        return try running.finalized(metadata: merged)
    }

    /// Merges several statistics left to right (the order fixes the rounding).
    public static func merging(_ statistics: [GaussianStatistics]) throws -> GaussianStatistics {
        guard var result = statistics.first else { throw StatisticsError(reason: "nothing to merge") }
        for next in statistics.dropFirst() { result = try result.merged(with: next) }
        return result
    }
}
