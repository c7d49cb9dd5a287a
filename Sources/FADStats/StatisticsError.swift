/// Why statistics could not be built, merged, read or written.
///
/// The message follows the project's "PATH: reason" convention; `path` is `"<statistics>"` when
/// no file is involved (e.g. merging two in-memory statistics of different dimensions).
public struct StatisticsError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var reason: String

    public init(path: String = "<statistics>", reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
