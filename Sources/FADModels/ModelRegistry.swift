/// The models `fad` knows, by id.
public enum ModelRegistry {
    /// Every architecture on the model seam: one line per model file under Models/. Each
    /// declares the ids it serves (``AudioNetwork/specs``).
    static let networks: [any AudioNetwork.Type] = [
        PANNsCNN14.self,
        EnCodec.self,
    ]

    /// The spec of every id served through ``networks``.
    public static let specs: [ModelSpec] = networks.flatMap { $0.specs }

    /// The checkpoints `fad models import NAME FILE` accepts, one per import name.
    public static var imports: [(name: String, checkpoint: OfficialCheckpoint, spec: TorchImportSpec)] {
        var seen: Set<String> = []
        return specs.compactMap(\.officialImport).filter { seen.insert($0.name).inserted }
    }

    /// id -> loader: the networks on the seam, then the models still adapted by hand.
    static let loaders: [String: @Sendable (ModelStore) throws -> AudioEmbeddingModel] = {
        var loaders = shipped.merging(TorchModels.loaders) { shipped, _ in shipped }
        for network in networks {
            for spec in network.specs { loaders[spec.id] = loader(network, spec) }
        }
        return loaders
    }()

    private static func loader<Network: AudioNetwork>(_ network: Network.Type, _ spec: ModelSpec) -> @Sendable (ModelStore) throws -> AudioEmbeddingModel {
        { store in try NetworkModel<Network>(spec: spec, store: store) }
    }

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
