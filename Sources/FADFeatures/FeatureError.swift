/// Why a front end could not turn samples into a log-mel spectrogram.
///
/// The front end sees samples, not files: `path` is `<samples>` unless the caller attaches the
/// file it decoded with `attributed(to:)`, so that the message reads `PATH: reason`.
public struct FeatureError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// Fewer samples than one analysis window needs.
        case tooShort(samples: Int, minimum: Int)
        /// A sample is NaN or infinite.
        case nonFiniteSample(index: Int)
        /// The configuration cannot work (e.g. a window longer than the FFT).
        case invalidConfiguration(String)
    }

    public var path: String
    public let reason: Reason

    public init(path: String = "<samples>", reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// The same error, naming `path`.
    public func attributed(to path: String) -> FeatureError {
        FeatureError(path: path, reason: reason)
    }

    public var description: String {
        switch reason {
        case .tooShort(let samples, let minimum):
            return "\(path): too short for one analysis window (\(samples) samples, need at least \(minimum))"
        case .nonFiniteSample(let index):
            return "\(path): sample \(index) is NaN or infinite"
        case .invalidConfiguration(let why):
            return "\(path): invalid front-end configuration (\(why))"
        }
    }
}
