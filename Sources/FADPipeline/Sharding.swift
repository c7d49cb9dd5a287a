import Crypto
import FADStats
import Foundation

/// One part of a set split into `count` parts: `--shard index/count`, 1-based.
///
/// The partition depends only on the names of the set's files, never on the file system's
/// order, the machine or the thread count, so the jobs of an array job (each on its own node)
/// cover the set exactly once between them:
///
/// 1. each file's partition key is its pairing key: its path relative to the set (the folder,
///    or the path as a path list writes it) without extension, so an audio folder and the
///    `.npy` folder `fad embed` mirrors from it are cut the same way;
/// 2. files are ordered by the SHA-256 of that key (ties, which need equal keys such as
///    `song.wav` beside `song.flac`, by their order in the set);
/// 3. the file at rank `r` in that order goes to shard `r mod count + 1`.
///
/// Round-robin over a hash order keeps shards within one file of each other in size (an array
/// job waits for its slowest task) and mixes each folder's files over all shards.
public struct ShardSelection: Sendable, Hashable, CustomStringConvertible {
    /// The partition rule's name, recorded in every shard's statistics.
    public static let partitionRule = "sha256-relative-path-round-robin-v1"

    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw PipelineError.invalidShard(spec: "\(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `"I/N"` (1 <= I <= N).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw PipelineError.invalidShard(spec: text)
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The key that places `file` in the partition.
    static func partitionKey(_ file: InputFile) -> String { file.key }

    /// `"sha256:<hex>"` of the set's sorted partition keys: equal for two listings of the same
    /// set, different as soon as a file is added, removed or renamed.
    public static func setDigest(_ files: [InputFile]) -> String {
        var hash = SHA256()
        for key in files.map(partitionKey).sorted() { hash.update(data: Data((key + "\n").utf8)) }
        let hex = hash.finalize().map { byte -> String in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }
        return "sha256:" + hex.joined()
    }

    /// This shard's files, in the set's own order, and the record that goes into its
    /// statistics. A shard with no file is an error: an array job of more tasks than files.
    public func select(_ files: [InputFile], set path: String) throws -> (files: [InputFile], info: ShardInfo) {
        // The first 128 bits of each digest order the files (the index breaks ties).
        let ranked = files.indices.map { i -> (high: UInt64, low: UInt64, index: Int) in
            let digest = Array(SHA256.hash(data: Data(Self.partitionKey(files[i]).utf8)))
            let high = digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = digest[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return (high, low, i)
        }.sorted { ($0.high, $0.low, $0.index) < ($1.high, $1.low, $1.index) }
        var chosen: [Int] = []
        for (rank, entry) in ranked.enumerated() where rank % count == index - 1 { chosen.append(entry.index) }
        guard !chosen.isEmpty else {
            throw PipelineError.emptyShard(path: path, shard: description, files: files.count)
        }
        let info = ShardInfo(index: index, count: count, partition: Self.partitionRule, setFiles: files.count,
                             setDigest: Self.setDigest(files), assignedFiles: chosen.count)
        return (chosen.sorted().map { files[$0] }, info)
    }
}

extension InputSource {
    /// The same kind of input restricted to one shard's files (statistics cannot be sharded).
    public func sharded(_ shard: ShardSelection, path: String) throws -> (source: InputSource, info: ShardInfo) {
        switch self {
        case .audio(let files):
            let (chosen, info) = try shard.select(files, set: path)
            return (.audio(chosen), info)
        case .embeddings(let files):
            let (chosen, info) = try shard.select(files, set: path)
            return (.embeddings(chosen), info)
        case .statistics:
            throw PipelineError.inputUnreadable(path: path, reason: "saved statistics cannot be split into shards")
        }
    }
}
