import FADArrays
import FADStats

/// One generated file's own Fréchet distance to the reference statistics.
public struct PerSongScore: Codable, Hashable, Sendable {
    public var name: String
    /// FD between this file's frame statistics and the reference.
    public var fad: Double
    /// Robust outlier score `(fad - median) / (1.4826 · MAD)` over all scored files: ≈ a z-score
    /// for normally distributed scores, insensitive to the outliers themselves. `nil` when the
    /// MAD is zero (fewer than three files, or most files scoring alike).
    public var robustZ: Double?
    /// Number of embedding frames of the file.
    public var frames: Int
}

/// fadtk's `--indiv` scores, plus a robust z beside each raw value, sorted worst (largest FD)
/// first; ties keep name order.
///
/// Each file's covariance comes from its own frames and is usually rank-deficient (31 frames in
/// 128 dimensions); the distance is still exact (see `FrechetReference`), and a file with one
/// frame has a zero covariance. The reference is decomposed once for all files.
///
/// - Throws: on a file with no frames or of the wrong dimension, naming it.
public func perSongFAD(reference: GaussianStatistics,
                       songs: [(name: String, frames: Matrix<Float>)]) throws -> [PerSongScore] {
    let prepared = try FrechetReference(reference)
    var scores: [PerSongScore] = []
    for song in songs {
        guard song.frames.columns == reference.dimension else {
            throw MetricsError.invalid("embedding has \(song.frames.columns) dimensions, reference has \(reference.dimension)",
                                       subject: song.name)
        }
        guard song.frames.rows > 0 else { throw MetricsError.invalid("no embedding frames", subject: song.name) }
        let fd = try prepared.distance(frames: song.frames, subject: song.name)
        scores.append(PerSongScore(name: song.name, fad: fd.value, robustZ: nil, frames: song.frames.rows))
    }
    let z = robustZScores(scores.map(\.fad))
    for k in scores.indices { scores[k].robustZ = z[k] }
    return scores.sorted { $0.fad != $1.fad ? $0.fad > $1.fad : $0.name < $1.name }
}

/// `(x - median) / (1.4826 · median |x - median|)`; the constant makes the MAD estimate the
/// standard deviation of normal data. All `nil` when the MAD is zero.
public func robustZScores(_ values: [Double]) -> [Double?] {
    guard !values.isEmpty else { return [] }
    let med = median(values)
    let mad = median(values.map { abs($0 - med) })
    guard mad > 0 else { return values.map { _ in nil } }
    return values.map { ($0 - med) / (1.4826 * mad) }
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
