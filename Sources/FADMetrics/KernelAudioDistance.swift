import COpenBLAS
import Dispatch
import FADArrays
import Foundation

/// Where the Gaussian kernel's bandwidth σ of KAD comes from.
public enum KADBandwidth: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The median pairwise distance of the reference set: every generated set is scored with the
    /// same kernel, so scores of different sets are comparable (what kadtk's README promises).
    case reference
    /// The median pairwise distance of the set being scored: what kadtk's code does
    /// (`calc_kernel_audio_distance` with `bandwidth=None`, kadtk issue #9). The kernel then
    /// changes with every generated set.
    case generated
    /// A fixed σ.
    case fixed(Double)

    public var description: String {
        switch self {
        case .reference: return "reference"
        case .generated: return "generated"
        case .fixed(let v): return "\(v)"
        }
    }

    /// Parses `reference`, `generated` or a positive number.
    public init?(parsing argument: String) {
        switch argument {
        case "reference": self = .reference
        case "generated": self = .generated
        default:
            guard let v = Double(argument), v.isFinite, v > 0 else { return nil }
            self = .fixed(v)
        }
    }
}

/// The arithmetic of KAD's kernel sums.
///
/// Both centre the sets on the reference mean, take squared norms in float64, form
/// d² = ‖a‖² + ‖b‖² - 2a·b in float64 and add the kernel values in float64 in a fixed order.
/// `float64` runs the inner products a·b by DGEMM on the float64 rows and exp(-γd²) in float64
/// (agrees with kadtk's formula run in float64 to ~1e-12); `float32` runs them by SGEMM on the
/// rows rounded to float32 (about twice the BLAS rate) and exp(-γd²) in float32 (four SIMD lanes
/// instead of two). Its error against `float64` is measured in `KernelAudioDistanceTests` and the
/// README.
public enum KADPrecision: String, Codable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case float64
    case float32
    public var description: String { rawValue }

    /// The default: `float64`, so that a score reproduces kadtk's formula (run in float64) to
    /// ~1e-12. `float32` is about twice as fast; its measured error (README, Metrics: KAD, under
    /// 1e-6 relative) is orders of magnitude below KAD's own sampling spread, but a default that
    /// disagrees with the reference formula in the seventh digit would make fad's numbers
    /// differ from a float64 reproduction of kadtk's.
    public static let standard: KADPrecision = .float64
}

/// Parameters of KAD.
public struct KADOptions: Codable, Hashable, Sendable {
    public var bandwidth: KADBandwidth
    /// Arithmetic of the inner products in the kernel sums.
    public var precision: KADPrecision
    /// Rows per block of the kernel sums: memory is about `threads · blockSize²` inner products
    /// (floats or doubles) beyond the two sets themselves, whatever their size. 1024 measured
    /// ~10 % faster than 512 for SGEMM at d = 512 (less packing per multiply-add).
    public var blockSize: Int
    /// Sets with at most this many distinct pairs get the exact median distance; larger ones the
    /// median of `medianSamplePairs` random pairs (see `medianPairwiseDistance`).
    public var exactMedianPairs: Int
    public var medianSamplePairs: Int
    /// Seed of the median's pair sample (and of KAD-inf's subsets).
    public var seed: UInt64
    /// Worker threads of the kernel sums; the result does not depend on it.
    public var threads: Int

    public init(bandwidth: KADBandwidth = .reference, precision: KADPrecision = .standard, blockSize: Int = 1024,
                exactMedianPairs: Int = 500_000, medianSamplePairs: Int = 500_000, seed: UInt64 = 0,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.bandwidth = bandwidth
        self.precision = precision
        self.blockSize = blockSize
        self.exactMedianPairs = exactMedianPairs
        self.medianSamplePairs = medianSamplePairs
        self.seed = seed
        self.threads = threads
    }
}

/// A KAD value with the kernel it was computed with.
public struct KADResult: Codable, Hashable, Sendable {
    /// 100 · unbiased MMD²; can be negative when the sets come from one distribution.
    public var value: Double
    /// σ of the Gaussian kernel used.
    public var bandwidth: Double
    /// "reference", "generated" or "fixed".
    public var bandwidthSource: String
    /// Pairs the median was taken over (0 for a fixed bandwidth) and whether that was all of them.
    public var medianPairs: Int
    public var medianExact: Bool
    public var referenceRows: Int
    public var generatedRows: Int
    /// Arithmetic of the inner products ("float64" or "float32").
    public var precision: KADPrecision
}

