import FADArrays
import FADModels
import Foundation

/// How a toolkit cuts a clip into the fixed-length windows its model sees, when that differs
/// from the model's own sliding windows: each window is cut from the samples, zero-padded to
/// `windowSeconds` where the toolkit pads it, and run through the model on its own, and the rows
/// of all windows are stacked in order. Starts, for a clip of n samples, window w and hop h samples:
///
/// - `everyHop` (fadtk `CLAPLaionModel`): `range(0, n, h)`, every window zero-padded.
/// - `stableAudioMetrics` (`return_probabilities`): `range(0, max(h, n - h), h)`; a short window
///   is zero-padded only when longer than 15 % of w (`int(w * 0.15)` samples), else fed as it is.
/// - `consecutive` (audiocraft `PasstKLDivergenceMetric._process_audio`): `torch.split(wav, w)`,
///   keeping segments longer than `minimumSeconds` (0.15 s), fed unpadded ("we don't pad ... as
///   this otherwise affects the KLD computation").
/// - `first` (av-benchmark `extract.py`): the first window only, `wav[..., :w]` or zero-padded.
/// - `whole` (fadtk's models other than CLAP): the file in one pass through the model's own
///   windows, cut after `windowSeconds` when that is positive (`EncodecEmbModel.load_wav`: 3
///   minutes; `MERTModel`: `limit_minutes=6`), never padded.
///
/// An unpadded window goes to the model as it is (PaSST runs any length from 4801 samples with
/// its positional embeddings cut to the frames present, as hear21passt does).
///
/// `float16Embeddings` rounds every embedding value to IEEE half precision, as fadtk stores its
/// embeddings (`ModelLoader.get_embedding`: `embd.astype(np.float16)`), and merges each file's
/// statistics as fadtk's `calculate_embd_statistics_online` does: the file's mean is numpy's
/// mean of its float16 rows, itself float16 (``RunningStatistics/addFile(_:meanRoundedToFloat16:)``).
public struct ClipWindowing: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Layout: String, Sendable, Hashable, Codable {
        case everyHop = "every-hop"
        case stableAudioMetrics = "stable-audio-metrics"
        case consecutive
        case first
        case whole
    }

    public var layout: Layout
    public var windowSeconds: Double
    public var hopSeconds: Double
    /// Segments of at most this length are dropped (`consecutive` only).
    public var minimumSeconds: Double
    /// Round embeddings to Float16 (fadtk's stored embeddings); nil means no.
    public var float16Embeddings: Bool?

    public init(layout: Layout, windowSeconds: Double, hopSeconds: Double, minimumSeconds: Double = 0,
                float16Embeddings: Bool = false) {
        self.layout = layout; self.windowSeconds = windowSeconds; self.hopSeconds = hopSeconds; self.minimumSeconds = minimumSeconds
        self.float16Embeddings = float16Embeddings ? true : nil
    }

    public var description: String {
        "\(layout.rawValue) \(windowSeconds)s/\(hopSeconds)s" + (minimumSeconds > 0 ? " >\(minimumSeconds)s" : "")
            + (float16Embeddings == true ? " float16" : "")
    }

    /// Whether a window of `count` samples (shorter than the window length `w`) is zero-padded
    /// to `w` before the model sees it, as the toolkit does.
    public func pads(count: Int, windowSamples w: Int) -> Bool {
        switch layout {
        case .everyHop, .first: return true
        case .consecutive, .whole: return false
        case .stableAudioMetrics: return count > Int(Double(w) * 0.15)
        }
    }

    /// Window length in samples (`int(window_size * SAMPLING_RATE)` as the toolkits write it).
    public func windowSamples(sampleRate: Int) -> Int { max(1, Int(windowSeconds * Double(sampleRate))) }

    /// The sample ranges of the windows of a clip of `count` samples (a range shorter than the
    /// window is zero-padded by the caller).
    public func windows(count: Int, sampleRate: Int) -> [Range<Int>] {
        let w = windowSamples(sampleRate: sampleRate)
        let h = layout == .consecutive ? w : max(1, Int(hopSeconds * Double(sampleRate)))
        let end: Int
        switch layout {
        case .everyHop, .consecutive, .first, .whole: end = count
        case .stableAudioMetrics: end = max(h, count - h)
        }
        if layout == .first { return [0..<min(w, count)] }
        if layout == .whole { return [0..<(windowSeconds > 0 ? min(w, count) : count)] }
        let minimum = Int(minimumSeconds * Double(sampleRate))
        return stride(from: 0, to: end, by: h).compactMap { start in
            let range = start..<min(start + w, count)
            if layout == .consecutive && range.count <= minimum { return nil }
            return range
        }
    }

    /// Runs `model` on each window of `samples` on its own and stacks the rows of every output.
    func analyze(_ samples: [Float], model: AudioEmbeddingModel, layers: Set<String>) throws -> ModelOutput {
        let sampleRate = model.descriptor.sampleRate
        let w = windowSamples(sampleRate: sampleRate)
        var embeddings: [String: [Matrix<Float>]] = [:]
        var logits: [Matrix<Float>] = [], probabilities: [Matrix<Float>] = []
        var starts: [Int] = []
        // A model whose own window spans the toolkit's (CLAP and PaSST: 10 s) sees each cut as
        // one window: at its default hop it would cut the cut again (CLAP's default is fadtk's
        // 1 s hop, which would give ten zero-padded windows per cut instead of one).
        let modelWindowSamples = model.descriptor.windowFrames * max(1, model.descriptor.frameHop)
        let hop: Int? = layout != .whole && modelWindowSamples >= w ? model.descriptor.windowFrames : nil
        for range in windows(count: samples.count, sampleRate: sampleRate) {
            var window = Array(samples[range])
            if window.count < w && pads(count: window.count, windowSamples: w) {
                window += [Float](repeating: 0, count: w - window.count)
            }
            let output = try model.analyze(samples: window, layers: layers, windowHop: hop)
            for (layer, m) in output.embeddings {
                embeddings[layer, default: []].append(float16Embeddings == true ? m.roundedToFloat16() : m)
            }
            if let l = output.logits { logits.append(l) }
            if let p = output.probabilities { probabilities.append(p) }
            // Window starts are in front-end frames (samples / frame hop for a waveform model's 1).
            starts += output.windowStarts.map { $0 + range.lowerBound / max(1, model.descriptor.frameHop) }
        }
        func stack(_ parts: [Matrix<Float>]) -> Matrix<Float>? {
            guard let first = parts.first else { return nil }
            return Matrix(rows: parts.reduce(0) { $0 + $1.rows }, columns: first.columns, values: parts.flatMap(\.values))
        }
        return ModelOutput(embeddings: embeddings.compactMapValues(stack), logits: stack(logits),
                           probabilities: stack(probabilities), windowStarts: starts)
    }
}

extension Matrix where Scalar == Float {
    /// Every value rounded to the nearest IEEE half (ties to even), as numpy's `astype(np.float16)`.
    func roundedToFloat16() -> Matrix<Float> {
        Matrix(rows: rows, columns: columns, values: values.map { Float(Float16($0)) })
    }
}
