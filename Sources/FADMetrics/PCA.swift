import COpenBLAS
import FADArrays

/// Principal components of rows, as scikit-learn's `PCA(n_components=None)` fits them: centred
/// data, components ordered by decreasing variance. Computed from the d×d covariance by the
/// symmetric eigensolver in `Double` (component signs are arbitrary, as in any PCA; distances
/// between projected rows do not depend on them).
struct PrincipalComponents {
    /// Variances along the components, decreasing.
    var variances: [Double]
    /// Row-major d × d; column k is component k.
    var components: [Double]
    var mean: [Double]
    var dimension: Int

    init(_ x: [Double], rows n: Int, columns d: Int) throws {
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centred = x
        for i in 0..<n { for j in 0..<d { centred[i * d + j] -= mean[j] } }
        var cov = [Double](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { cp in
            cov.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(d), blasint(n), 1 / Double(max(1, n - 1)),
                            cp.baseAddress, blasint(d), 0, c.baseAddress, blasint(d))
            }
        }
        let eigen = try SymmetricEigen(symmetric: cov, dimension: d, wantVectors: true, subject: "PCA")
        // dsyevd is ascending; reverse into decreasing order.
        let order = Array((0..<d).reversed())
        variances = order.map { max(0, eigen.values[$0]) }
        var comps = [Double](repeating: 0, count: d * d)
        let v = eigen.vectors!
        for (k, src) in order.enumerated() { for i in 0..<d { comps[i * d + k] = v[i * d + src] } }
        components = comps
        self.mean = mean
        dimension = d
    }

    /// Smallest number of leading components whose variance ratio reaches `fraction`
    /// (`np.argmax(np.cumsum(ratio) >= fraction) + 1`, as mauve-text takes it).
    func count(explaining fraction: Double) -> Int {
        let total = variances.reduce(0, +)
        guard total > 0 else { return 1 }
        var cumulative = 0.0
        for (k, v) in variances.enumerated() {
            cumulative += v / total
            if cumulative >= fraction { return k + 1 }
        }
        return variances.count
    }

    /// The rows projected on the first `count` components, row-major n × count.
    func project(_ x: [Double], rows n: Int, count c: Int) -> [Double] {
        let d = dimension
        var centred = x
        for i in 0..<n { for j in 0..<d { centred[i * d + j] -= mean[j] } }
        var out = [Double](repeating: 0, count: n * c)
        centred.withUnsafeBufferPointer { xp in
            components.withUnsafeBufferPointer { cp in
                out.withUnsafeMutableBufferPointer { o in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(c), blasint(d), 1,
                                xp.baseAddress, blasint(d), cp.baseAddress, blasint(d), 0, o.baseAddress, blasint(c))
                }
            }
        }
        return out
    }
}
