import Foundation
import FADArrays

/// Whether classifier outputs are logits (softmax applied) or probabilities (used as given).
public enum ClassifierOutput: String, Codable, Sendable {
    case logits
    case probabilities
}

/// How the N (shuffled) samples are cut into splits.
public enum InceptionScoreSplitting: String, Codable, Sendable {
    /// Split i holds rows `i·N/splits ..< (i+1)·N/splits` (integer division), as audioldm_eval
    /// `metrics/isc.py` and the original Inception Score code.
    case floorBoundaries = "floor-boundaries"
    /// `torch.chunk`: chunks of ⌈N/splits⌉ rows, the last one shorter (possibly fewer splits),
    /// as torchmetrics `InceptionScore`.
    case torchChunk = "torch-chunk"
}

/// Parameters of the Inception Score.
public struct InceptionScoreOptions: Codable, Hashable, Sendable {
    public var splits: Int
    /// Shuffle the samples before splitting (seeded).
    public var shuffle: Bool
    public var seed: UInt64
    /// Degrees of freedom of the reported standard deviation over splits: audioldm_eval uses
    /// `np.std` (0), torchmetrics `torch.std` (1).
    public var ddof: Int
    public var splitting: InceptionScoreSplitting
    public var input: ClassifierOutput

    public init(splits: Int = 10, shuffle: Bool = true, seed: UInt64 = 0, ddof: Int = 0,
                splitting: InceptionScoreSplitting = .floorBoundaries, input: ClassifierOutput = .logits) {
        self.splits = splits
        self.shuffle = shuffle
        self.seed = seed
        self.ddof = ddof
        self.splitting = splitting
        self.input = input
    }

    /// audioldm_eval's conventions (the default).
    public static let audioldmEval = InceptionScoreOptions()
    /// torchmetrics' conventions.
    public static let torchmetrics = InceptionScoreOptions(ddof: 1, splitting: .torchChunk)
}

public struct InceptionScoreResult: Codable, Hashable, Sendable {
    public var mean: Double
    public var std: Double
    public var splitScores: [Double]
    public var options: InceptionScoreOptions
}

/// Inception Score of classifier outputs (one row per generated file):
///
/// ```
/// IS_split = exp( mean_i Σ_c p_ic (log p_ic - log p̄_c) ),   p̄ = mean_i p_i over the split
/// ```
///
/// reported as mean and standard deviation over the splits. Computed in `Double`, `0·log 0 = 0`.
public func inceptionScore(_ outputs: Matrix<Double>, options: InceptionScoreOptions = .audioldmEval) throws -> InceptionScoreResult {
    var generator = SeededGenerator(seed: options.seed)
    let order = options.shuffle ? generator.permutation(outputs.rows) : Array(0..<outputs.rows)
    return try inceptionScore(outputs, order: order, options: options)
}

/// As `inceptionScore(_:options:)` with `Float` outputs.
public func inceptionScore(_ outputs: Matrix<Float>, options: InceptionScoreOptions = .audioldmEval) throws -> InceptionScoreResult {
    try inceptionScore(outputs.converted(to: Double.self), options: options)
}

/// Inception Score with the sample order given (`order` is a permutation of the rows; its
/// `shuffle`/`seed` options are ignored): for reproducing another implementation's shuffle.
public func inceptionScore(_ outputs: Matrix<Double>, order: [Int], options: InceptionScoreOptions) throws -> InceptionScoreResult {
    let n = outputs.rows, c = outputs.columns
    guard n > 0, c > 0 else { throw MetricsError.invalid("Inception Score: no classifier outputs") }
    guard order.count == n, Set(order).count == n, order.allSatisfy({ $0 >= 0 && $0 < n }) else {
        throw MetricsError.invalid("Inception Score: order is not a permutation of 0..<\(n)")
    }
    guard options.splits >= 1, options.splits <= n else {
        throw MetricsError.invalid("Inception Score: \(options.splits) splits of \(n) samples")
    }
    guard outputs.values.allSatisfy({ $0.isFinite }) else {
        throw MetricsError.invalid("Inception Score: classifier outputs contain NaN or infinity")
    }
    // log p per row.
    var logp = [Double](repeating: 0, count: n * c)
    var prob = [Double](repeating: 0, count: n * c)
    for r in 0..<n {
        let row = Array(outputs.row(r))
        switch options.input {
        case .logits:
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            for k in 0..<c {
                logp[r * c + k] = row[k] - lse
                prob[r * c + k] = exp(row[k] - lse)
            }
        case .probabilities:
            let s = row.reduce(0, +)
            guard row.allSatisfy({ $0 >= 0 }), abs(s - 1) <= 1e-4 else {
                throw MetricsError.invalid("Inception Score: row \(r) is not a probability vector (sum \(s))")
            }
            for k in 0..<c {
                logp[r * c + k] = row[k] > 0 ? log(row[k]) : -.infinity
                prob[r * c + k] = row[k]
            }
        }
    }
    var bounds: [Range<Int>] = []
    switch options.splitting {
    case .floorBoundaries:
        bounds = (0..<options.splits).map { i in (i * n / options.splits)..<((i + 1) * n / options.splits) }
    case .torchChunk:
        let size = (n + options.splits - 1) / options.splits
        bounds = stride(from: 0, to: n, by: size).map { $0..<min($0 + size, n) }
    }
    var scores: [Double] = []
    for range in bounds {
        guard !range.isEmpty else { throw MetricsError.invalid("Inception Score: an empty split (\(n) samples, \(options.splits) splits)") }
        var pbar = [Double](repeating: 0, count: c)
        for pos in range {
            let r = order[pos]
            for k in 0..<c { pbar[k] += prob[r * c + k] }
        }
        let logPbar = pbar.map { log($0 / Double(range.count)) }
        var meanKL = 0.0
        for pos in range {
            let r = order[pos]
            var kl = 0.0
            for k in 0..<c {
                let lp = logp[r * c + k]
                if lp > -.infinity { kl += prob[r * c + k] * (lp - logPbar[k]) }
            }
            meanKL += kl
        }
        scores.append(exp(meanKL / Double(range.count)))
    }
    let (mean, std) = meanAndStd(scores, ddof: options.ddof)
    return InceptionScoreResult(mean: mean, std: std, splitScores: scores, options: options)
}

/// Mean and standard deviation with `ddof` degrees of freedom (`NaN` std when undefined).
func meanAndStd(_ values: [Double], ddof: Int) -> (Double, Double) {
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    let ss = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    let denominator = n - Double(ddof)
    return (mean, denominator > 0 ? (ss / denominator).squareRoot() : .nan)
}
