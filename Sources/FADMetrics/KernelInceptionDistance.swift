import COpenBLAS
import FADArrays

/// Parameters of the Kernel Inception Distance (Bińkowski et al. 2018; torchmetrics
/// `KernelInceptionDistance`).
public struct KIDOptions: Codable, Hashable, Sendable {
    public var subsets: Int
    /// Requested subset size m; clamped to the smaller set (see `KIDResult.clamped`).
    public var subsetSize: Int
    public var seed: UInt64
    /// Kernel `k(x, y) = (γ x·y + coef)^degree`, γ = 1/d when `nil`.
    public var degree: Int
    public var gamma: Double?
    public var coef: Double
    /// Degrees of freedom of the std over subsets (torchmetrics: `std(unbiased=False)`, 0).
    public var ddof: Int

    public init(subsets: Int = 100, subsetSize: Int = 1000, seed: UInt64 = 0, degree: Int = 3,
                gamma: Double? = nil, coef: Double = 1, ddof: Int = 0) {
        self.subsets = subsets
        self.subsetSize = subsetSize
        self.seed = seed
        self.degree = degree
        self.gamma = gamma
        self.coef = coef
        self.ddof = ddof
    }
}

public struct KIDResult: Codable, Hashable, Sendable {
    public var mean: Double
    public var std: Double
    /// Subset size actually used.
    public var subsetSize: Int
    /// True when the requested size exceeded a set and was reduced (torchmetrics refuses).
    public var clamped: Bool
    /// True when m equals both set sizes: every subset is the whole of both sets, so all
    /// subsets give the same value and `std` ≈ 0 says nothing about uncertainty.
    public var identicalSubsets: Bool
    public var subsetValues: [Double]
}

/// KID between reference and generated features (rows): the mean and std over random subset
/// pairs of the unbiased MMD² with the polynomial kernel,
///
/// ```
/// MMD² = Σ_{i≠j} k(xᵢ,xⱼ)/(m(m-1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(m(m-1)) - 2 Σ_{i,j} k(xᵢ,yⱼ)/m²
/// ```
///
/// Each subset draws m rows of each set without replacement (seeded); m = min(subsetSize,
/// reference rows, generated rows). Kernels are computed in `Double` (`dsyrk`/`dgemm`).
public func kernelInceptionDistance(reference: Matrix<Float>, generated: Matrix<Float>,
                                    options: KIDOptions = KIDOptions()) throws -> KIDResult {
    let m = min(options.subsetSize, reference.rows, generated.rows)
    guard m >= 2 else { throw MetricsError.invalid("KID needs at least 2 rows per set (got \(reference.rows), \(generated.rows))") }
    guard options.subsets >= 1 else { throw MetricsError.invalid("KID needs at least one subset") }
    var generator = SeededGenerator(seed: options.seed)
    var draws: [(reference: [Int], generated: [Int])] = []
    for _ in 0..<options.subsets {
        let r = generator.sampleWithoutReplacement(m, from: reference.rows)
        let g = generator.sampleWithoutReplacement(m, from: generated.rows)
        draws.append((r, g))
    }
    var result = try kernelInceptionDistance(reference: reference, generated: generated, subsets: draws, options: options)
    result.clamped = m < options.subsetSize
    return result
}

/// KID over caller-supplied subsets (row indices, equal sizes on both sides): for reproducing
/// another implementation's draws.
public func kernelInceptionDistance(reference: Matrix<Float>, generated: Matrix<Float>,
                                    subsets: [(reference: [Int], generated: [Int])],
                                    options: KIDOptions = KIDOptions()) throws -> KIDResult {
    guard reference.columns == generated.columns else {
        throw MetricsError.dimensionMismatch("KID reference vs generated features", reference.columns, generated.columns)
    }
    guard let m = subsets.first?.reference.count, m >= 2 else { throw MetricsError.invalid("KID needs subsets of >= 2 rows") }
    let d = reference.columns
    let gamma = options.gamma ?? 1.0 / Double(d)
    func gather(_ x: Matrix<Float>, _ rows: [Int]) throws -> [Double] {
        var out = [Double]()
        out.reserveCapacity(rows.count * d)
        for i in rows {
            guard i >= 0 && i < x.rows else { throw MetricsError.invalid("KID subset index \(i) out of 0..<\(x.rows)") }
            for v in x.row(i) { out.append(Double(v)) }
        }
        return out
    }
    func kernel(_ dot: Double) -> Double {
        let base = dot * gamma + options.coef
        var k = 1.0
        for _ in 0..<options.degree { k *= base }
        return k
    }
    var values: [Double] = []
    for s in subsets {
        guard s.reference.count == m, s.generated.count == m else {
            throw MetricsError.invalid("KID subsets must all have \(m) rows on both sides")
        }
        let x = try gather(reference, s.reference), y = try gather(generated, s.generated)
        var gxx = [Double](repeating: 0, count: m * m), gyy = gxx, gxy = gxx
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                gxx.withUnsafeMutableBufferPointer {
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(d), 1, xp.baseAddress, Int32(d),
                                0, $0.baseAddress, Int32(m))
                }
                gyy.withUnsafeMutableBufferPointer {
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(d), 1, yp.baseAddress, Int32(d),
                                0, $0.baseAddress, Int32(m))
                }
                gxy.withUnsafeMutableBufferPointer {
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(m), Int32(d), 1,
                                xp.baseAddress, Int32(d), yp.baseAddress, Int32(d), 0, $0.baseAddress, Int32(m))
                }
            }
        }
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for i in 0..<m {
            for j in (i + 1)..<m {
                sxx += kernel(gxx[i * m + j])
                syy += kernel(gyy[i * m + j])
            }
        }
        for v in gxy { sxy += kernel(v) }
        let mm = Double(m)
        values.append(2 * (sxx + syy) / (mm * (mm - 1)) - 2 * sxy / (mm * mm))
    }
    let (mean, std) = meanAndStd(values, ddof: options.ddof)
    let identical = m == reference.rows && m == generated.rows
    return KIDResult(mean: mean, std: std, subsetSize: m, clamped: false, identicalSubsets: identical, subsetValues: values)
}
