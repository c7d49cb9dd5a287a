import FADArrays
import Foundation

/// MAUVE's parameters; the defaults are mauve-text's `compute_mauve` defaults, which MAD uses.
public struct MAUVEOptions: Codable, Hashable, Sendable {
    /// Fraction of variance the PCA keeps (0.9).
    public var explainedVariance: Double
    /// Number of k-means clusters; `nil`: max(2, round(min(n, m) / 10)), Python's round.
    public var clusters: Int?
    public var restarts: Int
    public var maxIterations: Int
    /// Points of the divergence curve (25) and its scaling constant c (5).
    public var curvePoints: Int
    public var scaling: Double
    public var seed: UInt64

    public init(explainedVariance: Double = 0.9, clusters: Int? = nil, restarts: Int = 5, maxIterations: Int = 500,
                curvePoints: Int = 25, scaling: Double = 5, seed: UInt64 = 25) {
        self.explainedVariance = explainedVariance
        self.clusters = clusters
        self.restarts = restarts
        self.maxIterations = maxIterations
        self.curvePoints = curvePoints
        self.scaling = scaling
        self.seed = seed
    }
}

public struct MAUVEResult: Codable, Hashable, Sendable {
    /// MAUVE in (0, 1]; 1 when the histograms are equal.
    public var mauve: Double
    /// MAD = -ln MAUVE (Huang et al. 2025): 0 for equal histograms, larger is worse.
    public var mad: Double
    public var clusters: Int
    /// PCA components kept.
    public var pcaComponents: Int
    public var generatedHistogram: [Double]
    public var referenceHistogram: [Double]
    /// The divergence curve, (x, y) points including the two extremes, as mauve-text returns it.
    public var divergenceCurve: [[Double]]
}

/// MAUVE(generated, reference) (Pillutla et al. 2021, mauve-text `compute_mauve` with
/// p = generated, q = reference) on one feature vector per sample:
///
/// 1. rows of both sets (reference first) L2-normalised;
/// 2. PCA fitted on them, keeping the fewest leading components that reach
///    `explainedVariance` of the variance;
/// 3. k-means (`KMeans`) into `clusters` groups; each set's histogram over the groups;
/// 4. the divergence curve and its area (`mauve(generatedHistogram:referenceHistogram:…)`).
///
/// MAD is `-ln MAUVE`.
public func mauve(generated: Matrix<Float>, reference: Matrix<Float>, options: MAUVEOptions = MAUVEOptions()) throws -> MAUVEResult {
    guard generated.columns == reference.columns else {
        throw MetricsError.dimensionMismatch("MAUVE generated vs reference", generated.columns, reference.columns)
    }
    guard generated.rows >= 1, reference.rows >= 1 else { throw MetricsError.invalid("MAUVE needs samples in both sets") }
    guard generated.values.allSatisfy({ $0.isFinite }), reference.values.allSatisfy({ $0.isFinite }) else {
        throw MetricsError.invalid("MAUVE input holds NaN or infinity")
    }
    guard options.explainedVariance > 0, options.explainedVariance < 1 else {
        throw MetricsError.invalid("MAUVE explained variance must be in (0, 1)")
    }
    let n = reference.rows + generated.rows, d = reference.columns
    let k = options.clusters ?? max(2, Int((Double(min(generated.rows, reference.rows)) / 10).rounded(.toNearestOrEven)))
    guard k >= 1, k <= n else { throw MetricsError.invalid("MAUVE: \(k) clusters for \(n) samples") }
    var x = [Double](repeating: 0, count: n * d)
    for (offset, m) in [(0, reference), (reference.rows, generated)] {
        for i in 0..<m.rows {
            var norm = 0.0
            for j in 0..<d { norm += Double(m.values[i * d + j]) * Double(m.values[i * d + j]) }
            // sklearn's normalize leaves an all-zero row as it is.
            let scale = norm > 0 ? 1 / norm.squareRoot() : 1
            for j in 0..<d { x[(offset + i) * d + j] = Double(m.values[i * d + j]) * scale }
        }
    }
    let pca = try PrincipalComponents(x, rows: n, columns: d)
    let c = pca.count(explaining: options.explainedVariance)
    let projected = pca.project(x, rows: n, count: c)
    var generator = SeededGenerator(seed: options.seed)
    let km = KMeans(projected, rows: n, columns: c, clusters: k, restarts: options.restarts,
                    maxIterations: options.maxIterations, generator: &generator)
    var result = try mauve(generatedLabels: Array(km.labels[reference.rows...]), referenceLabels: Array(km.labels[..<reference.rows]),
                           clusters: k, curvePoints: options.curvePoints, scaling: options.scaling)
    result.pcaComponents = c
    return result
}

