import Foundation

/// What `fad models list` shows: which models ship with fad, which a user imports from official
/// checkpoints (``TorchModels``), and where each one's weights are.
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

    /// Where `name`'s weights would be loaded from by `store`.
    public static func availability(of name: String, store: ModelStore = .default) -> Availability {
        let file = weightsFile(of: name)
        switch store.locate(file) {
        case .embedded: return .embedded(file)
        case .file(let url): return .installed(url)
        case nil: break
        }
        let importName = name == "vggish-google" ? "vggish" : name
        if let download = TorchModels.download(for: importName) {
            return .notInstalled("download \(download.file) and run `fad models import \(importName) FILE`, or `fad models fetch \(importName)`")
        }
        return .notInstalled("weights file \(file) not found")
    }
}
