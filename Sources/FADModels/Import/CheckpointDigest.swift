/// The digests of a checkpoint file, hex. fad computes them in the `fad` command (swift-crypto,
/// which FADPipeline already builds), so that FADModels and the fuzz builds stay free of it.
public struct CheckpointDigest: Sendable, Hashable {
    public var sha256: String
    public var md5: String

    public init(sha256: String, md5: String) {
        self.sha256 = sha256.lowercased(); self.md5 = md5.lowercased()
    }
}

extension PublishedDigest: CustomStringConvertible {
    /// Whether `digest` is what the publisher published (hex compared case-insensitively).
    public func matches(_ digest: CheckpointDigest) -> Bool {
        switch self {
        case .sha256(let hex): return digest.sha256 == hex.lowercased()
        case .sha256Prefix(let hex): return !hex.isEmpty && digest.sha256.hasPrefix(hex.lowercased())
        case .md5(let hex): return digest.md5 == hex.lowercased()
        }
    }

    /// The digest the same way `digest` would show it, e.g. "MD5 541141fa...".
    public func describing(_ digest: CheckpointDigest) -> String {
        switch self {
        case .sha256: return "SHA-256 \(digest.sha256)"
        case .sha256Prefix(let hex): return "SHA-256 \(digest.sha256.prefix(max(hex.count, 8)))..."
        case .md5: return "MD5 \(digest.md5)"
        }
    }

    public var description: String {
        switch self {
        case .sha256(let hex): return "SHA-256 \(hex)"
        case .sha256Prefix(let hex): return "SHA-256 \(hex)... (torch.hub file-name prefix)"
        case .md5(let hex): return "MD5 \(hex)"
        }
    }
}
