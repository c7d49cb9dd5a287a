import FADArrays

/// The classifier outputs a model exposes besides its embedding layers, as pseudo-layers that
/// the extractor and the cache treat like any other layer, and how window outputs become one
/// vector per file.
public enum ClassifierLayers {
    /// Pre-activation outputs, `[windows, labels]`.
    public static let logitsLayer = "logits"
    /// Label probabilities (sigmoid or softmax, as the model defines), `[windows, labels]`.
    public static let probabilitiesLayer = "probabilities"
    static let layers: Set<String> = [logitsLayer, probabilitiesLayer]

    /// A file's tag probabilities: the mean over its windows, as musicnn's tagger averages its
    /// taggram.
    public static func clipProbabilities(_ windows: Matrix<Float>) -> [Float] { columnMeans(windows) }

    /// A file's logits: the mean over its windows, as stable-audio-metrics averages window
    /// logits before its softmax. KL, IS and the other label metrics start from these.
    public static func clipLogits(_ windows: Matrix<Float>) -> [Float] { columnMeans(windows) }

    static func columnMeans(_ m: Matrix<Float>) -> [Float] {
        var sums = [Double](repeating: 0, count: m.columns)
        for r in 0..<m.rows { for c in 0..<m.columns { sums[c] += Double(m[r, c]) } }
        return sums.map { Float($0 / Double(max(m.rows, 1))) }
    }
}
