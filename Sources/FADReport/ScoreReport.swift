import Foundation

/// Everything `fad REFERENCE GENERATED...` computed, as written by `--json`.
public struct ScoreReport: Codable, Sendable {
    public var model: ModelInfo
    public var reference: SetInfo
    public var sets: [SetScore]

    public init(model: ModelInfo, reference: SetInfo, sets: [SetScore]) {
        self.model = model; self.reference = reference; self.sets = sets
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

/// One generated set's scores. A metric that was asked for but could not be computed carries
/// an `error` instead of values.
public struct SetScore: Codable, Sendable {
    public var set: SetInfo
    public var fad: FADScore?
    public var fadInf: FADInfScore?
    public var kl: KLScore?
    public var inceptionScore: ISScore?
    public var kid: KIDScore?
    public init(set: SetInfo) { self.set = set }
}

public struct FADScore: Codable, Sendable {
    public var value: Double
    public var meanTerm: Double
    public var traceTerm: Double
    public var clippedEigenvalues: Int
    public var largestClippedEigenvalue: Double
    /// Bootstrap interval over files, when asked for.
    public var confidenceInterval: ConfidenceInterval?
    public init(value: Double, meanTerm: Double, traceTerm: Double, clippedEigenvalues: Int,
                largestClippedEigenvalue: Double, confidenceInterval: ConfidenceInterval? = nil) {
        self.value = value; self.meanTerm = meanTerm; self.traceTerm = traceTerm
        self.clippedEigenvalues = clippedEigenvalues; self.largestClippedEigenvalue = largestClippedEigenvalue
        self.confidenceInterval = confidenceInterval
    }
}

public struct ConfidenceInterval: Codable, Sendable {
    public var level: Double
    public var low: Double
    public var high: Double
    public var resamples: Int
    public var seed: UInt64
    public init(level: Double, low: Double, high: Double, resamples: Int, seed: UInt64) {
        self.level = level; self.low = low; self.high = high; self.resamples = resamples; self.seed = seed
    }
}

public struct FADInfScore: Codable, Sendable {
    public var value: Double?
    public var slope: Double?
    public var rSquared: Double?
    /// "without-replacement" (default) or "replacement" (fadtk's estimator).
    public var sampling: String
    public var seed: UInt64
    public var minFrames: Int
    public var steps: Int
    public var points: [[Double]]?
    public var error: String?
    public init(value: Double?, slope: Double?, rSquared: Double?, sampling: String, seed: UInt64,
                minFrames: Int, steps: Int, points: [[Double]]?, error: String?) {
        self.value = value; self.slope = slope; self.rSquared = rSquared; self.sampling = sampling
        self.seed = seed; self.minFrames = minFrames; self.steps = steps; self.points = points; self.error = error
    }
}

public struct KLScore: Codable, Sendable {
    public var preset: String
    public var value: Double?
    public var reverse: Double?
    public var pairs: Int
    public var unpairedReference: [String]
    public var unpairedGenerated: [String]
    public var error: String?
    public init(preset: String, value: Double?, reverse: Double?, pairs: Int,
                unpairedReference: [String], unpairedGenerated: [String], error: String?) {
        self.preset = preset; self.value = value; self.reverse = reverse; self.pairs = pairs
        self.unpairedReference = unpairedReference; self.unpairedGenerated = unpairedGenerated; self.error = error
    }
}

public struct ISScore: Codable, Sendable {
    public var mean: Double?
    public var std: Double?
    public var splits: Int
    public var seed: UInt64
    public var error: String?
    public init(mean: Double?, std: Double?, splits: Int, seed: UInt64, error: String?) {
        self.mean = mean; self.std = std; self.splits = splits; self.seed = seed; self.error = error
    }
}

public struct KIDScore: Codable, Sendable {
    public var mean: Double?
    public var std: Double?
    public var subsets: Int
    public var subsetSize: Int
    /// The requested subset size (1000) was larger than a set and was reduced to it.
    public var subsetSizeClamped: Bool
    /// Every subset holds both whole sets, so every subset gives the same value: `std` is 0
    /// and says nothing about uncertainty.
    public var identicalSubsets: Bool
    public var seed: UInt64
    public var error: String?
    public init(mean: Double?, std: Double?, subsets: Int, subsetSize: Int, subsetSizeClamped: Bool,
                identicalSubsets: Bool, seed: UInt64, error: String?) {
        self.mean = mean; self.std = std; self.subsets = subsets; self.subsetSize = subsetSize
        self.subsetSizeClamped = subsetSizeClamped; self.identicalSubsets = identicalSubsets; self.seed = seed; self.error = error
    }
}
