import Foundation

/// Errors about whole inputs and sets (a single bad file is a ``FileFailure`` instead, and the
/// run goes on without it).
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case inputMissing(path: String)
    case inputUnreadable(path: String, reason: String)
    case emptySet(path: String)
    case noUsableFiles(path: String, failed: Int)
    case dimensionMismatch(path: String, expected: Int, found: Int)
    case cacheUnwritable(path: String, reason: String)
    /// `--shard` given something other than `I/N` with 1 <= I <= N.
    case invalidShard(spec: String)
    /// The partition gave this shard no file: more shards than files.
    case emptyShard(path: String, shard: String, files: Int)

    public var description: String {
        switch self {
        case .inputMissing(let path): return "\(path): no such file or folder"
        case .inputUnreadable(let path, let reason): return "\(path): \(reason)"
        case .emptySet(let path): return "\(path): no audio or .npy files found"
        case .noUsableFiles(let path, let failed): return "\(path): none of its \(failed) files could be used (see the errors above)"
        case .dimensionMismatch(let path, let expected, let found):
            return "\(path): embeddings have dimension \(found), expected \(expected) (different model or layer?)"
        case .cacheUnwritable(let path, let reason): return "\(path): cannot write the embedding cache: \(reason)"
        case .invalidShard(let spec): return "invalid shard '\(spec)': expected I/N with 1 <= I <= N, e.g. 3/8"
        case .emptyShard(let path, let shard, let files):
            return "\(path): shard \(shard) holds no file (the set has \(files)); use at most \(files) shards"
        }
    }
}

/// A file that could not be used, and why. Runs continue without it unless `--strict`.
public struct FileFailure: Error, CustomStringConvertible, Sendable, Codable, Equatable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}