/// The median of pairwise Euclidean distances of a set, and what it was computed from.
public struct MedianDistance: Codable, Hashable, Sendable {
    public var value: Double
    public var pairs: Int
    public var exact: Bool
}

/// kadtk's scale: MMD² is multiplied by 100 (`SCALE_FACTOR`).
let kadScale = 100.0
/// kadtk adds 1e-8 to 2σ² in γ = 1 / (2σ² + 1e-8); kept so that values match it to rounding.
let kadGammaEpsilon = 1e-8

func kadGamma(_ sigma: Double) -> Double { 1 / (2 * sigma * sigma + kadGammaEpsilon) }

/// Kernel Audio Distance (Chung et al. 2025; kadtk `calc_kernel_audio_distance`) between
/// `reference` (x, m rows) and `generated` (y, n rows):
///
/// ```
/// KAD = 100 [ Σ_{i≠j} k(xᵢ,xⱼ)/(m(m-1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(n(n-1)) - 2 Σ_{i,j} k(xᵢ,yⱼ)/(mn) ]
/// k(a, b) = exp(-‖a - b‖² / (2σ² + 1e-8))
/// ```
///
/// the unbiased MMD² estimate. σ comes from `options.bandwidth` (by default the reference set's
/// median pairwise distance). Both sets are centred on the reference mean; the kernel sums run
/// over blocks of `blockSize` rows, each block's inner products one serial GEMM (SGEMM or DGEMM
/// as `options.precision` says), the kernel values summed in `Double` in a fixed order, so
/// memory stays bounded and the result does not depend on the thread count.
public func kernelAudioDistance(reference: Matrix<Float>, generated: Matrix<Float>,
                                options: KADOptions = KADOptions()) throws -> KADResult {
    try KernelReference(reference, options: options).distance(to: generated)
}

/// The reference side of KAD prepared once: its centred rows, squared norms, bandwidth and
/// kernel sum, for scoring many generated sets, KAD-inf subsets or single files.
public struct KernelReference: Sendable {
    public let options: KADOptions
    let x: KernelRows
    let mean: [Double]
    public let rows: Int
    public let dimension: Int
    /// The reference's median distance when the bandwidth comes from it.
    public let referenceMedian: MedianDistance?
    /// Σ_{i≠j} k(xᵢ, xⱼ) when σ does not depend on the generated set (reference or fixed).
    private var referenceSum: Double?

    public init(_ reference: Matrix<Float>, options: KADOptions = KADOptions()) throws {
        guard reference.rows >= 2 else { throw MetricsError.invalid("KAD needs at least 2 reference rows, got \(reference.rows)") }
        guard options.blockSize >= 1, options.blockSize <= 16_384, options.threads >= 1 else {
            throw MetricsError.invalid("KAD needs 1 <= blockSize <= 16384 and threads >= 1")
        }
        guard reference.values.allSatisfy({ $0.isFinite }) else { throw MetricsError.invalid("KAD reference holds NaN or infinity") }
        if case .fixed(let s) = options.bandwidth, !(s.isFinite && s > 0) {
            throw MetricsError.invalid("KAD bandwidth must be a positive number, got \(s)")
        }
        self.options = options
        rows = reference.rows
        dimension = reference.columns
        mean = CentredRows.mean(of: reference)
        x = KernelRows(reference, mean: mean, rows: nil, precision: options.precision)
        try x.checkRange("reference")
        switch options.bandwidth {
        case .reference:
            let median = medianPairwiseDistance(reference, rows: nil, options: options)
            referenceMedian = median
            if median.value > 0 { referenceSum = sum(x, nil, gamma: kadGamma(median.value)) }
        case .fixed(let sigma):
            referenceMedian = nil
            referenceSum = sum(x, nil, gamma: kadGamma(sigma))
        case .generated:
            referenceMedian = nil
        }
    }

    private func sum(_ a: KernelRows, _ b: KernelRows?, gamma: Double) -> Double {
        kernelSum(a, b, gamma: gamma, block: options.blockSize, threads: options.threads)
    }

