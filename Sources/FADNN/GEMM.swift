import COpenBLAS
import Dispatch

/// SGEMM for FADNN, and the thread count FADNN computes with.
///
/// Thread-count independence: OpenBLAS 0.3.21's own threading does NOT give the same bits for 1
/// and 2 threads (its threaded driver blocks K differently from the serial one, so partial sums
/// round differently; measured up to ~3e-5 absolute on musicnn-sized GEMMs). Nor is an arbitrary
/// split of the rows of C invariant: the last, partial M tile of a call goes through other
/// micro-kernel code. FADNN therefore keeps OpenBLAS serial (`openblas_set_num_threads(1)`,
/// process-wide, on first use) and splits the rows of each GEMM between its own workers at
/// multiples of `rowGranularity` (96, a multiple of every SGEMM M-unroll of OpenBLAS's x86 kernels),
/// so every row is computed by the same tile code with the same K blocking (which depends on K
/// only) whatever the worker count. `FADNNTests` checks 1, 2 and 3 workers bit for bit on the
/// models' shapes.
public enum BLAS {
    private static let serialise: Void = { openblas_set_num_threads(1) }()
    nonisolated(unsafe) private static var workerCount = 2

    /// Worker threads FADNN splits its GEMMs and im2col between (process-wide; default 2).
    public static var threads: Int {
        get { _ = serialise; return workerCount }
        set { _ = serialise; workerCount = max(1, newValue) }
    }

    /// C[m, n] = alpha * op(A) op(B) + beta * C, row-major, computed by one serial OpenBLAS call.
    /// `a` is [m, k] (or [k, m] when `transposeA`), `b` is [k, n] (or [n, k] when `transposeB`).
    public static func sgemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                             b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                             c: UnsafeMutablePointer<Float>, ldc: Int,
                             alpha: Float = 1, beta: Float = 0) {
        _ = serialise
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Row splits of a GEMM happen at multiples of this (see above).
    public static let rowGranularity = 96

    /// The same product with the rows of C split between `threads` workers (A not transposed).
    public static func parallelSgemm(m: Int, n: Int, k: Int,
                                     a: UnsafePointer<Float>, lda: Int,
                                     b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                                     c: UnsafeMutablePointer<Float>, ldc: Int,
                                     alpha: Float = 1, beta: Float = 0) {
        parallelRanges(count: m, granularity: rowGranularity) { rows in
            sgemm(m: rows.count, n: n, k: k, a: a + rows.lowerBound * lda, lda: lda,
                  b: b, ldb: ldb, transposeB: transposeB, c: c + rows.lowerBound * ldc, ldc: ldc,
                  alpha: alpha, beta: beta)
        }
    }

    /// Runs `body` on contiguous pieces of 0..<count, at most one per worker, whose boundaries are
    /// multiples of `granularity`, and returns when all are done.
    public static func parallelRanges(count: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let units = (count + granularity - 1) / granularity
        let pieces = max(1, min(threads, units))
        if pieces == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let lo = min(count, units * piece / pieces * granularity)
            let hi = min(count, units * (piece + 1) / pieces * granularity)
            if lo < hi { body(lo..<hi) }
        }
    }
}
