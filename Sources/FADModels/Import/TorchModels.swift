import Foundation

/// `fad models import NAME FILE`: the import names come from the registry's specs
/// (``ModelRegistry/imports``); this converts a checkpoint for one of them.
public enum TorchModels {
    /// Importable names, sorted.
    public static var names: [String] { ModelRegistry.imports.map(\.name).sorted() }

    /// The import spec of an import name, or `.unknownModel`.
    public static func spec(for name: String) throws -> TorchImportSpec {
        try official(name).spec
    }

    /// The official checkpoint of an import name (file, URL, published digest), or `.unknownModel`.
    public static func official(_ name: String) throws -> (name: String, checkpoint: OfficialCheckpoint, spec: TorchImportSpec) {
        guard let found = ModelRegistry.imports.first(where: { $0.name == name }) else {
            throw ModelError(path: name, kind: .unknownModel,
                             reason: "cannot import this model; importable: \(names.joined(separator: ", "))")
        }
        return found
    }

    /// Where imported weights go: the store's first search path (`$FAD_MODEL_DIR`, else
    /// `$XDG_DATA_HOME/fad/models`, else `$HOME/.local/share/fad/models`).
    public static func importDirectory(_ store: ModelStore = .default) -> URL {
        store.searchPaths[0]
    }

    /// Converts the checkpoint and writes `<dir>/NAME.safetensors`. `sourceDigest`, the given
    /// file's digests (computed by the caller), is recorded in the file's metadata.
    @discardableResult
    public static func importCheckpoint(_ name: String, from checkpoint: URL, sourceDigest: CheckpointDigest? = nil,
                                        store: ModelStore = .default) throws -> URL {
        try TorchImporter.importCheckpoint(checkpoint, spec: try spec(for: name), into: importDirectory(store),
                                           sourceDigest: sourceDigest)
    }
}