/// MAUVE from cluster labels (0..<clusters) of each set: the step after quantisation, exposed
/// so that it can be checked against mauve-text on the same assignments.
public func mauve(generatedLabels: [Int], referenceLabels: [Int], clusters: Int,
                  curvePoints: Int = 25, scaling: Double = 5) throws -> MAUVEResult {
    guard !generatedLabels.isEmpty, !referenceLabels.isEmpty else { throw MetricsError.invalid("MAUVE needs labels in both sets") }
    guard curvePoints >= 2 else { throw MetricsError.invalid("MAUVE needs at least 2 curve points") }
    func histogram(_ labels: [Int]) throws -> [Double] {
        var h = [Double](repeating: 0, count: clusters)
        for l in labels {
            guard l >= 0 && l < clusters else { throw MetricsError.invalid("MAUVE label \(l) outside 0..<\(clusters)") }
            h[l] += 1
        }
        return h.map { $0 / Double(labels.count) }
    }
    let p = try histogram(generatedLabels), q = try histogram(referenceLabels)
    // KL(a ‖ b) over the bins where both are non-zero (mauve-text's kl_multinomial; the mixture
    // r is never zero where a is not, since the weights lie strictly inside (0, 1)).
    func kl(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices where a[i] != 0 && b[i] != 0 { s += a[i] * log(a[i] / b[i]) }
        return s
    }
    var curve: [[Double]] = [[0, .infinity]]
    let lo = 1e-6, hi = 1 - 1e-6, step = (hi - lo) / Double(curvePoints - 1)
    for i in 0..<curvePoints {
        let w = i == curvePoints - 1 ? hi : lo + Double(i) * step
        let r = zip(p, q).map { w * $0 + (1 - w) * $1 }
        curve.append([kl(q, r), kl(p, r)])
    }
    curve.append([.infinity, 0])
    curve = curve.map { $0.map { exp(-scaling * $0) } }
    // mauve-text: sklearn.metrics.auc on the points sorted by x, plus the same with the axes
    // swapped. Along the curve (w from 0 to 1) x only falls and y only rises, so that sort is the
    // curve's own order reversed; walking the curve in its own order gives the same area without
    // depending on how ties are broken. Ties do occur: for identical histograms every inner
    // point is (1, 1) up to rounding, and mauve-text then returns 1.0 or 0.75 depending on how
    // numpy orders those near-equal values (measured: 60 identical rows -> 1.0, 6 -> 0.75); here
    // identical histograms always give MAUVE 1, MAD 0.
    var areaX = 0.0, areaY = 0.0
    for i in 1..<curve.count {
        let a = curve[i - 1], b = curve[i]
        areaX += (a[0] - b[0]) * (a[1] + b[1]) / 2
        areaY += (b[1] - a[1]) * (a[0] + b[0]) / 2
    }
    let value = 0.5 * (areaX + areaY)
    return MAUVEResult(mauve: value, mad: -log(value), clusters: clusters, pcaComponents: 0,
                       generatedHistogram: p, referenceHistogram: q, divergenceCurve: curve)
}
