import FADArrays
import FADModels
import Foundation

/// A content-addressed store of per-file embeddings.
///
/// An entry's key is the SHA-256 of everything that determines its value: the file's content
/// digest, the model id, the digest of its weights, its front-end configuration, the window hop
/// and the layer. File names play no part (fadtk keys on file stems, so `a.wav` and `a.mp3`
/// collide and nothing is ever invalidated). Entries are `.npy` float32 matrices written
/// atomically (a temporary file renamed into place), so two runs sharing a cache, or a run
/// killed half-way, never leave a torn entry; a resumed run reuses every finished file.
public struct EmbeddingCache: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// `$FAD_CACHE_DIR`, else `$XDG_CACHE_HOME/fad`, else `$HOME/.cache/fad` (``FADDirectories``).
    public static var defaultDirectory: URL { FADDirectories.cache() }

    /// Everything besides the file content that determines an embedding.
    public struct Recipe: Hashable, Sendable {
        public var model: String
        public var weightsDigest: String
        public var frontEnd: String
        public var windowHop: Int
        public init(model: String, weightsDigest: String, frontEnd: String, windowHop: Int) {
            self.model = model; self.weightsDigest = weightsDigest; self.frontEnd = frontEnd; self.windowHop = windowHop
        }
    }

    func entryURL(contentDigest: String, recipe: Recipe, layer: String) -> URL {
        let key = stringDigest([contentDigest, recipe.model, recipe.weightsDigest, recipe.frontEnd,
                                String(recipe.windowHop), layer].joined(separator: "\u{1F}"))
        return directory.appendingPathComponent(recipe.model)
            .appendingPathComponent(String(key.prefix(2)))
            .appendingPathComponent("\(key).npy")
    }

    /// The cached matrix, or nil when absent or unusable: an entry that is not a regular file,
    /// not a well-formed float `.npy` matrix (every size checked by `NPYArray`), empty, or
    /// holding NaN or infinity is recomputed (and replaced), never trusted.
    public func load(contentDigest: String, recipe: Recipe, layer: String) -> Matrix<Float>? {
        let url = entryURL(contentDigest: contentDigest, recipe: recipe, layer: layer)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return Self.decodeEntry(url)
    }

    /// Reads one entry, or nil when it cannot be trusted (see `load`).
    static func decodeEntry(_ url: URL) -> Matrix<Float>? {
        (try? NPYArray.read(contentsOf: url))?.embeddingFrames()
    }

    /// Stores a matrix atomically (see ``AtomicFile``): processes on several nodes may store
    /// the same entry at once; each rename puts a whole file in place, and since an entry's
    /// key fixes its value, whichever wins holds the right matrix.
    public func store(_ matrix: Matrix<Float>, contentDigest: String, recipe: Recipe, layer: String) throws {
        let url = entryURL(contentDigest: contentDigest, recipe: recipe, layer: layer)
        do {
            try AtomicFile.write(NPYArray(matrix).encoded(), to: url)
        } catch let error as AtomicFile.WriteError {
            throw PipelineError.cacheUnwritable(path: url.path, reason: error.reason)
        }
    }
}
