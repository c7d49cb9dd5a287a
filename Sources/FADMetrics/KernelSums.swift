import COpenBLAS
import Dispatch
import FADArrays
import FADNumerics

/// Rows centred on a shared mean in the arithmetic of the kernel sums, with float64 squared
/// norms. In `float32` the norms are those of the float32-rounded rows (summed in float64), so
/// that ‖a‖² + ‖b‖² - 2a·b describes the points the SGEMM actually multiplies and cancels only
/// the SGEMM's own rounding.
struct KernelRows: Sendable {
    let precision: KADPrecision
    /// The rows in float64 (`float64`), else empty.
    let double: [Double]
    /// The rows in float32 (`float32`), else empty.
    let single: [Float]
    let norms: [Double]
    let count: Int
    let columns: Int

    /// The rows of `m` listed in `selection` (all when nil), in that order, minus `mean`.
    init(_ m: Matrix<Float>, mean: [Double], rows selection: [Int]?, precision: KADPrecision) {
        let d = m.columns
        let n = selection?.count ?? m.rows
        self.precision = precision
        count = n
        columns = d
        var norms = [Double](repeating: 0, count: n)
        var double: [Double] = [], single: [Float] = []
        switch precision {
        case .float64: double = [Double](repeating: 0, count: n * d)
        case .float32: single = [Float](repeating: 0, count: n * d)
        }
        m.values.withUnsafeBufferPointer { src in
            for k in 0..<n {
                let r = selection?[k] ?? k
                var s = 0.0
                for j in 0..<d {
                    let v = Double(src[r * d + j]) - mean[j]
                    switch precision {
                    case .float64:
                        double[k * d + j] = v
                        s += v * v
                    case .float32:
                        let f = Float(v)
                        single[k * d + j] = f
                        s += Double(f) * Double(f)
                    }
                }
                norms[k] = s
            }
        }
        self.double = double
        self.single = single
        self.norms = norms
    }
}

extension KernelRows {
    /// float32 inner products overflow (or round to nothing useful) long before float64 ones:
    /// rows whose squared norm passes 1e36 (float32 tops out at 3.4e38) are refused with the way
    /// out, instead of turning into infinities inside the SGEMM.
    func checkRange(_ what: String) throws {
        guard precision == .float32, let largest = norms.max(), !(largest <= 1e36) else { return }
        throw MetricsError.invalid("KAD \(what): squared norm \(largest) after centring is too large for float32 inner products; use --kad-precision float64")
    }
}

/// Σ over all (i, j) of exp(-γ‖aᵢ - bⱼ‖²), or Σ_{i≠j} exp(-γ‖aᵢ - aⱼ‖²) when `b` is nil.
///
/// The rows are cut into blocks of `block`; for two sets every block pair is one task (a GEMM),
/// for one set only the pairs on and above the diagonal (a SYRK on the diagonal, whose triangle
/// is half the work), the sum doubled. Each task's kernel values are added in float64 in a fixed
/// order into its own slot, and the slots are added in task order, so the result does not
/// depend on the thread count. Memory: one block × block product and one row of kernel values
/// per worker.
func kernelSum(_ a: KernelRows, _ b: KernelRows?, gamma: Double, block: Int, threads: Int) -> Double {
    SerialBLAS.ensure()
    let same = b == nil
    let other = b ?? a
    let na = a.count, nb = other.count, d = a.columns
    let aBlocks = (na + block - 1) / block, bBlocks = (nb + block - 1) / block
    var tasks: [(Int, Int)] = []
    for i in 0..<aBlocks {
        for j in (same ? i : 0)..<bBlocks { tasks.append((i, j)) }
    }
    var sums = [Double](repeating: 0, count: tasks.count)
    let workers = max(1, min(threads, tasks.count))
    let single = a.precision == .float32
    a.double.withUnsafeBufferPointer { ad in
    a.single.withUnsafeBufferPointer { af in
    other.double.withUnsafeBufferPointer { bd in
    other.single.withUnsafeBufferPointer { bf in
    a.norms.withUnsafeBufferPointer { an in
    other.norms.withUnsafeBufferPointer { bn in
    sums.withUnsafeMutableBufferPointer { buffer in
        let out = buffer.baseAddress!
        // Not @Sendable (it captures the buffers' pointers), but safe to share: each worker
        // writes only its own tasks' slots and concurrentPerform returns after all ran.
        nonisolated(unsafe) let run: (Int) -> Void = { worker in
            var productsD = [Double](repeating: 0, count: single ? 0 : block * block)
            var productsF = [Float](repeating: 0, count: single ? block * block : 0)
            var values = [Double](repeating: 0, count: single ? 0 : block)
            var exponents = [Float](repeating: 0, count: single ? block : 0)
            productsD.withUnsafeMutableBufferPointer { pd in
            productsF.withUnsafeMutableBufferPointer { pf in
            values.withUnsafeMutableBufferPointer { vp in
            exponents.withUnsafeMutableBufferPointer { ep in
                var t = worker
                while t < tasks.count {
                    let (bi, bj) = tasks[t]
                    let r0 = bi * block, rn = min(na, r0 + block) - r0
                    let c0 = bj * block, cn = min(nb, c0 + block) - c0
                    let diagonal = same && bi == bj
                    if single {
                        let aRows = af.baseAddress! + r0 * d, bRows = bf.baseAddress! + c0 * d
                        if diagonal {
                            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(rn), blasint(d), 1,
                                        aRows, blasint(d), 0, pf.baseAddress, blasint(cn))
                        } else {
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rn), blasint(cn), blasint(d), 1,
                                        aRows, blasint(d), bRows, blasint(d), 0, pf.baseAddress, blasint(cn))
                        }
                    } else {
                        let aRows = ad.baseAddress! + r0 * d, bRows = bd.baseAddress! + c0 * d
                        if diagonal {
                            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(rn), blasint(d), 1,
                                        aRows, blasint(d), 0, pd.baseAddress, blasint(cn))
                        } else {
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rn), blasint(cn), blasint(d), 1,
                                        aRows, blasint(d), bRows, blasint(d), 0, pd.baseAddress, blasint(cn))
                        }
                    }
                    var s = 0.0
                    for i in 0..<rn {
                        let start = diagonal ? i + 1 : 0
                        let count = cn - start
                        guard count > 0 else { continue }
                        let offset = i * cn + start
                        let norms = bn.baseAddress! + c0 + start
                        if single {
                            s += kernelRowSum(pf.baseAddress! + offset, norms, count, an[r0 + i], gamma, ep.baseAddress!)
                        } else {
                            s += kernelRowSum(pd.baseAddress! + offset, norms, count, an[r0 + i], gamma, vp.baseAddress!)
                        }
                    }
                    out[t] = s
                    t += workers
                }
            }
            }
            }
            }
        }
        if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { run($0) } }
    }
    }
    }
    }
    }
    }
    }
    let total = sums.reduce(0, +)
    return same ? 2 * total : total
}

