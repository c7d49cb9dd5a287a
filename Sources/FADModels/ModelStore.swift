import Foundation

/// Where model files are looked up, in order:
/// 1. `$FAD_MODEL_DIR` (if set),
/// 2. `~/.local/share/fad/models` (models a user imported),
/// 3. the repository's `Models/` folder, found from this source file's location (`#filePath`):
///    the committed musicnn weights, so the default models work offline with no download.
public struct ModelStore: Sendable {
    public var searchPaths: [URL]

    public init(searchPaths: [URL]) { self.searchPaths = searchPaths }

    /// The standard search paths.
    public static var `default`: ModelStore {
        var paths: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["FAD_MODEL_DIR"], !dir.isEmpty {
            paths.append(URL(fileURLWithPath: dir))
        }
        paths.append(FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/fad/models"))
        paths.append(repositoryModels)
        return ModelStore(searchPaths: paths)
    }

    /// `<repository>/Models`, from Sources/FADModels/ModelStore.swift.
    public static let repositoryModels: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models")

    /// The first existing `path/file` over the search paths, or `.weightsNotFound` listing them.
    public func url(for file: String) throws -> URL {
        for path in searchPaths {
            let candidate = path.appendingPathComponent(file)
            if FileManager.default.isReadableFile(atPath: candidate.path) { return candidate }
        }
        throw ModelError(path: file, kind: .weightsNotFound,
                         reason: "model file not found in \(searchPaths.map(\.path).joined(separator: ", ")) (set FAD_MODEL_DIR or import the model)")
    }
}
