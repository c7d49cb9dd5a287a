import Foundation

/// Where model files are looked up, in order:
/// 1. `$FAD_MODEL_DIR` (if set),
/// 2. `$XDG_DATA_HOME/fad/models`, else `$HOME/.local/share/fad/models` (models a user imported),
/// 3. the files compiled into fad: the shipped musicnn weights and labels, so that the default
///    models run offline from a binary copied anywhere, with no file beside it and no path into
///    the source tree.
///
/// A file in a folder shadows the embedded copy of the same name (a user may replace the shipped
/// weights); the weights' digest, which keys the cache and is stored in statistics, follows.
public struct ModelStore: Sendable {
    public var searchPaths: [URL]
    /// Whether the files compiled into fad are found after the search paths.
    public var includesEmbeddedFiles: Bool

    public init(searchPaths: [URL], includesEmbeddedFiles: Bool = false) {
        self.searchPaths = searchPaths
        self.includesEmbeddedFiles = includesEmbeddedFiles
    }

    /// The standard store: `$FAD_MODEL_DIR`, the user's data folder, then the embedded files.
    public static var `default`: ModelStore { standard() }

    /// The standard store for an environment (tests pass their own).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelStore {
        var paths = [FADDirectories.userModels(environment: environment)]
        let first = FADDirectories.models(environment: environment)
        if first != paths[0] { paths.insert(first, at: 0) }
        return ModelStore(searchPaths: paths, includesEmbeddedFiles: true)
    }

    /// Where a model file was found.
    public enum Location: Sendable, Equatable {
        /// A file in one of the search paths.
        case file(URL)
        /// Compiled into fad.
        case embedded
    }

    /// A model file (weights or labels) with its location, read when asked for.
    public struct File: Sendable {
        /// Its path relative to a model folder, e.g. `musicnn/MSD_musicnn.safetensors`.
        public let name: String
        public let location: Location

        /// A file outside any store (a path given by the caller).
        public init(url: URL) {
            name = url.lastPathComponent
            location = .file(url)
        }

        init(name: String, location: Location) {
            self.name = name
            self.location = location
        }

        /// How errors name it: the file's path, or `embedded:NAME` for the copy inside fad.
        public var path: String {
            switch location {
            case .file(let url): return url.path
            case .embedded: return "embedded:\(name)"
            }
        }

        /// The bytes: memory-mapped from disk, or the embedded bytes in place (neither is copied).
        public func contents() throws -> Data {
            switch location {
            case .file(let url):
                do { return try Data(contentsOf: url, options: .alwaysMapped) } catch {
                    throw ModelError(path: url.path, kind: .weightsNotFound, reason: "cannot read: \(error.localizedDescription)")
                }
            case .embedded:
                guard let data = EmbeddedModelFiles.data(name) else {
                    throw ModelError(path: path, kind: .weightsNotFound, reason: "not embedded in this build of fad")
                }
                return data
            }
        }
    }

    /// Where `file` would be loaded from, or nil: the first readable `path/file` over the search
    /// paths, else the embedded copy if the store includes embedded files.
    public func locate(_ file: String) -> Location? {
        for path in searchPaths {
            let candidate = path.appendingPathComponent(file)
            if FileManager.default.isReadableFile(atPath: candidate.path) { return .file(candidate) }
        }
        if includesEmbeddedFiles, EmbeddedModelFiles.names.contains(file) { return .embedded }
        return nil
    }

    /// A model file found with ``locate(_:)``, or `.weightsNotFound` listing where it looked.
    public func file(_ file: String) throws -> File {
        guard let location = locate(file) else { throw notFound(file) }
        return File(name: file, location: location)
    }

    /// The first existing `path/file` on disk (imported models), or `.weightsNotFound`.
    public func url(for file: String) throws -> URL {
        for path in searchPaths {
            let candidate = path.appendingPathComponent(file)
            if FileManager.default.isReadableFile(atPath: candidate.path) { return candidate }
        }
        throw notFound(file)
    }

    private func notFound(_ file: String) -> ModelError {
        let places = searchPaths.map(\.path) + (includesEmbeddedFiles ? ["the files embedded in fad"] : [])
        return ModelError(path: file, kind: .weightsNotFound,
                          reason: "model file not found in \(places.joined(separator: ", ")) (set FAD_MODEL_DIR or import the model)")
    }
}
