import FADMetrics
import Foundation

/// Everything `fad REFERENCE GENERATED...` computed, as written by `--json`.
public struct ScoreReport: Codable, Sendable {
    public var model: ModelInfo
    public var reference: SetInfo
    public var sets: [SetScore]
    /// Every setting of the toolkit preset the run used (`--preset`), nil without one.
    public var preset: PresetSettings?

    public init(model: ModelInfo, reference: SetInfo, sets: [SetScore], preset: PresetSettings? = nil) {
        self.model = model; self.reference = reference; self.sets = sets; self.preset = preset
    }

    /// The JSON text (keys sorted so that outputs diff cleanly).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

public struct ModelInfo: Codable, Sendable {
    /// Model id, or "embeddings" when every input was precomputed.
    public var name: String
    public var layer: String
    public var windowHop: Int?
    public var weightsDigest: String?
    public init(name: String, layer: String, windowHop: Int?, weightsDigest: String?) {
        self.name = name; self.layer = layer; self.windowHop = windowHop; self.weightsDigest = weightsDigest
    }
}

public struct SetInfo: Codable, Sendable {
    public var path: String
    public var files: Int
    public var frames: Int
    public var cachedFiles: Int
    /// Files skipped, with the reason.
    public var failures: [FailureInfo]
    public init(path: String, files: Int, frames: Int, cachedFiles: Int, failures: [FailureInfo]) {
        self.path = path; self.files = files; self.frames = frames; self.cachedFiles = cachedFiles; self.failures = failures
    }
}

public struct FailureInfo: Codable, Sendable, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}

/// One generated set's scores, each the metric's own result type (or the error that kept it
/// from being computed) with the settings it ran with; nil for a metric not asked for.
public struct SetScore: Codable, Sendable {
    public var set: SetInfo
    public var fad: MetricEntry<FrechetDistance, FADDetails>?
    public var fadInf: MetricEntry<FADInfinityResult, FADInfinityOptions>?
    public var kl: MetricEntry<KLDivergenceResult, KLDetails>?
    public var inceptionScore: MetricEntry<InceptionScoreResult, InceptionScoreOptions>?
    public var kid: MetricEntry<KIDResult, KIDOptions>?
    public var kad: MetricEntry<KADResult, KADDetails>?
    public var kadInf: MetricEntry<FADInfinityResult, KADInfinityDetails>?
    public var mad: MetricEntry<MAUVEResult, PooledDetails<MAUVEOptions>>?
    public var prdc: MetricEntry<PRDCResult, PooledDetails<PRDCOptions>>?
    public init(set: SetInfo) { self.set = set }

    /// The metrics that failed, with their names, in report order.
    public var metricFailures: [(metric: String, error: FADError)] {
        let all: [(String, FADError?)] = [("FAD", fad?.error), ("FAD-inf", fadInf?.error), ("KL", kl?.error),
                                          ("IS", inceptionScore?.error), ("KID", kid?.error), ("KAD", kad?.error),
                                          ("KAD-inf", kadInf?.error), ("MAD", mad?.error), ("PRDC", prdc?.error)]
        return all.compactMap { name, error in error.map { (name, $0) } }
    }
}
