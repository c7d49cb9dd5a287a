import FADMetrics
import Foundation

/// Every setting a toolkit preset (`fad REF GEN --preset NAME`) chose, as recorded in the JSON
/// report, so that a number can be traced to the convention it reproduces.
public struct PresetSettings: Codable, Sendable, Equatable {
    /// The preset's name ("fadtk", "audiocraft", "stable-audio-metrics", "av-benchmark").
    public var name: String
    /// The toolkit whose published code the preset follows.
    public var toolkit: String
    /// The model the preset calls for, and the one used (they differ when `--model` overrode it).
    public var presetModel: String
    public var model: String
    public var layer: String?
    /// How clips are cut into windows: "every-hop" (fadtk), "consecutive" (audiocraft),
    /// "stable-audio-metrics", or "model" (the model's own sliding windows).
    public var windows: String
    /// Analysis window length and hop in seconds.
    public var windowSeconds: Double?
    public var hopSeconds: Double?
    /// What is done to each file's samples before the model: "none", "peak:-1dB", "int16".
    public var audioNormalization: String
    /// KL divergence convention (nil for a preset without KL).
    public var klPreset: KLPreset?
    public var klAggregation: KLAggregation?
    public var klDirection: KLDirection?
    /// The metrics the preset reports.
    public var metrics: [String]
    /// Whether embeddings are rounded to float16 before the statistics (fadtk stores them so).
    public var float16Embeddings: Bool = false

    public init(name: String, toolkit: String, presetModel: String, model: String, layer: String?, windows: String,
                windowSeconds: Double?, hopSeconds: Double?, audioNormalization: String,
                klPreset: KLPreset?, klAggregation: KLAggregation?, klDirection: KLDirection?, metrics: [String],
                float16Embeddings: Bool = false) {
        self.name = name; self.toolkit = toolkit; self.presetModel = presetModel; self.model = model; self.layer = layer; self.windows = windows
        self.windowSeconds = windowSeconds; self.hopSeconds = hopSeconds; self.audioNormalization = audioNormalization
        self.klPreset = klPreset; self.klAggregation = klAggregation; self.klDirection = klDirection; self.metrics = metrics
        self.float16Embeddings = float16Embeddings
    }
}
