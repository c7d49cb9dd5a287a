import FADMetrics
import Foundation

/// One metric of one scored set: the metric's own result type, or the error that kept it from
/// being computed, with the settings it ran with. A failed metric does not lose the others.
///
/// JSON: one object holding the result's fields, the details' fields, `value` (the metric's
/// headline number, when it has one) and `error` (when it failed), side by side, so that
/// `sets[i].fad.value` reads the same whatever the metric's result type.
public struct MetricEntry<Result: Codable & Sendable, Details: Codable & Sendable>: Codable, Sendable {
    /// The metric's result; nil when it failed.
    public var result: Result?
    /// The settings the metric ran with, and what is reported beside its result.
    public var details: Details
    /// The headline number (FAD's value, MAD, the mean of IS or KID); nil when it failed.
    public var value: Double?
    /// Why the metric could not be computed.
    public var error: FADError?

    public init(result: Result, value: Double?, details: Details) {
        self.result = result; self.value = value; self.details = details; self.error = nil
    }

    public init(error: FADError, details: Details) {
        self.result = nil; self.value = nil; self.details = details; self.error = error
    }

    private enum Keys: String, CodingKey { case value, error }

    public func encode(to encoder: Encoder) throws {
        try details.encode(to: encoder)
        try result?.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(value, forKey: .value)
        try container.encodeIfPresent(error?.message, forKey: .error)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        details = try Details(from: decoder)
        value = try container.decodeIfPresent(Double.self, forKey: .value)
        if let message = try container.decodeIfPresent(String.self, forKey: .error) {
            error = FADError(.data, message)
            result = nil
        } else {
            error = nil
            result = try Result(from: decoder)
        }
    }
}

/// No details beside the result.
public struct NoDetails: Codable, Sendable, Equatable {
    public init() {}
}

/// Details of FAD: the bootstrap interval over files, when asked for (`FADBootstrapResult`).
public struct FADDetails: Codable, Sendable {
    public var confidenceInterval: FADBootstrapResult?
    public init(confidenceInterval: FADBootstrapResult? = nil) { self.confidenceInterval = confidenceInterval }
}

/// Settings of KL divergence: the preset (ε and probability function, direction) and how each
/// file's window logits were aggregated.
public struct KLDetails: Codable, Sendable {
    public var preset: KLPreset
    public var aggregation: KLAggregation
    public init(preset: KLPreset, aggregation: KLAggregation) { self.preset = preset; self.aggregation = aggregation }
}

/// Settings of KAD: where σ comes from ("reference", "generated" or "fixed") and the seed of
/// the median's sample (the arithmetic, `precision`, is in the result).
public struct KADDetails: Codable, Sendable {
    public var bandwidthSource: String
    public var seed: UInt64
    public init(bandwidthSource: String, seed: UInt64) { self.bandwidthSource = bandwidthSource; self.seed = seed }
}

/// Settings of KAD-inf: FAD-inf's schedule and estimator applied to KAD, and σ when it is the
/// same for every subset (reference or fixed bandwidth).
public struct KADInfinityDetails: Codable, Sendable {
    public var sampling: FADInfinitySampling
    public var seed: UInt64
    public var minFrames: Int
    public var steps: Int
    public var bandwidthSource: String
    public var bandwidth: Double?
    public var precision: KADPrecision
    public init(sampling: FADInfinitySampling, seed: UInt64, minFrames: Int, steps: Int, bandwidthSource: String, bandwidth: Double?,
                precision: KADPrecision) {
        self.sampling = sampling; self.seed = seed; self.minFrames = minFrames; self.steps = steps
        self.bandwidthSource = bandwidthSource; self.bandwidth = bandwidth; self.precision = precision
    }
}

/// Settings of a metric on one pooled vector per file (MAD, PRDC): how the frames were pooled,
/// the metric's own options (flattened into the same JSON object), and for PRDC the generated
/// files outside the reference manifold.
public struct PooledDetails<Options: Codable & Sendable>: Codable, Sendable {
    /// "max" or "mean".
    public var pooling: EmbeddingPooling
    public var options: Options
    /// Generated files in no reference k-NN ball (PRDC only).
    public var outsideReference: [String]?

    public init(pooling: EmbeddingPooling, options: Options, outsideReference: [String]? = nil) {
        self.pooling = pooling; self.options = options; self.outsideReference = outsideReference
    }

    private enum Keys: String, CodingKey { case pooling, outsideReference }

    public func encode(to encoder: Encoder) throws {
        try options.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(pooling, forKey: .pooling)
        try container.encodeIfPresent(outsideReference, forKey: .outsideReference)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        pooling = try container.decode(EmbeddingPooling.self, forKey: .pooling)
        outsideReference = try container.decodeIfPresent([String].self, forKey: .outsideReference)
        options = try Options(from: decoder)
    }
}

/// PRDC's own setting: k of the k-nearest-neighbour manifolds.
public struct PRDCOptions: Codable, Sendable, Equatable {
    public var k: Int
    public init(k: Int) { self.k = k }
}
