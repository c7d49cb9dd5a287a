/// Why statistics could not be built, merged, read or written.
///
/// The message follows the project's "PATH: reason" convention; `path` is `"<statistics>"` when
/// no file is involved (e.g. merging two in-memory statistics of different dimensions).
public struct StatisticsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What failed, for callers that answer differently (the CLI's exit codes).
    public enum Kind: Sendable, Equatable {
        /// The statistics themselves cannot give an answer (no frames, dimensions differ, ...).
        case invalid
        /// A statistics file cannot be read, or is corrupt.
        case unreadable
        /// A statistics file cannot be written.
        case writeFailed
    }

    public var path: String
    public var reason: String
    public var kind: Kind

    public init(path: String = "<statistics>", reason: String, kind: Kind = .invalid) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }

    public var description: String { "\(path): \(reason)" }
}
