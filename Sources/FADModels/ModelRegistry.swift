/// The models `fad` knows, by id.
public enum ModelRegistry {
    /// id -> loader. Add an entry per model (one architecture file each under Models/): the
    /// shipped musicnn family here, the imported PyTorch models from ``TorchModels``.
    static let loaders = shipped.merging(TorchModels.loaders) { shipped, _ in shipped }

    private static let shipped: [String: @Sendable (ModelStore) throws -> AudioEmbeddingModel] = [
        "msd-musicnn": { try MusiCNN(.msd, store: $0) },
        "mtt-musicnn": { try MusiCNN(.mtt, store: $0) },
        "msd-vgg": { try MusicnnVGG(.msd, store: $0) },
        "mtt-vgg": { try MusicnnVGG(.mtt, store: $0) },
    ]

    /// Known model ids, sorted.
    public static var names: [String] { loaders.keys.sorted() }

    /// Loads a model by id, or throws `.unknownModel` listing the ids.
    public static func load(_ name: String, store: ModelStore = .default) throws -> AudioEmbeddingModel {
        guard let loader = loaders[name] else {
            throw ModelError(path: name, kind: .unknownModel, reason: "unknown model; known: \(names.joined(separator: ", "))")
        }
        return try loader(store)
    }
}
