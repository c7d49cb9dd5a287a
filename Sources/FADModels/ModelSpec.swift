import Foundation
import FADFeatures

/// What a model reads.
public enum ModelInput: Sendable, Hashable {
    /// A log-mel spectrogram from FADFeatures' front end; windows count frames and a batch is
    /// [windows, frames, bands, 1].
    case logMel(FrontEndConfiguration)
    /// The waveform at the spec's sample rate; windows count samples and a batch is
    /// [windows, samples, channels].
    case waveform
}

/// How one file's input (frames or samples) is cut into the windows a network sees.
public enum WindowPolicy: Sendable, Hashable {
    /// Windows of `length` every `hop` (a `--window-hop` replaces the hop). The tail that does
    /// not fill a window is dropped; a clip shorter than one window is zero-padded to one.
    case sliding(length: Int, hop: Int)
    /// The whole clip in one pass (the network pools over time itself, as PANNs do), zero-padded
    /// to at least `minimum`. A `--window-hop` cuts windows of `length` instead.
    case wholeClip(length: Int, minimum: Int)
}

/// What turns the network's logits into per-label scores.
public enum OutputActivation: String, Sendable, Hashable {
    /// Independent tags (musicnn, AudioSet's multi-label heads).
    case sigmoid
    /// One class out of many.
    case softmax
}

/// A digest that the publisher of an official file pinned, checked on import and fetch.
public enum PublishedDigest: Sendable, Hashable {
    /// The full SHA-256, hex.
    case sha256(String)
    /// The leading hex digits of the SHA-256 that torch.hub puts in the file name
    /// (`vggish-10086976.pth`), which `check_hash` verifies.
    case sha256Prefix(String)
    /// The MD5 that the hosting record lists (Zenodo), hex.
    case md5(String)
}

/// An official checkpoint that fad imports rather than ships (licence or size).
public struct OfficialCheckpoint: Sendable, Hashable {
    /// The file's published name.
    public var file: String
    public var url: String
    /// What the publisher pinned; nil where it published no digest.
    public var digest: PublishedDigest?

    public init(file: String, url: String, digest: PublishedDigest?) {
        self.file = file; self.url = url; self.digest = digest
    }
}

/// Where a model's weights come from.
public enum WeightsOrigin: Sendable {
    /// Shipped with fad: a safetensors file of the repository's Models/ (compiled into the binary),
    /// named relative to a model folder.
    case shipped(String)
    /// Converted by `fad models import NAME FILE` from an official PyTorch checkpoint into
    /// `<spec.modelName>.safetensors` in the user's model folder. Several ids may share one
    /// import (VGGish's two framings).
    case imported(OfficialCheckpoint, TorchImportSpec)
}

/// Where a model's label names come from.
public enum LabelSource: Sendable, Hashable {
    /// A model without a classifier head.
    case none
    /// One label per line in a model-folder file (shipped or imported), `count` lines.
    case file(String, count: Int)
}

/// Everything fad must know about one model id besides its forward pass: its input, windows,
/// layers, labels and weights. Each architecture file declares the specs of the ids it serves.
public struct ModelSpec: Sendable {
    /// Registry id, e.g. "msd-musicnn".
    public var id: String
    /// Samples per second the network expects.
    public var sampleRate: Int
    /// Audio channels the network reads (1: files are mixed down to mono).
    public var channels: Int
    public var input: ModelInput
    public var windows: WindowPolicy
    /// Samples per input step: the front end's hop, or 1 for waveforms (to place windows in time).
    public var inputHop: Int
    /// Embedding layers, each [windows, dimension]. A model with labels also offers its
    /// classifier outputs as the `logits` and `probabilities` pseudo-layers.
    public var layers: [LayerDescriptor]
    /// The layer a FAD computation uses by default.
    public var defaultLayer: String
    public var labels: LabelSource
    public var activation: OutputActivation
    public var weights: WeightsOrigin
    /// Windows per forward pass (bounds activation memory).
    public var batchSize: Int
    /// How the network frames a file itself, for a network that overrides
    /// ``AudioNetwork/windows(of:spec:frontEnd:hop:)`` (shown by `fad models list`); nil when
    /// `windows` says it all.
    public var framing: String? = nil

    public init(id: String, sampleRate: Int, channels: Int = 1, input: ModelInput, windows: WindowPolicy,
                layers: [LayerDescriptor], defaultLayer: String, labels: LabelSource = .none,
                activation: OutputActivation = .sigmoid, weights: WeightsOrigin, batchSize: Int = 16) {
        self.id = id; self.sampleRate = sampleRate; self.channels = channels; self.input = input
        self.windows = windows; self.layers = layers; self.defaultLayer = defaultLayer; self.labels = labels
        self.activation = activation; self.weights = weights; self.batchSize = batchSize
        switch input {
        case .logMel(let frontEnd): inputHop = frontEnd.hopLength
        case .waveform: inputHop = 1
        }
    }

    /// The weights file the model loads, relative to a model folder.
    public var weightsFile: String {
        switch weights {
        case .shipped(let file): return file
        case .imported(_, let importSpec): return "\(importSpec.modelName).safetensors"
        }
    }

    /// The import name (`fad models import NAME`) and checkpoint of an imported model.
    public var officialImport: (name: String, checkpoint: OfficialCheckpoint, spec: TorchImportSpec)? {
        if case .imported(let checkpoint, let importSpec) = weights { return (importSpec.modelName, checkpoint, importSpec) }
        return nil
    }

    /// The log-mel front end, for spectrogram models.
    public var frontEnd: FrontEndConfiguration? {
        if case .logMel(let configuration) = input { return configuration }
        return nil
    }
}
