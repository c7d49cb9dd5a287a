import FADArrays
import FADStats

/// How FAD-inf draws its subsets of the evaluation frames.
public enum FADInfinitySampling: String, Codable, Sendable, CaseIterable {
    /// A uniformly random subset of n ≤ N distinct frames: an iid sample of size n, so E[FD_n]
    /// follows the 1/n curve and the intercept estimates the infinite-sample FD. The default.
    case withoutReplacement = "without-replacement"
    /// n frames drawn with replacement, as fadtk's `score_inf` does: a sample of the empirical
    /// distribution of the N frames, so the intercept tends to the plain FD over all N frames.
    /// Use it to compare with published fadtk numbers.
    case withReplacement = "replacement"
}

/// Parameters of FAD-inf (Gui et al. 2023, fadtk's `score_inf`).
public struct FADInfinityOptions: Codable, Hashable, Sendable {
    public var sampling: FADInfinitySampling
    /// Smallest subset size (fadtk: 500).
    public var minFrames: Int
    /// Number of subset sizes (fadtk: 25).
    public var steps: Int
    /// Seed of `SeededGenerator`; the same seed, frames and reference give the same result.
    public var seed: UInt64

    public init(sampling: FADInfinitySampling = .withoutReplacement, minFrames: Int = 500, steps: Int = 25,
                seed: UInt64 = 0) {
        self.sampling = sampling
        self.minFrames = minFrames
        self.steps = steps
        self.seed = seed
    }
}

/// One point of the FAD-inf fit.
public struct FADInfinityPoint: Codable, Hashable, Sendable {
    /// Subset size.
    public var frames: Int
    /// Fréchet distance of that subset to the reference.
    public var fad: Double
}

/// FAD-inf and its least-squares fit `FD(n) = slope / n + intercept`.
public struct FADInfinityResult: Codable, Hashable, Sendable {
    /// The intercept: the extrapolated FAD at n → ∞.
    public var value: Double
    public var slope: Double
    /// `1 - SS_res / SS_tot` of the fit.
    public var rSquared: Double
    public var points: [FADInfinityPoint]
    /// `nil` when the subsets were supplied by the caller.
    public var options: FADInfinityOptions?
}

/// fadtk's schedule: `[int(n) for n in np.linspace(minFrames, total, steps)]`.
public func fadInfinitySubsetSizes(total: Int, minFrames: Int = 500, steps: Int = 25) -> [Int] {
    guard steps > 1 else { return [total] }
    // np.linspace computes start + i * step (step = (stop - start) / (num - 1)) and sets the
    // last point to stop exactly; int() truncates toward zero.
    let start = Double(minFrames), stop = Double(total)
    let step = (stop - start) / Double(steps - 1)
    return (0..<steps).map { i in i == steps - 1 ? total : Int((start + Double(i) * step).rounded(.towardZero)) }
}

/// FAD-inf of the evaluation `frames` (all frames of all evaluation files, [N, d]) against
/// `reference`.
///
/// For each n of `fadInfinitySubsetSizes(total: N, …)` one subset of n frames is drawn
/// (`options.sampling`, seeded), its mean and unbiased covariance are compared with the reference
/// and `FD = slope / n + intercept` is fitted by least squares on x = 1/n (`np.polyfit` degree 1).
///
/// - Throws: `MetricsError.tooFewFramesForFADInfinity` when N ≤ `minFrames` (the schedule would
///   not increase; fadtk silently fits a decreasing one), `dimensionMismatch`.
public func fadInfinity(reference: GaussianStatistics, frames: Matrix<Float>,
                        options: FADInfinityOptions = FADInfinityOptions()) throws -> FADInfinityResult {
    guard frames.columns == reference.dimension else {
        throw MetricsError.dimensionMismatch("FAD-inf evaluation frames vs reference", frames.columns, reference.dimension)
    }
    guard options.minFrames >= 2, options.steps >= 2 else {
        throw MetricsError.invalid("FAD-inf needs minFrames >= 2 and steps >= 2 (got \(options.minFrames), \(options.steps))")
    }
    let total = frames.rows
    guard total > options.minFrames else {
        throw MetricsError.tooFewFramesForFADInfinity(needed: options.minFrames + 1, got: total)
    }
    var generator = SeededGenerator(seed: options.seed)
    let subsets = fadInfinitySubsetSizes(total: total, minFrames: options.minFrames, steps: options.steps).map { n in
        switch options.sampling {
        case .withoutReplacement: return generator.sampleWithoutReplacement(n, from: total)
        case .withReplacement: return generator.sampleWithReplacement(n, from: total)
        }
    }
    var result = try fadInfinity(reference: reference, frames: frames, subsets: subsets)
    result.options = options
    return result
}

/// FAD-inf over caller-supplied subsets (row indices into `frames`, repeats allowed): the FD of
/// each subset to the reference and the 1/n fit. Exposed so a run can be reproduced against
/// another implementation on identical draws.
public func fadInfinity(reference: GaussianStatistics, frames: Matrix<Float>,
                        subsets: [[Int]]) throws -> FADInfinityResult {
    guard frames.columns == reference.dimension else {
        throw MetricsError.dimensionMismatch("FAD-inf evaluation frames vs reference", frames.columns, reference.dimension)
    }
    guard subsets.count >= 2 else { throw MetricsError.invalid("FAD-inf needs at least 2 subsets, got \(subsets.count)") }
    for s in subsets {
        guard s.count >= 2 else { throw MetricsError.invalid("FAD-inf subset of \(s.count) frames; need >= 2") }
        guard s.allSatisfy({ $0 >= 0 && $0 < frames.rows }) else {
            throw MetricsError.invalid("FAD-inf subset index out of 0..<\(frames.rows)")
        }
    }
    let prepared = try FrechetReference(reference)
    var points: [FADInfinityPoint] = []
    for s in subsets {
        let fd = try prepared.distance(frames: frames, rows: s, subject: "FAD-inf subset of \(s.count) frames")
        points.append(FADInfinityPoint(frames: s.count, fad: fd.value))
    }
    let fit = try linearFit(x: points.map { 1.0 / Double($0.frames) }, y: points.map(\.fad))
    return FADInfinityResult(value: fit.intercept, slope: fit.slope, rSquared: fit.rSquared, points: points, options: nil)
}

/// Ordinary least squares y = slope·x + intercept, with R² = 1 - SS_res/SS_tot.
func linearFit(x: [Double], y: [Double]) throws -> (slope: Double, intercept: Double, rSquared: Double) {
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxx = 0.0, sxy = 0.0, syy = 0.0
    for (a, b) in zip(x, y) {
        sxx += (a - mx) * (a - mx)
        sxy += (a - mx) * (b - my)
        syy += (b - my) * (b - my)
    }
    guard sxx > 0 else { throw MetricsError.invalid("FAD-inf fit needs at least two distinct subset sizes") }
    let slope = sxy / sxx
    let intercept = my - slope * mx
    var ssRes = 0.0
    for (a, b) in zip(x, y) {
        let e = b - (slope * a + intercept)
        ssRes += e * e
    }
    return (slope, intercept, syy > 0 ? 1 - ssRes / syy : 1)
}
