import Foundation
import FADArrays
import FADFeatures

/// One layer a model can expose as an embedding.
public struct LayerDescriptor: Sendable, Hashable {
    public let name: String
    public let dimension: Int

    public init(name: String, dimension: Int) { self.name = name; self.dimension = dimension }
}

/// What a model is: its id, the audio and front end it expects, its windows, layers and labels,
/// and a digest of its weights (so that caches keyed on it change when the weights change).
public struct ModelDescriptor: Sendable {
    /// Registry id, e.g. "msd-musicnn".
    public let name: String
    /// Mono samples per second that `analyze(samples:)` expects.
    public let sampleRate: Int
    /// Audio channels the model reads (1: files are mixed down to mono).
    public let channels: Int
    /// The log-mel front end the model expects (FADFeatures); nil for a waveform model.
    public let frontEnd: FrontEndConfiguration?
    /// Input steps per model window: front-end frames (187 = 3 s for musicnn), or samples for a
    /// waveform model.
    public let windowFrames: Int
    /// Samples per input step (the front end's hop, 256 for musicnn; 1 for a waveform model), to
    /// convert windows to time.
    public let frameHop: Int
    public let layers: [LayerDescriptor]
    /// The layer a FAD computation uses by default.
    public let defaultLayer: String
    /// Output tags, in logit order.
    public let labels: [String]
    /// FNV-1a 64 of the weights file, in hex.
    public let weightsDigest: String

    public init(name: String, sampleRate: Int, channels: Int = 1, frontEnd: FrontEndConfiguration?, windowFrames: Int, frameHop: Int,
                layers: [LayerDescriptor], defaultLayer: String, labels: [String], weightsDigest: String) {
        self.name = name; self.sampleRate = sampleRate; self.channels = channels; self.frontEnd = frontEnd
        self.windowFrames = windowFrames; self.frameHop = frameHop; self.layers = layers
        self.defaultLayer = defaultLayer; self.labels = labels; self.weightsDigest = weightsDigest
    }

    /// The front-end configuration as one stable string (sorted-key JSON), for cache keys and
    /// statistics metadata. How a model cuts windows beyond that (VGGish's framings) is part of
    /// its id.
    public var processingDescription: String {
        guard let frontEnd else { return "{\"waveform\":{\"channels\":\(channels),\"sampleRate\":\(sampleRate)}}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(frontEnd)).map { String(decoding: $0, as: UTF8.self) } ?? "\(frontEnd)"
    }

    /// The layer named `name`, or `.unknownLayer`.
    public func layer(_ name: String) throws -> LayerDescriptor {
        guard let layer = layers.first(where: { $0.name == name }) else {
            throw ModelError(path: self.name, kind: .unknownLayer,
                             reason: "no layer \"\(name)\"; layers: \(layers.map(\.name).joined(separator: ", "))")
        }
        return layer
    }
}

/// Per-window outputs of a model: one row per window.
public struct ModelOutput: Sendable {
    /// The requested layers, each [windows, dimension].
    public var embeddings: [String: Matrix<Float>]
    /// [windows, labels], before the output activation.
    public var logits: Matrix<Float>?
    /// [windows, labels]: sigmoid of the logits for the musicnn taggers.
    public var probabilities: Matrix<Float>?
    /// First front-end frame of each window.
    public var windowStarts: [Int]

    public init(embeddings: [String: Matrix<Float>], logits: Matrix<Float>?, probabilities: Matrix<Float>?,
                windowStarts: [Int]) {
        self.embeddings = embeddings; self.logits = logits; self.probabilities = probabilities
        self.windowStarts = windowStarts
    }
}

/// A pretrained audio model that maps mono audio to per-window embeddings (and tags).
public protocol AudioEmbeddingModel: AnyObject, Sendable {
    var descriptor: ModelDescriptor { get }
    /// samples: mono at `descriptor.sampleRate`. Returns per-window outputs; `windowHop` in
    /// front-end frames (nil = the model's default, which for musicnn is one window: no overlap).
    func analyze(samples: [Float], layers: Set<String>, windowHop: Int?) throws -> ModelOutput
}
