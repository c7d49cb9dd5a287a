import Foundation

/// What `fad models list` shows: which models ship with fad, which a user imports from official
/// checkpoints (``ModelRegistry/imports``), and where each one's weights are.
public enum ModelCatalog {
    /// The model `fad` uses when none is named. musicnn ships inside fad, so the default needs no
    /// download; the README's default-embedding study explains the choice of model and layer.
    public static let defaultModel = "msd-musicnn"

    /// Where a model's weights are, or how to get them.
    public enum Availability: Equatable {
        /// Shipped with fad: compiled into the binary (the named file of the repository's Models/).
        case embedded(String)
        /// In a model folder: imported by the user, or found under $FAD_MODEL_DIR (a file there
        /// shadows an embedded one of the same name).
        case installed(URL)
        /// Not installed yet; the text says how to install it.
        case notInstalled(String)
    }

    /// Where `name`'s weights would be loaded from by `store` (its spec's weights file).
    public static func availability(of name: String, store: ModelStore = .default) -> Availability {
        guard let spec = try? ModelRegistry.spec(name) else { return .notInstalled("unknown model") }
        let file = spec.weightsFile
        switch store.locate(file) {
        case .embedded: return .embedded(file)
        case .file(let url): return .installed(url)
        case nil: break
        }
        if let official = spec.officialImport {
            return .notInstalled("download \(official.checkpoint.file) from \(official.checkpoint.url) and run "
                                 + "`fad models import \(official.name) FILE`, or `fad models fetch \(official.name)`")
        }
        return .notInstalled("weights file \(file) not found")
    }
}
