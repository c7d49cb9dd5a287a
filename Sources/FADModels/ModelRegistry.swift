/// The models `fad` knows, by id. Everything else about a model (import names, weights files,
/// official URLs and digests, what `fad models list` shows) derives from ``specs``.
public enum ModelRegistry {
    /// Every architecture: one line per model file under Models/. Each declares the ids it
    /// serves (``AudioNetwork/specs``).
    static let networks: [any AudioNetwork.Type] = [
        MusiCNN.self,
        MusicnnVGG.self,
        VGGish.self,
        PANNsCNN14.self,
        PANNsWavegramLogmelCNN14.self,
        CLAP.self,
        PaSST.self,
        EnCodec.self,
        MERT.self,
    ]

    /// The spec of every id, in ``networks`` order.
    public static let specs: [ModelSpec] = networks.flatMap { $0.specs }

    /// The spec of `id`, or `.unknownModel` listing the ids.
    public static func spec(_ id: String) throws -> ModelSpec {
        guard let spec = specs.first(where: { $0.id == id }) else {
            throw ModelError(path: id, kind: .unknownModel, reason: "unknown model; known: \(names.joined(separator: ", "))")
        }
        return spec
    }

    /// The checkpoints `fad models import NAME FILE` accepts, one per import name (several ids
    /// may share one import: VGGish's two framings).
    public static var imports: [(name: String, checkpoint: OfficialCheckpoint, spec: TorchImportSpec)] {
        var seen: Set<String> = []
        return specs.compactMap(\.officialImport).filter { seen.insert($0.name).inserted }
    }

    /// id -> loader, built from ``networks``.
    static let loaders: [String: @Sendable (ModelStore) throws -> AudioEmbeddingModel] = {
        var loaders: [String: @Sendable (ModelStore) throws -> AudioEmbeddingModel] = [:]
        for network in networks {
            for spec in network.specs { loaders[spec.id] = loader(network, spec) }
        }
        return loaders
    }()

    private static func loader<Network: AudioNetwork>(_ network: Network.Type, _ spec: ModelSpec) -> @Sendable (ModelStore) throws -> AudioEmbeddingModel {
        { store in try NetworkModel<Network>(spec: spec, store: store) }
    }

    /// Known model ids, sorted.
    public static var names: [String] { specs.map(\.id).sorted() }

    /// Loads a model by id, or throws `.unknownModel` listing the ids.
    public static func load(_ name: String, store: ModelStore = .default) throws -> AudioEmbeddingModel {
        guard let loader = loaders[name] else {
            throw ModelError(path: name, kind: .unknownModel, reason: "unknown model; known: \(names.joined(separator: ", "))")
        }
        return try loader(store)
    }
}