    /// KAD of `generated` (or of the listed rows of it, repeats allowed) against the reference.
    public func distance(to generated: Matrix<Float>, rows selected: [Int]? = nil) throws -> KADResult {
        guard generated.columns == dimension else {
            throw MetricsError.dimensionMismatch("KAD generated vs reference", generated.columns, dimension)
        }
        let n = selected?.count ?? generated.rows
        guard n >= 2 else { throw MetricsError.invalid("KAD needs at least 2 generated rows, got \(n)") }
        if let selected, !selected.allSatisfy({ $0 >= 0 && $0 < generated.rows }) {
            throw MetricsError.invalid("KAD row index out of 0..<\(generated.rows)")
        }
        guard generated.values.allSatisfy({ $0.isFinite }) else { throw MetricsError.invalid("KAD generated set holds NaN or infinity") }
        let sigma: Double, source: String, median: MedianDistance?
        switch options.bandwidth {
        case .reference:
            median = referenceMedian
            sigma = referenceMedian!.value
            source = "reference"
        case .generated:
            let med = medianPairwiseDistance(generated, rows: selected, options: options)
            median = med
            sigma = med.value
            source = "generated"
        case .fixed(let s):
            median = nil
            sigma = s
            source = "fixed"
        }
        guard sigma > 0 else {
            throw MetricsError.invalid("KAD bandwidth is 0 (the \(source) set's median pairwise distance): too many identical rows")
        }
        let y = KernelRows(generated, mean: mean, rows: selected, precision: options.precision)
        try y.checkRange("generated set")
        let gamma = kadGamma(sigma)
        let sxx = referenceSum ?? sum(x, nil, gamma: gamma)
        let syy = sum(y, nil, gamma: gamma)
        let sxy = sum(x, y, gamma: gamma)
        let m = Double(rows), nn = Double(n)
        let mmd = sxx / (m * (m - 1)) + syy / (nn * (nn - 1)) - 2 * sxy / (m * nn)
        return KADResult(value: kadScale * mmd, bandwidth: sigma, bandwidthSource: source,
                         medianPairs: median?.pairs ?? 0, medianExact: median?.exact ?? false,
                         referenceRows: rows, generatedRows: n, precision: options.precision)
    }
}

/// The median pairwise Euclidean distance of the rows of `matrix`, as kadtk's
/// `median_pairwise_distance` takes it (the LOWER median, `torch.median`).
///
/// Exact over all m(m-1)/2 pairs when that is at most `options.exactMedianPairs`; otherwise the
/// lower median of `options.medianSamplePairs` pairs drawn uniformly with replacement (i and
/// j ≠ i uniform, seeded). The sample median's standard error is about
/// `1 / (2 f(med) √N)` for a distance density f: distances of high-dimensional embeddings
/// concentrate, so with the default N = 500,000 it is ~1e-4 relative or less (measured in
/// `KernelAudioDistanceTests.testSampledMedianError`), well below the set-to-set variation of σ.
/// Distances are taken in float64 from the float32 rows themselves (their differences are exact
/// in float64), whatever `options.precision` says: both precisions use the same σ.
public func medianPairwiseDistance(_ matrix: Matrix<Float>, options: KADOptions = KADOptions()) -> MedianDistance {
    medianPairwiseDistance(matrix, rows: nil, options: options)
}

func medianPairwiseDistance(_ matrix: Matrix<Float>, rows selection: [Int]?, options: KADOptions) -> MedianDistance {
    let m = selection?.count ?? matrix.rows, d = matrix.columns
    let pairs = m * (m - 1) / 2
    let exact = pairs <= options.exactMedianPairs
    var distances: [Double] = []
    matrix.values.withUnsafeBufferPointer { values in
        let base = values.baseAddress!
        func distance(_ i: Int, _ j: Int) -> Double {
            let a = base + (selection?[i] ?? i) * d, b = base + (selection?[j] ?? j) * d
            // Four running sums: independent chains the compiler pairs into vector lanes.
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var k = 0
            while k + 4 <= d {
                let t0 = Double(a[k]) - Double(b[k]), t1 = Double(a[k + 1]) - Double(b[k + 1])
                let t2 = Double(a[k + 2]) - Double(b[k + 2]), t3 = Double(a[k + 3]) - Double(b[k + 3])
                s0 += t0 * t0
                s1 += t1 * t1
                s2 += t2 * t2
                s3 += t3 * t3
                k += 4
            }
            while k < d { let t = Double(a[k]) - Double(b[k]); s0 += t * t; k += 1 }
            return ((s0 + s1) + (s2 + s3)).squareRoot()
        }
        if exact {
            distances.reserveCapacity(pairs)
            for i in 0..<m {
                for j in (i + 1)..<m { distances.append(distance(i, j)) }
            }
        } else {
            var generator = SeededGenerator(seed: options.seed)
            distances.reserveCapacity(options.medianSamplePairs)
            for _ in 0..<options.medianSamplePairs {
                let i = generator.uniform(below: m)
                var j = generator.uniform(below: m - 1)
                if j >= i { j += 1 }
                distances.append(distance(i, j))
            }
        }
    }
    guard !distances.isEmpty else { return MedianDistance(value: 0, pairs: 0, exact: exact) }
    // The lower median by selection (linear time) rather than a sort.
    let k = (distances.count - 1) / 2
    return MedianDistance(value: nthSmallest(&distances, k), pairs: distances.count, exact: exact)
}

