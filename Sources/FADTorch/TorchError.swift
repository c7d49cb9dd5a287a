/// The error of FADTorch: a checkpoint that cannot be read, naming the file and the reason.
/// FADModels maps it onto its own error in one place (`ModelError.init(_: TorchError)`).
public struct TorchError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// The file cannot be opened or read (missing, not a regular file, I/O error).
        case unreadable
        /// The bytes are not a checkpoint fad reads: malformed, hostile or unsupported.
        case invalid
    }

    public var path: String
    public var kind: Kind
    public var reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path; self.kind = kind; self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
