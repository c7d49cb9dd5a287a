import Foundation

/// What `fad models list` shows: which models ship with fad, which a user imports from official
/// checkpoints (``TorchModels``), and where each one's weights are.
public enum ModelCatalog {
    /// The model `fad` uses when none is named. musicnn ships with fad, so the default needs no
    /// download; the README's default-embedding study explains the choice of model and layer.
    public static let defaultModel = "msd-musicnn"

    /// Where a model's weights are, or how to get them.
    public enum Availability: Equatable {
        /// Committed with fad (the repository's Models/ folder).
        case embedded(URL)
        /// Imported by the user (or found under $FAD_MODEL_DIR).
        case installed(URL)
        /// Not installed yet; the text says how to install it.
        case notInstalled(String)
    }

    /// The weights file a model loads, relative to a model folder.
    static func weightsFile(of name: String) -> String {
        switch name {
        case "msd-musicnn": return "musicnn/MSD_musicnn.safetensors"
        case "mtt-musicnn": return "musicnn/MTT_musicnn.safetensors"
        case "msd-vgg": return "musicnn/MSD_vgg.safetensors"
        case "mtt-vgg": return "musicnn/MTT_vgg.safetensors"
        case "vggish-google": return "vggish.safetensors"
        default: return "\(name).safetensors"
        }
    }

    public static func availability(of name: String, store: ModelStore = .default) -> Availability {
        if let url = try? store.url(for: weightsFile(of: name)) {
            let repository = ModelStore.repositoryModels.standardizedFileURL.path + "/"
            return url.standardizedFileURL.path.hasPrefix(repository) ? .embedded(url) : .installed(url)
        }
        let importName = name == "vggish-google" ? "vggish" : name
        if let download = TorchModels.download(for: importName) {
            return .notInstalled("download \(download.file) and run `fad models import \(importName) FILE`, or `fad models fetch \(importName)`")
        }
        return .notInstalled("weights file \(weightsFile(of: name)) not found")
    }
}