/// Σⱼ exp(-γ(nᵢ + nⱼ - 2pⱼ)) for one row of inner products p: the kernel values go to `values`
/// in one loop of plain arithmetic (so it vectorises), then are added with four accumulators.
@inline(__always)
private func kernelRowSum(_ products: UnsafePointer<Double>, _ norms: UnsafePointer<Double>, _ count: Int,
                          _ rowNorm: Double, _ gamma: Double, _ values: UnsafeMutablePointer<Double>) -> Double {
    for j in 0..<count { values[j] = kernelExp(-gamma * (rowNorm + norms[j] - 2 * products[j])) }
    return sumOf(values, count)
}

/// The float32 path's row: d² still formed in float64, but the exponent rounded to float32 and
/// exponentiated in float32 (four lanes per SSE2 register instead of two: the float64 exponential
/// was ~22 % of this path's CPU time; this one brought the benchmark from 3.01 to 2.69 CPU-s),
/// the kernel values then added in float64. Its extra error on KAD is measured beside the
/// SGEMM's in the README. `t` holds the row's exponents, then its kernel values.
@inline(__always)
private func kernelRowSum(_ products: UnsafePointer<Float>, _ norms: UnsafePointer<Double>, _ count: Int,
                          _ rowNorm: Double, _ gamma: Double, _ t: UnsafeMutablePointer<Float>) -> Double {
    for j in 0..<count { t[j] = Float(-gamma * (rowNorm + norms[j] - 2 * Double(products[j]))) }
    for j in 0..<count { t[j] = fastExp(t[j]) }
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var j = 0
    while j + 4 <= count {
        s0 += Double(t[j]); s1 += Double(t[j + 1]); s2 += Double(t[j + 2]); s3 += Double(t[j + 3])
        j += 4
    }
    while j < count { s0 += Double(t[j]); j += 1 }
    return (s0 + s1) + (s2 + s3)
}

@inline(__always)
private func sumOf(_ values: UnsafeMutablePointer<Double>, _ count: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var j = 0
    while j + 4 <= count {
        s0 += values[j]; s1 += values[j + 1]; s2 += values[j + 2]; s3 += values[j + 3]
        j += 4
    }
    while j < count { s0 += values[j]; j += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// e^x in float64 in plain arithmetic, so that the kernel loop vectorises (a call to the C
/// library's `exp` per element cost more than the SGEMM that produced its argument).
///
/// x = n ln 2 + r with ln 2 split in two (fdlibm's ln2_hi has 32 significant bits, so n · ln2_hi is
/// exact for |n| < 2^21), |r| ≤ ln 2 / 2; e^r by its degree-12 Taylor polynomial (truncation
/// r^13/13! < 1.8e-16 relative, evaluated by Estrin's scheme); 2^n put in the exponent bits. Relative error within a few units
/// in the last place of `exp` for x in [-708, 709] (checked in `KernelAudioDistanceTests`); below
/// -708 the result is 0 (KAD's arguments are ≤ 0 up to rounding, and e^-708 is far below
/// anything a kernel sum can resolve).
@inline(__always)
func kernelExp(_ x: Double) -> Double {
    let clamped = min(max(x, -708), 709)
    // Adding 1.5 · 2^52 rounds to an integer (to nearest) and leaves it in the low mantissa bits:
    // no conversion call and no trap check, so the loop vectorises.
    let shifted = clamped * 1.4426950408889634 + 6_755_399_441_055_744
    let n = shifted - 6_755_399_441_055_744
    let r = (clamped - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10
    // Estrin's scheme: the same polynomial in a tree of depth 8 instead of Horner's chain of 26
    // dependent operations, so that consecutive elements overlap in the pipelines.
    let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
    let q0 = 1 + r, q1 = 1.0 / 2 + r * (1.0 / 6), q2 = 1.0 / 24 + r * (1.0 / 120)
    let q3 = 1.0 / 720 + r * (1.0 / 5_040), q4 = 1.0 / 40_320 + r * (1.0 / 362_880)
    let q5 = 1.0 / 3_628_800 + r * (1.0 / 39_916_800), q6 = 1.0 / 479_001_600
    let s0 = q0 + r2 * q1, s1 = q2 + r2 * q3, s2 = q4 + r2 * q5
    let p = (s0 + r4 * s1) + r8 * (s2 + r4 * q6)
    let scale = Double(bitPattern: (shifted.bitPattern &- 0x4338_0000_0000_0000 &+ 1023) &<< 52)
    return x < -708 ? 0 : p * scale
}
