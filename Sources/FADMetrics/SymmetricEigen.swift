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

/// Tally of negative eigenvalues set to zero before taking square roots.
struct ClippedEigenvalues {
    var count = 0
    var largest = 0.0

    /// Clips negatives in `values` to zero, recording them; throws when one is too large to be
    /// rounding error of a positive semi-definite matrix (the input was not a covariance).
    mutating func clip(_ values: inout [Double], subject: String, what: String) throws {
        let top = values.map(abs).max() ?? 0
        // Eigenvalues of a PSD matrix computed in Double are accurate to ~n·eps·λmax; 1e-6·λmax
        // is many orders above that and far below anything a genuine indefinite matrix shows.
        let tolerance = 1e-6 * top
        for k in values.indices where values[k] < 0 {
            if -values[k] > tolerance {
                throw MetricsError.invalid(
                    "\(what) is not positive semi-definite (eigenvalue \(values[k]) against largest \(top))",
                    subject: subject)
            }
            count += 1
            largest = max(largest, -values[k])
            values[k] = 0
        }
    }
}
