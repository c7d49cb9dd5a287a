import Foundation

/// The conventions of the reference toolkits as named presets (`fad REF GEN --preset NAME`):
/// each selects model, windowing, audio normalisation and KL convention together, so that fad
/// reproduces the numbers the toolkit publishes. Read from their published code:
///
/// | preset | toolkit code | model | windows | audio | metric |
/// |---|---|---|---|---|---|
/// | `fadtk` | microsoft/fadtk `CLAPLaionModel` (`--model` another: its loader's whole-file pass) | `clap-laion-music` | 10 s from every 1 s, zero-padded (other models: the whole file, EnCodec cut at 3 min, MERT at 6); embeddings stored as float16, per-file float16 means merged (`calculate_embd_statistics_online`) | int16 round trip | FAD |
/// | `audiocraft` | audiocraft `metrics/kld.py` | `passt` | consecutive 10 s, unpadded, last kept if > 0.15 s | as decoded | KL(ref ‖ gen), softmax per segment, mean over segment pairs, ε = 1e-6 on gen |
/// | `stable-audio-metrics` | stable-audio-metrics `src/passt_kld.py` | `passt` | 10 s at 5 s hop below n - 5 s, zero-padded if > 1.5 s | peak -1 dB | KL(gen ‖ ref) of softmax(mean of window logits), ε = 1e-6 on ref |
/// | `av-benchmark` | hkchengrex/av-benchmark `extract.py` | `passt` layer `embedding` | the first 10 s, zero-padded | as decoded | FD |
/// | `kadtk` | YoonjinXD/kadtk `MERTModel` | `mert-v1-95m-kadtk` (layer 12) | the file's first 6 min in one pass, frames averaged over ~1 s blocks | as decoded | KAD |
/// | `mad` | i-need-sleep/mad `MERT330M` | `mert-v1-330m` layer 24 | the file in one pass (fad: first 6 min), max over frames | as decoded | MAD |
public enum ToolkitPreset: String, CaseIterable, Codable, Sendable {
    case fadtk
    case audiocraft
    case stableAudioMetrics = "stable-audio-metrics"
    case avBenchmark = "av-benchmark"
    case kadtk
    case mad

    public var toolkit: String {
        switch self {
        case .fadtk: return "microsoft/fadtk"
        case .audiocraft: return "facebookresearch/audiocraft"
        case .stableAudioMetrics: return "Stability-AI/stable-audio-metrics"
        case .avBenchmark: return "hkchengrex/av-benchmark"
        case .kadtk: return "YoonjinXD/kadtk"
        case .mad: return "i-need-sleep/mad"
        }
    }

    /// The model the toolkit uses.
    public var model: String {
        switch self {
        case .fadtk: return "clap-laion-music"
        case .audiocraft, .stableAudioMetrics, .avBenchmark: return "passt"
        // kadtk's MERT (`MERTModel`, 95M, layer 12, limit_minutes=6) with its 1 s mean pooling.
        case .kadtk: return "mert-v1-95m-kadtk"
        // MAD's `MERT330M.get_embedding(audio, layer=24, aggregation='max')`.
        case .mad: return "mert-v1-330m"
        }
    }

    /// The embedding layer, when not the model's default.
    public var layer: String? {
        switch self {
        case .avBenchmark: return "embedding"
        case .mad: return "24"
        default: return nil
        }
    }

    /// How the toolkit cuts clips into windows for its own model.
    public var windowing: ClipWindowing? { windowing(model: model) }

    /// How the toolkit cuts clips into windows for `model`. fadtk windows only CLAP; its other
    /// loaders take the whole file (EnCodec cut at 3 minutes, MERT at 6), and every one stores
    /// float16 embeddings.
    public func windowing(model: String) -> ClipWindowing? {
        if self == .fadtk && !model.hasPrefix("clap-laion") {
            let cut: Double = model.hasPrefix("encodec") ? 180 : model.hasPrefix("mert") ? 360 : 0
            return ClipWindowing(layout: .whole, windowSeconds: cut, hopSeconds: 0, float16Embeddings: true)
        }
        return toolkitWindowing
    }

    private var toolkitWindowing: ClipWindowing? {
        switch self {
        case .fadtk: return ClipWindowing(layout: .everyHop, windowSeconds: 10, hopSeconds: 1, float16Embeddings: true)
        case .audiocraft: return ClipWindowing(layout: .consecutive, windowSeconds: 10, hopSeconds: 10, minimumSeconds: 0.15)
        case .stableAudioMetrics: return ClipWindowing(layout: .stableAudioMetrics, windowSeconds: 10, hopSeconds: 5)
        case .avBenchmark: return ClipWindowing(layout: .first, windowSeconds: 10, hopSeconds: 10)
        // The file in one pass (MERT frames its input itself).
        case .kadtk, .mad: return nil
        }
    }

    /// The toolkit's own treatment of the samples for `model`: fadtk's int16 round trip is
    /// `CLAPLaionModel`'s; its other loaders read the 16-bit files it wrote as they are.
    public func audioNormalization(model: String) -> AudioNormalization {
        self == .fadtk && !model.hasPrefix("clap-laion") ? .none : audioNormalization
    }

    public var audioNormalization: AudioNormalization {
        switch self {
        case .fadtk: return .int16RoundTrip
        case .stableAudioMetrics: return .peak(decibels: -1)
        case .audiocraft, .avBenchmark, .kadtk, .mad: return .none
        }
    }

    /// The KL convention (its `aggregation` and `direction`), for the presets that report KL.
    public var klPreset: KLPreset? {
        switch self {
        case .audiocraft: return .audiocraft
        case .stableAudioMetrics: return .stableAudioMetrics
        case .fadtk, .avBenchmark, .kadtk, .mad: return nil
        }
    }

    public var metrics: Set<EvaluationMetric> {
        switch self {
        case .kadtk: return [.kad]
        case .mad: return [.mad]
        default: return klPreset == nil ? [.fad] : [.kld]
        }
    }

    /// Options with the preset's settings over `base`. `model` replaces the preset's model
    /// (then `base`'s layer, or the model's default, is used); the model must be one this build has.
    public func options(from base: EvaluationOptions, model: String? = nil) throws -> EvaluationOptions {
        let chosen = model ?? self.model
        guard ModelRegistry.names.contains(chosen) else {
            throw FADError(.usage, "preset '\(rawValue)' uses model '\(chosen)', which this build of fad does not have "
                           + "(available: \(ModelRegistry.names.joined(separator: ", ")))"
                           + (model == nil ? "; pass --model to run the preset's conventions with another model" : ""))
        }
        var options = base
        options.model = chosen
        options.layer = model == nil ? layer : base.layer
        options.hop = nil
        options.hopSeconds = nil
        options.clipWindowing = windowing(model: chosen)
        options.audioNormalization = audioNormalization(model: chosen)
        if let klPreset { options.klPreset = klPreset }
        options.metrics = metrics
        options.preset = self
        return options
    }
}
