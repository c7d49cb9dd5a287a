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

/// Parameters of KAD.
public struct KADOptions: Codable, Hashable, Sendable {
    public var bandwidth: KADBandwidth
    /// Rows per block of the kernel sums: memory is about `threads · blockSize²` doubles beyond
    /// the two sets themselves, whatever their size.
    public var blockSize: Int
    /// Sets with at most this many distinct pairs get the exact median distance; larger ones the
    /// median of `medianSamplePairs` random pairs (see `medianPairwiseDistance`).
    public var exactMedianPairs: Int
    public var medianSamplePairs: Int
    /// Seed of the median's pair sample (and of KAD-inf's subsets).
    public var seed: UInt64
    /// Worker threads of the kernel sums; the result does not depend on it.
    public var threads: Int

    public init(bandwidth: KADBandwidth = .reference, blockSize: Int = 512, exactMedianPairs: Int = 500_000,
                medianSamplePairs: Int = 500_000, seed: UInt64 = 0,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.bandwidth = bandwidth
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
/// median pairwise distance). Both sets are centred on the reference mean and converted to
/// `Double`; the kernel sums run over blocks of `blockSize` rows, each block's inner products
/// one serial DGEMM, summed in `Double` in a fixed order, so memory stays bounded and the result
/// does not depend on the thread count.
public func kernelAudioDistance(reference: Matrix<Float>, generated: Matrix<Float>,
                                options: KADOptions = KADOptions()) throws -> KADResult {
    try KernelReference(reference, options: options).distance(to: generated)
}

/// The reference side of KAD prepared once: its rows in `Double` (centred), squared norms,
/// bandwidth and kernel sum, for scoring many generated sets, KAD-inf subsets or single files.
public struct KernelReference: Sendable {
    public let options: KADOptions
    let x: [Double]
    let norms: [Double]
    let mean: [Double]
    public let rows: Int
    public let dimension: Int
    /// The reference's median distance when the bandwidth comes from it.
    public let referenceMedian: MedianDistance?
    /// Σ_{i≠j} k(xᵢ, xⱼ) when σ does not depend on the generated set (reference or fixed).
    private var referenceSum: Double?

    public init(_ reference: Matrix<Float>, options: KADOptions = KADOptions()) throws {
        guard reference.rows >= 2 else { throw MetricsError.invalid("KAD needs at least 2 reference rows, got \(reference.rows)") }
        guard options.blockSize >= 1, options.threads >= 1 else { throw MetricsError.invalid("KAD needs blockSize and threads >= 1") }
        guard reference.values.allSatisfy({ $0.isFinite }) else { throw MetricsError.invalid("KAD reference holds NaN or infinity") }
        if case .fixed(let s) = options.bandwidth, !(s.isFinite && s > 0) {
            throw MetricsError.invalid("KAD bandwidth must be a positive number, got \(s)")
        }
        self.options = options
        rows = reference.rows
        dimension = reference.columns
        var mean = [Double](repeating: 0, count: dimension)
        for i in 0..<rows {
            let base = i * dimension
            for j in 0..<dimension { mean[j] += Double(reference.values[base + j]) }
        }
        for j in 0..<dimension { mean[j] /= Double(rows) }
        self.mean = mean
        (x, norms) = centred(reference, mean: mean, rows: nil)
        switch options.bandwidth {
        case .reference:
            let median = medianPairwiseDistance(x, rows: rows, columns: dimension, options: options)
            referenceMedian = median
            if median.value > 0 { referenceSum = kernelSum(x, norms, rows, nil, nil, 0, gamma: kadGamma(median.value)) }
        case .fixed(let sigma):
            referenceMedian = nil
            referenceSum = kernelSum(x, norms, rows, nil, nil, 0, gamma: kadGamma(sigma))
        case .generated:
            referenceMedian = nil
        }
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
        let (y, yNorms) = centred(generated, mean: mean, rows: selected)
        let sigma: Double, source: String, median: MedianDistance?
        switch options.bandwidth {
        case .reference:
            median = referenceMedian
            sigma = referenceMedian!.value
            source = "reference"
        case .generated:
            let med = medianPairwiseDistance(y, rows: n, columns: dimension, options: options)
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
        let gamma = kadGamma(sigma)
        let sxx = referenceSum ?? kernelSum(x, norms, rows, nil, nil, 0, gamma: gamma)
        let syy = kernelSum(y, yNorms, n, nil, nil, 0, gamma: gamma)
        let sxy = kernelSum(x, norms, rows, y, yNorms, n, gamma: gamma)
        let m = Double(rows), nn = Double(n)
        let mmd = sxx / (m * (m - 1)) + syy / (nn * (nn - 1)) - 2 * sxy / (m * nn)
        return KADResult(value: kadScale * mmd, bandwidth: sigma, bandwidthSource: source,
                         medianPairs: median?.pairs ?? 0, medianExact: median?.exact ?? false,
                         referenceRows: rows, generatedRows: n)
    }

    /// Σ over all (i, j) of k(aᵢ, bⱼ), or Σ_{i≠j} k(aᵢ, aⱼ) when `b` is nil, by blocks.
    private func kernelSum(_ a: [Double], _ aNorms: [Double], _ na: Int,
                           _ b: [Double]?, _ bNorms: [Double]?, _ nb: Int, gamma: Double) -> Double {
        let d = dimension
        let block = options.blockSize
        let same = b == nil
        let bRows = same ? na : nb
        let aBlocks = (na + block - 1) / block, bBlocks = (bRows + block - 1) / block
        var tasks: [(Int, Int)] = []
        for i in 0..<aBlocks {
            for j in (same ? i : 0)..<bBlocks { tasks.append((i, j)) }
        }
        var sums = [Double](repeating: 0, count: tasks.count)
        let workers = max(1, min(options.threads, tasks.count))
        let bData = b ?? a, bN = bNorms ?? aNorms
        a.withUnsafeBufferPointer { ap in
            bData.withUnsafeBufferPointer { bp in
                sums.withUnsafeMutableBufferPointer { buffer in
                    let out = buffer.baseAddress!
                    // Not @Sendable (it captures the buffers' pointers), but safe to share: each
                    // worker writes only its own tasks' slots and concurrentPerform returns after all ran.
                    nonisolated(unsafe) let run: (Int) -> Void = { worker in
                        var scratch = [Double](repeating: 0, count: block * block)
                        var t = worker
                        while t < tasks.count {
                            let (bi, bj) = tasks[t]
                            let r0 = bi * block, r1 = min(na, r0 + block)
                            let c0 = bj * block, c1 = min(bRows, c0 + block)
                            let rn = r1 - r0, cn = c1 - c0
                            scratch.withUnsafeMutableBufferPointer { c in
                                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rn), blasint(cn), blasint(d), 1,
                                            ap.baseAddress! + r0 * d, blasint(d), bp.baseAddress! + c0 * d, blasint(d),
                                            0, c.baseAddress, blasint(cn))
                            }
                            var s = 0.0
                            let diagonal = same && bi == bj
                            for i in 0..<rn {
                                let ni = aNorms[r0 + i]
                                let start = diagonal ? i + 1 : 0
                                let rowBase = i * cn
                                var rowSum = 0.0
                                for j in start..<cn {
                                    let d2 = ni + bN[c0 + j] - 2 * scratch[rowBase + j]
                                    rowSum += exp(-gamma * d2)
                                }
                                s += rowSum
                            }
                            out[t] = s
                            t += workers
                        }
                    }
                    if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { run($0) } }
                }
            }
        }
        let total = sums.reduce(0, +)
        return same ? 2 * total : total
    }
}

