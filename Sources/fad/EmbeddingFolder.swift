import FAD
import Foundation

/// The provenance file `fad embed` leaves in its output folder (`.fad-embeddings.json`, hidden,
/// so folder scans skip it): model, layer, front end, window hop and weights digest of the
/// `.npy` files below it. A later run that reads the folder checks it against whatever the
/// folder is compared with, as it checks saved statistics.
enum EmbeddingFolder {
    static let fileName = ".fad-embeddings.json"

    struct Provenance: Codable, Equatable {
        var format = "fad-embeddings"
        var version = 1
        var model: String
        var layer: String
        var frontEnd: String
        var windowHop: String?
        var weightsDigest: String?

        init(_ metadata: StatisticsMetadata) {
            model = metadata.model
            layer = metadata.layer
            frontEnd = metadata.frontEnd
            windowHop = metadata.extra["windowHop"]
            weightsDigest = metadata.extra["weightsDigest"]
        }

        var metadata: StatisticsMetadata {
            var extra: [String: String] = [:]
            extra["windowHop"] = windowHop
            extra["weightsDigest"] = weightsDigest
            return StatisticsMetadata(model: model, layer: layer, frontEnd: frontEnd, files: 0, extra: extra)
        }
    }

    /// The provenance recorded in `folder`, or nil when it has none (a folder from another tool).
    static func provenance(of folder: String) throws -> Provenance? {
        let url = URL(fileURLWithPath: folder).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do { return try JSONDecoder().decode(Provenance.self, from: data) } catch {
            throw CommandError(description: "\(url.path): unreadable provenance file (\(error))", exitCode: FADExitCode.input)
        }
    }

    /// Records `metadata` in `folder`, refusing a folder that holds embeddings of another
    /// embedding already (its files would be mixed).
    static func record(_ metadata: StatisticsMetadata, in folder: String) throws {
        let mine = Provenance(metadata)
        if let existing = try provenance(of: folder), let why = existing.metadata.mismatch(with: mine.metadata) {
            throw CommandError(description: "\(folder): holds embeddings of another embedding already (\(why)); write to another folder", exitCode: FADExitCode.data)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try AtomicFile.write(try encoder.encode(mine), to: URL(fileURLWithPath: folder).appendingPathComponent(fileName))
        } catch {
            throw CommandError(description: "\(error)", exitCode: FADExitCode.io)
        }
    }
}
