import Foundation

/// What `fad models` lists, imports and fetches: which models ship with fad, which a user
/// imports from official checkpoints, and where each one's weights are.
public enum ModelCatalog {
    /// The model `fad` uses when none is named. musicnn ships with fad, so the default needs no
    /// download; the README's default-embedding study explains the choice of model and layer.
    public static let defaultModel = "msd-musicnn"

    /// A model whose official weights are a PyTorch checkpoint the user downloads and imports.
    public struct ImportableModel: Sendable {
        public let name: String
        /// The official file name.
        public let checkpointFile: String
        public let officialURL: String
        public let spec: TorchImportSpec
    }

    public static let importable: [ImportableModel] = TorchImporter.officialDownloads.map { entry in
        let spec = entry.model == "vggish" ? VGGish.importSpec
            : PANNsCNN14.importSpec(entry.model == PANNsCNN14.Variant.khz16.rawValue ? .khz16 : .khz32)
        return ImportableModel(name: entry.model, checkpointFile: entry.file, officialURL: entry.url, spec: spec)
    }

    /// Names accepted by `fad models import` and `fad models fetch`.
    public static var importableNames: [String] { importable.map(\.name) }

    /// Where a model's weights are, or how to get them.
    public enum Availability: Equatable {
        /// Committed with fad (the repository's Models/ folder).
        case embedded(URL)
        /// Imported by the user (or found under $FAD_MODEL_DIR).
        case installed(URL)
        /// Not installed yet; the text says how to install it.
        case importable(String)
    }

    /// The weights file a model loads, relative to a model folder.
    static func weightsFile(of name: String) -> String {
        switch name {
        case "msd-musicnn": return "musicnn/MSD_musicnn.safetensors"
        case "mtt-musicnn": return "musicnn/MTT_musicnn.safetensors"
        case "msd-vgg": return "musicnn/MSD_vgg.safetensors"
        case "mtt-vgg": return "musicnn/MTT_vgg.safetensors"
        default: return "\(name).safetensors"
        }
    }

    public static func availability(of name: String, store: ModelStore = .default) -> Availability {
        if let url = try? store.url(for: weightsFile(of: name)) {
            let repository = ModelStore.repositoryModels.standardizedFileURL.path + "/"
            return url.standardizedFileURL.path.hasPrefix(repository) ? .embedded(url) : .installed(url)
        }
        if let entry = importable.first(where: { $0.name == name }) {
            return .importable("download \(entry.checkpointFile) and run `fad models import \(name) FILE`, or `fad models fetch \(name)`")
        }
        return .importable("weights file \(weightsFile(of: name)) not found")
    }

    /// Converts an official checkpoint into `<user model folder>/<name>.safetensors`, checking
    /// every tensor's name and shape. Returns the written file.
    @discardableResult
    public static func importCheckpoint(name: String, from checkpoint: URL,
                                        into directory: URL = ModelStore.userDirectory) throws -> URL {
        guard let entry = importable.first(where: { $0.name == name }) else {
            throw ModelError(path: name, kind: .unknownModel,
                             reason: "cannot be imported; importable: \(importableNames.joined(separator: ", "))")
        }
        return try TorchImporter.importCheckpoint(checkpoint, spec: entry.spec, into: directory)
    }
}

extension ModelStore {
    /// Where imported models go: `$FAD_MODEL_DIR` when set, else `~/.local/share/fad/models`
    /// (both are on the default search path).
    public static var userDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["FAD_MODEL_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/fad/models")
    }
}