/// Rows (all, or the listed ones) minus `mean`, in `Double`, with their squared norms.
private func centred(_ m: Matrix<Float>, mean: [Double], rows: [Int]?) -> ([Double], [Double]) {
    let c = CentredRows(m, mean: mean, rows: rows)
    return (c.values, c.norms)
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
public func medianPairwiseDistance(_ matrix: Matrix<Float>, options: KADOptions = KADOptions()) -> MedianDistance {
    let (x, _) = centred(matrix, mean: [Double](repeating: 0, count: matrix.columns), rows: nil)
    return medianPairwiseDistance(x, rows: matrix.rows, columns: matrix.columns, options: options)
}

func medianPairwiseDistance(_ x: [Double], rows m: Int, columns d: Int, options: KADOptions) -> MedianDistance {
    let pairs = m * (m - 1) / 2
    func distance(_ i: Int, _ j: Int) -> Double {
        var s = 0.0
        let a = i * d, b = j * d
        for k in 0..<d {
            let t = x[a + k] - x[b + k]
            s += t * t
        }
        return s.squareRoot()
    }
    var distances: [Double] = []
    let exact = pairs <= options.exactMedianPairs
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
    guard !distances.isEmpty else { return MedianDistance(value: 0, pairs: 0, exact: exact) }
    distances.sort()
    return MedianDistance(value: distances[(distances.count - 1) / 2], pairs: distances.count, exact: exact)
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