/// The k-th smallest value (0-based) of `values`, which it reorders (Hoare's quickselect with a
/// median-of-three pivot; deterministic).
func nthSmallest(_ values: inout [Double], _ k: Int) -> Double {
    var lo = 0, hi = values.count - 1
    while lo < hi {
        let mid = lo + (hi - lo) / 2
        if values[mid] < values[lo] { values.swapAt(mid, lo) }
        if values[hi] < values[lo] { values.swapAt(hi, lo) }
        if values[hi] < values[mid] { values.swapAt(hi, mid) }
        let pivot = values[mid]
        var i = lo, j = hi
        while i <= j {
            while values[i] < pivot { i += 1 }
            while values[j] > pivot { j -= 1 }
            if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { return values[k] }
    }
    return values[k]
}

/// KAD-inf (kadtk `score_inf`): KAD of subsets of n generated rows for n in fadtk's schedule
/// (`fadInfinitySubsetSizes`), fitted by `KAD = slope / n + intercept`; the intercept is KAD-inf.
/// Subsets are drawn as `sampling` says (the same two estimators as FAD-inf; kadtk draws with
/// replacement). With the `generated` bandwidth σ is re-estimated on every subset, as kadtk does.
public func kadInfinity(reference: KernelReference, frames: Matrix<Float>,
                        sampling: FADInfinitySampling = .withoutReplacement, minFrames: Int = 500, steps: Int = 25,
                        seed: UInt64 = 0) throws -> FADInfinityResult {
    guard minFrames >= 2, steps >= 2 else { throw MetricsError.invalid("KAD-inf needs minFrames >= 2 and steps >= 2") }
    guard frames.rows > minFrames else { throw MetricsError.tooFewFramesForFADInfinity(needed: minFrames + 1, got: frames.rows) }
    var generator = SeededGenerator(seed: seed)
    let subsets = fadInfinitySubsetSizes(total: frames.rows, minFrames: minFrames, steps: steps).map { n in
        sampling == .withoutReplacement ? generator.sampleWithoutReplacement(n, from: frames.rows)
                                        : generator.sampleWithReplacement(n, from: frames.rows)
    }
    var result = try kadInfinity(reference: reference, frames: frames, subsets: subsets)
    result.options = FADInfinityOptions(sampling: sampling, minFrames: minFrames, steps: steps, seed: seed)
    return result
}

/// KAD-inf over caller-supplied subsets (row indices into `frames`, repeats allowed), to
/// reproduce another implementation's draws.
public func kadInfinity(reference: KernelReference, frames: Matrix<Float>, subsets: [[Int]]) throws -> FADInfinityResult {
    guard subsets.count >= 2 else { throw MetricsError.invalid("KAD-inf needs at least 2 subsets, got \(subsets.count)") }
    var points: [FADInfinityPoint] = []
    for subset in subsets {
        points.append(FADInfinityPoint(frames: subset.count, fad: try reference.distance(to: frames, rows: subset).value))
    }
    let fit = try linearFit(x: points.map { 1.0 / Double($0.frames) }, y: points.map(\.fad))
    return FADInfinityResult(value: fit.intercept, slope: fit.slope, rSquared: fit.rSquared, points: points, options: nil)
}

/// One generated file's own KAD to the reference (kadtk `score_individual`); `nil` for a file of
/// fewer than 2 frames, whose within-set term is undefined.
public struct PerFileKAD: Codable, Hashable, Sendable {
    public var name: String
    public var kad: Double?
    public var frames: Int
}

/// Per-file KAD of each file's frames against the prepared reference, in input order.
public func perFileKAD(reference: KernelReference, files: [(name: String, frames: Matrix<Float>)]) throws -> [PerFileKAD] {
    try files.map { f in
        guard f.frames.columns == reference.dimension else {
            throw MetricsError.invalid("embedding has \(f.frames.columns) dimensions, reference has \(reference.dimension)", subject: f.name)
        }
        guard f.frames.rows >= 2 else { return PerFileKAD(name: f.name, kad: nil, frames: f.frames.rows) }
        return PerFileKAD(name: f.name, kad: try reference.distance(to: f.frames).value, frames: f.frames.rows)
    }
}
