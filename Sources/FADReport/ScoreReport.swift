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
    public var kad: KADScore?
    public var kadInf: KADInfScore?
    public var mad: MADScore?
    public var prdc: PRDCScore?
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
    /// The BCa interval (see `method`).
    public var low: Double
    public var high: Double
    public var resamples: Int
    public var seed: UInt64
    /// "BCa": bias-corrected and accelerated percentiles of the resampled FADs;
    /// "shifted-percentile": the percentile interval minus the bootstrap bias, when BCa does not
    /// hold the estimate.
    public var method: String
    /// The plain percentile interval of the same resamples.
    public var percentileLow: Double?
    public var percentileHigh: Double?
    /// z0 and the jackknife acceleration of the BCa adjustment.
    public var biasCorrection: Double?
    public var acceleration: Double?
    /// Resampled FADs below the estimate; near 0 the interval is unreliable (see README).
    public var resamplesBelowEstimate: Int?
    public init(level: Double, low: Double, high: Double, resamples: Int, seed: UInt64, method: String = "BCa",
                percentileLow: Double? = nil, percentileHigh: Double? = nil, biasCorrection: Double? = nil,
                acceleration: Double? = nil, resamplesBelowEstimate: Int? = nil) {
        self.level = level; self.low = low; self.high = high; self.resamples = resamples; self.seed = seed
        self.method = method; self.percentileLow = percentileLow; self.percentileHigh = percentileHigh
        self.biasCorrection = biasCorrection; self.acceleration = acceleration
        self.resamplesBelowEstimate = resamplesBelowEstimate
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

/// KAD (kadtk's formula, unbiased MMD² × 100) over all embedding frames of both sets.
public struct KADScore: Codable, Sendable {
    public var value: Double?
    /// σ of the Gaussian kernel used.
    public var bandwidth: Double?
    /// "reference" (default), "generated" (kadtk's code) or "fixed".
    public var bandwidthSource: String
    /// Pairs the median distance came from, and whether that was every pair (else a seeded sample).
    public var medianPairs: Int?
    public var medianExact: Bool?
    public var seed: UInt64
    public var error: String?
    public init(value: Double?, bandwidth: Double?, bandwidthSource: String, medianPairs: Int?, medianExact: Bool?,
                seed: UInt64, error: String?) {
        self.value = value; self.bandwidth = bandwidth; self.bandwidthSource = bandwidthSource
        self.medianPairs = medianPairs; self.medianExact = medianExact; self.seed = seed; self.error = error
    }
}

/// KAD-inf: the FAD-inf schedule and estimators applied to KAD.
public struct KADInfScore: Codable, Sendable {
    public var value: Double?
    public var slope: Double?
    public var rSquared: Double?
    public var sampling: String
    public var seed: UInt64
    public var minFrames: Int
    public var steps: Int
    public var bandwidthSource: String
    /// σ when it is the same for every subset (reference or fixed bandwidth).
    public var bandwidth: Double?
    public var points: [[Double]]?
    public var error: String?
    public init(value: Double?, slope: Double?, rSquared: Double?, sampling: String, seed: UInt64, minFrames: Int, steps: Int,
                bandwidthSource: String, bandwidth: Double?, points: [[Double]]?, error: String?) {
        self.value = value; self.slope = slope; self.rSquared = rSquared; self.sampling = sampling; self.seed = seed
        self.minFrames = minFrames; self.steps = steps; self.bandwidthSource = bandwidthSource; self.bandwidth = bandwidth
        self.points = points; self.error = error
    }
}

/// MAD = -ln MAUVE(generated, reference) on one pooled vector per file.
public struct MADScore: Codable, Sendable {
    public var value: Double?
    public var mauve: Double?
    /// "max" or "mean": how each file's frames became one vector.
    public var pooling: String
    public var clusters: Int?
    public var pcaComponents: Int?
    public var explainedVariance: Double
    public var restarts: Int
    public var maxIterations: Int
    public var curvePoints: Int
    public var scaling: Double
    public var seed: UInt64
    public var error: String?
    public init(value: Double?, mauve: Double?, pooling: String, clusters: Int?, pcaComponents: Int?, explainedVariance: Double,
                restarts: Int, maxIterations: Int, curvePoints: Int, scaling: Double, seed: UInt64, error: String?) {
        self.value = value; self.mauve = mauve; self.pooling = pooling; self.clusters = clusters
        self.pcaComponents = pcaComponents; self.explainedVariance = explainedVariance; self.restarts = restarts
        self.maxIterations = maxIterations; self.curvePoints = curvePoints; self.scaling = scaling; self.seed = seed
        self.error = error
    }
}

/// Precision, recall, density and coverage on one pooled vector per file.
public struct PRDCScore: Codable, Sendable {
    public var precision: Double?
    public var recall: Double?
    public var density: Double?
    public var coverage: Double?
    public var k: Int
    public var pooling: String
    /// Generated files outside the reference manifold (in no reference k-NN ball).
    public var outsideReference: [String]?
    public var error: String?
    public init(precision: Double?, recall: Double?, density: Double?, coverage: Double?, k: Int, pooling: String,
                outsideReference: [String]?, error: String?) {
        self.precision = precision; self.recall = recall; self.density = density; self.coverage = coverage
        self.k = k; self.pooling = pooling; self.outsideReference = outsideReference; self.error = error
    }
}
