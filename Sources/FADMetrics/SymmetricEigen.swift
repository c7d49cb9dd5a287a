import CLAPACKE

/// Eigenvalues (ascending) and optionally eigenvectors of a real symmetric matrix, by LAPACK's
/// divide-and-conquer `dsyevd`. Only the upper triangle of the row-major input is read.
///
/// Eigenvectors come back row-major in `vectors`: column `k` (`vectors[i * n + k]`) is the unit
/// eigenvector of `values[k]`.
struct SymmetricEigen {
    var values: [Double]
    var vectors: [Double]?

    init(symmetric matrix: [Double], dimension n: Int, wantVectors: Bool, subject: String) throws {
        precondition(matrix.count == n * n)
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { ap in
            w.withUnsafeMutableBufferPointer { wp in
                LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: wantVectors ? "V" : "N")),
                               CChar(UInt8(ascii: "U")), Int32(n), ap.baseAddress, Int32(n), wp.baseAddress)
            }
        }
        guard info == 0 else {
            throw MetricsError.invalid(
                info < 0 ? "LAPACKE_dsyevd: argument \(-info) invalid (n = \(n))"
                         : "LAPACKE_dsyevd: eigen solver did not converge (info \(info), n = \(n))",
                subject: subject)
        }
        values = w
        vectors = wantVectors ? a : nil
    }
}

/// Tally of eigenvalues set to zero before taking square roots.
///
/// A symmetric eigensolver in `Double` returns eigenvalues with absolute error ~ n·ε·λmax, so an
/// exactly zero eigenvalue (the null space of a rank-deficient covariance: fewer frames than
/// dimensions) comes back as ±1e-15·λmax — and its square root as ~3e-8·√λmax, which summed over
/// the null space biases tr (Σ₁Σ₂)^½ by ~1e-8 relative (what scipy's `eig`/`sqrtm` do; measured
/// against the exact nuclear-norm value on the fixtures). Eigenvalues at or below the noise floor
/// n·ε·λmax, negative ones included, are therefore zeroed and counted.
struct ClippedEigenvalues {
    var count = 0
    var largest = 0.0

    /// Zeroes eigenvalues at rounding level in `values`, recording them; throws when a negative
    /// one is too large to be rounding error of a positive semi-definite matrix (the input was
    /// not a covariance).
    mutating func clip(_ values: inout [Double], subject: String, what: String) throws {
        let top = values.map(abs).max() ?? 0
        let floor = Double(values.count) * Double.ulpOfOne * top
        // 1e-6·λmax is many orders above rounding and far below what a genuinely indefinite
        // matrix shows.
        let tolerance = 1e-6 * top
        for k in values.indices where values[k] <= floor && values[k] != 0 {
            if -values[k] > tolerance {
                throw MetricsError.invalid(
                    "\(what) is not positive semi-definite (eigenvalue \(values[k]) against largest \(top))",
                    subject: subject)
            }
            count += 1
            largest = max(largest, abs(values[k]))
            values[k] = 0
        }
    }
}
