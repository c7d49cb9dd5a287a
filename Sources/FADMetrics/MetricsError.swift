/// Why a metric could not be computed.
///
/// `subject` names what the metric was computed over (a file, a song key, `"<metrics>"`); the
/// message is `"subject: reason"` as everywhere in the project.
public enum MetricsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Two inputs live in spaces of different dimension.
    case dimensionMismatch(String, Int, Int)
    /// FAD-inf was asked for with too few frames to fit its 1/n line.
    case tooFewFramesForFADInfinity(needed: Int, got: Int)
    /// Any other invalid input or numerical failure.
    case invalid(subject: String, reason: String)

    public var description: String {
        switch self {
        case let .dimensionMismatch(what, a, b):
            return "<metrics>: \(what): dimension mismatch (\(a) vs \(b))"
        case let .tooFewFramesForFADInfinity(needed, got):
            return "<metrics>: FAD-inf needs >= \(needed) frames, got \(got)"
        case let .invalid(subject, reason):
            return "\(subject): \(reason)"
        }
    }

    static func invalid(_ reason: String, subject: String = "<metrics>") -> MetricsError {
        .invalid(subject: subject, reason: reason)
    }
}
