import FADArrays
import Foundation

/// The mel scale used to place the band edges.
public enum MelScale: String, Codable, Hashable, Sendable {
    /// `2595 log10(1 + f / 700)` (librosa `htk=True`). With `MelFilterStyle.vggish` the
    /// equivalent `1127 ln(1 + f / 700)` of VGGish's `mel_features.py` is used; the constant
    /// cancels in the triangles, only rounding differs.
    case htk
    /// Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above (librosa's default).
    case slaney
}

/// Scaling of each triangular filter.
public enum MelNormalization: String, Codable, Hashable, Sendable {
    /// Peak 1.
    case none
    /// Unit area: each triangle times `2 / (upper edge Hz - lower edge Hz)` (librosa `norm='slaney'`).
    case slaney
}

/// How the triangles are drawn between the mel-spaced edges.
public enum MelFilterStyle: String, Codable, Hashable, Sendable {
    /// `librosa.filters.mel`: triangles linear in Hz between mel-spaced edge frequencies,
    /// FFT bins at `k * sr / n_fft`.
    case librosa
    /// VGGish `spectrogram_to_mel_matrix`: triangles linear in mel, bin frequencies
    /// `linspace(0, sr / 2, n_fft / 2 + 1)`, the DC bin's weights set to zero.
    case vggish
}

/// What a mel filterbank is, independent of the FFT it is applied to.
public struct MelConfiguration: Codable, Hashable, Sendable {
    public var bands: Int
    public var minimumFrequency: Double
    public var maximumFrequency: Double
    public var scale: MelScale
    public var normalization: MelNormalization
    public var style: MelFilterStyle

    public init(bands: Int, minimumFrequency: Double, maximumFrequency: Double,
                scale: MelScale = .slaney, normalization: MelNormalization = .slaney,
                style: MelFilterStyle = .librosa) {
        self.bands = bands
        self.minimumFrequency = minimumFrequency
        self.maximumFrequency = maximumFrequency
        self.scale = scale
        self.normalization = normalization
        self.style = style
    }
}

/// A mel filterbank: `weights[band, bin]` applied to `n_fft / 2 + 1` spectrum bins.
///
/// Built in Double and stored in Float; kept also as one contiguous non-zero range per band,
/// since each triangle touches only a few bins.
public struct MelFilterbank: Sendable {
    public let configuration: MelConfiguration
    public let sampleRate: Int
    public let fftLength: Int
    /// `[bands, fftLength / 2 + 1]`, row-major, like `librosa.filters.mel` (VGGish's matrix is
    /// the transpose of this).
    public let weights: Matrix<Float>
    /// For each band, the first non-zero bin and its non-zero weights.
    let sparse: [(start: Int, weights: [Float])]

    public init(_ configuration: MelConfiguration, sampleRate: Int, fftLength: Int) {
        self.configuration = configuration
        self.sampleRate = sampleRate
        self.fftLength = fftLength
        let bins = fftLength / 2 + 1
        let dense: [[Double]]
        switch configuration.style {
        case .librosa: dense = MelFilterbank.librosaWeights(configuration, sampleRate: sampleRate, fftLength: fftLength)
        case .vggish: dense = MelFilterbank.vggishWeights(configuration, sampleRate: sampleRate, bins: bins)
        }
        var values: [Float] = []
        values.reserveCapacity(configuration.bands * bins)
        var sparse: [(start: Int, weights: [Float])] = []
        for row in dense {
            let floats = row.map { Float($0) }
            values.append(contentsOf: floats)
            if let first = floats.firstIndex(where: { $0 != 0 }), let last = floats.lastIndex(where: { $0 != 0 }) {
                sparse.append((first, Array(floats[first ... last])))
            } else {
                sparse.append((0, []))
            }
        }
        weights = Matrix(rows: configuration.bands, columns: bins, values: values)
        self.sparse = sparse
    }

    // MARK: - Scales (librosa.hz_to_mel / mel_to_hz)

    static func hzToMel(_ f: Double, _ scale: MelScale) -> Double {
        switch scale {
        case .htk: return 2595.0 * log10(1.0 + f / 700.0)
        case .slaney:
            let fSp = 200.0 / 3
            let minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27.0
            return f >= minLogHz ? minLogMel + log(f / minLogHz) / logStep : f / fSp
        }
    }

    static func melToHz(_ m: Double, _ scale: MelScale) -> Double {
        switch scale {
        case .htk: return 700.0 * (pow(10.0, m / 2595.0) - 1.0)
        case .slaney:
            let fSp = 200.0 / 3
            let minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27.0
            return m >= minLogMel ? minLogHz * exp(logStep * (m - minLogMel)) : fSp * m
        }
    }

    /// `numpy.linspace(start, stop, count)` including its rounding (last point exactly `stop`).
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let step = (stop - start) / Double(count - 1)
        var out = (0 ..< count).map { Double($0) * step + start }
        out[count - 1] = stop
        return out
    }

    private static func librosaWeights(_ c: MelConfiguration, sampleRate: Int, fftLength: Int) -> [[Double]] {
        let bins = fftLength / 2 + 1
        let binSpacing = 1.0 / (Double(fftLength) / Double(sampleRate))  // np.fft.rfftfreq
        let fftFrequencies = (0 ..< bins).map { Double($0) * binSpacing }
        let melEdges = linspace(hzToMel(c.minimumFrequency, c.scale), hzToMel(c.maximumFrequency, c.scale), c.bands + 2)
        let hzEdges = melEdges.map { melToHz($0, c.scale) }
        var rows: [[Double]] = []
        for i in 0 ..< c.bands {
            let lowerWidth = hzEdges[i + 1] - hzEdges[i], upperWidth = hzEdges[i + 2] - hzEdges[i + 1]
            let norm = c.normalization == .slaney ? 2.0 / (hzEdges[i + 2] - hzEdges[i]) : 1.0
            rows.append(fftFrequencies.map { f in
                let lower = -(hzEdges[i] - f) / lowerWidth
                let upper = (hzEdges[i + 2] - f) / upperWidth
                return max(0, min(lower, upper)) * norm
            })
        }
        return rows
    }

    private static func vggishWeights(_ c: MelConfiguration, sampleRate: Int, bins: Int) -> [[Double]] {
        func mel(_ f: Double) -> Double {
            switch c.scale {
            case .htk: return 1127.0 * log(1.0 + f / 700.0)
            case .slaney: return hzToMel(f, .slaney)
            }
        }
        let binMels = linspace(0, Double(sampleRate) / 2, bins).map(mel)
        let edges = linspace(mel(c.minimumFrequency), mel(c.maximumFrequency), c.bands + 2)
        var rows: [[Double]] = []
        for i in 0 ..< c.bands {
            let (lower, center, upper) = (edges[i], edges[i + 1], edges[i + 2])
            var row = binMels.map { m in max(0, min((m - lower) / (center - lower), (upper - m) / (upper - center))) }
            row[0] = 0
            if c.normalization == .slaney {
                let norm = 2.0 / (melToHz(upper, .htk) - melToHz(lower, .htk))
                row = row.map { $0 * norm }
            }
            rows.append(row)
        }
        return rows
    }
}
