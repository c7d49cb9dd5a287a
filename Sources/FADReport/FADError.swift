import Foundation

/// The one error type of fad's library API: every failure that leaves the ``Evaluator`` (and
/// every command) is a `FADError`, whatever module raised it. Module errors (audio, model,
/// pipeline, statistics, metrics, file-system) are mapped into it at one place,
/// `FADError.init(_:)` in the `FAD` module.
///
/// The ``Kind`` says what went wrong from the caller's side, and it alone decides the exit code
/// of the `fad` command (``Kind/exitCode``).
public struct FADError: LocalizedError, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure it is (sysexits-style exit codes, documented in the README).
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Bad options or arguments, unknown model, layer or preset (exit 64).
        case usage
        /// The data cannot give an answer: empty set, too few frames, mismatched dimensions,
        /// statistics from another model (exit 65).
        case data
        /// An input is missing, unreadable or corrupt (exit 66).
        case input
        /// A model's weights are not installed, or cannot be used (exit 69).
        case unavailable
        /// Output or cache could not be written (exit 74).
        case io

        /// The exit code of `fad` for this kind: the only place exit codes are decided.
        public var exitCode: Int32 {
            switch self {
            case .usage: return 64
            case .data: return 65
            case .input: return 66
            case .unavailable: return 69
            case .io: return 74
            }
        }
    }

    public var kind: Kind
    /// One line: "PATH: reason" where there is a path.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var errorDescription: String? { message }
    public var description: String { message }
}
