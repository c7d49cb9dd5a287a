import FADPipeline
import FADReport
import FADStats
import Foundation

/// The provenance file `fad embed` leaves in its output folder (`.fad-embeddings.json`, hidden,
/// so folder scans skip it): model, layer, front end, window hop and weights digest of the
/// `.npy` files below it. A later run that reads the folder checks it against whatever the
/// folder is compared with, as it checks saved statistics.
public enum EmbeddingFolder {
    public static let fileName = ".fad-embeddings.json"

    public struct Provenance: Codable, Equatable, Sendable {
        public var format = "fad-embeddings"
        public var version = 1
        public var model: String
        public var layer: String
        public var frontEnd: String
        public var windowHop: String?
        public var weightsDigest: String?

        public init(_ metadata: StatisticsMetadata) {
            model = metadata.model
            layer = metadata.layer
            frontEnd = metadata.frontEnd
            windowHop = metadata.extra["windowHop"]
            weightsDigest = metadata.extra["weightsDigest"]
        }

        public var metadata: StatisticsMetadata {
            var extra: [String: String] = [:]
            extra["windowHop"] = windowHop
            extra["weightsDigest"] = weightsDigest
            return StatisticsMetadata(model: model, layer: layer, frontEnd: frontEnd, files: 0, extra: extra)
        }
    }

    /// The provenance recorded in `folder`, or nil when it has none (a folder from another tool).
    public static func provenance(of folder: String) throws -> Provenance? {
        let url = URL(fileURLWithPath: folder).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do { return try JSONDecoder().decode(Provenance.self, from: data) } catch {
            throw FADError(.input, "\(url.path): unreadable provenance file (\(error))")
        }
    }

    /// Records `metadata` in `folder`, refusing a folder that holds embeddings of another
    /// embedding already (its files would be mixed).
    public static func record(_ metadata: StatisticsMetadata, in folder: String) throws {
        let mine = Provenance(metadata)
        if let existing = try provenance(of: folder), let why = existing.metadata.mismatch(with: mine.metadata) {
            throw FADError(.data, "\(folder): holds embeddings of another embedding already (\(why)); write to another folder")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try AtomicFile.write(try encoder.encode(mine), to: URL(fileURLWithPath: folder).appendingPathComponent(fileName))
        } catch {
            throw FADError(.io, "\(error)")
        }
    }
}
