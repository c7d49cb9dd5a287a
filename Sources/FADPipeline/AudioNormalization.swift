import Foundation

/// What is done to a file's decoded (resampled, mono) samples before the model sees them, as
/// the reference toolkits do: part of the embedding's recipe, so it is recorded in the cache key
/// and in saved statistics.
public enum AudioNormalization: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The samples as decoded.
    case none
    /// Peak normalisation to `decibels` dBFS (stable-audio-metrics: `pyln.normalize.peak(audio,
    /// -1.0)`): `x · Float(10^(dB/20) / max|x|)`, the gain rounded to `Float` and applied in
    /// `Float` as numpy does for a float32 array times a Python float. Silence (max|x| = 0) is
    /// left as it is (pyloudnorm would divide by zero).
    case peak(decibels: Double)
    /// fadtk's CLAP quantisation: `Float(Double(Int16(clip(x, -1, 1) · 32767)) / 32767)`, with
    /// the conversion to Int16 truncating toward zero (numpy `astype(np.int16)`).
    case int16RoundTrip

    public var description: String {
        switch self {
        case .none: return "none"
        case .peak(let dB): return "peak:\(dB)dB"
        case .int16RoundTrip: return "int16"
        }
    }

    /// Parses `none`, `int16` or `peak:DB` (e.g. `peak:-1`, `peak:-1dB`).
    public init?(parsing text: String) {
        switch text {
        case "none": self = .none
        case "int16": self = .int16RoundTrip
        default:
            guard text.hasPrefix("peak:") else { return nil }
            var number = text.dropFirst("peak:".count)
            if number.hasSuffix("dB") { number = number.dropLast(2) }
            guard let dB = Double(number), dB.isFinite, dB <= 0 else { return nil }
            self = .peak(decibels: dB)
        }
    }

    /// The normalised samples (finite input assumed; the extractor checks it first).
    public func apply(_ samples: [Float]) -> [Float] {
        switch self {
        case .none:
            return samples
        case .peak(let dB):
            let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
            guard peak > 0 else { return samples }
            let gain = Float(pow(10.0, dB / 20) / Double(peak))
            return samples.map { $0 * gain }
        case .int16RoundTrip:
            return samples.map { x in
                let clipped = min(1, max(-1, Double(x)))
                return Float(Double(Int16((clipped * 32767).rounded(.towardZero))) / 32767)
            }
        }
    }
}
