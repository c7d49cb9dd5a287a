import COpenBLAS
import Dispatch
import FADNumerics
import Foundation

/// SGEMM for FADNN, and the thread count FADNN computes with.
///
/// Thread-count independence: OpenBLAS 0.3.21's own threading does NOT give the same bits for 1
/// and 2 threads (its threaded driver blocks K differently from the serial one, so partial sums
/// round differently; measured up to ~3e-5 absolute on musicnn-sized GEMMs). Nor does splitting
/// the rows of one product between calls: a row's result depends on where it falls in OpenBLAS's
/// M blocking and micro-kernel tiles (measured on Zen: rows 104508.. of a [125664 x 32] x [32 x 51]
/// product change when the call is split at row 62784, a multiple of every M unroll). So FADNN
/// keeps OpenBLAS serial (`openblas_set_num_threads(1)`, process-wide, on first use) and cuts each
/// layer into GEMM TILES whose sizes depend on the layer's shapes only; worker threads merely
/// decide who runs which tile. Every tile is the same serial OpenBLAS call whatever the worker
/// count, hence bit-identical results (checked by `FADNNTests` for 1, 2 and 3 workers).
public enum BLAS {
    private static let serialise: Void = SerialBLAS.ensure()
    private static let defaultWorkers = WorkerSetting(max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// The kernel worker count bound by `withKernelThreads` for the code running inside it.
    @TaskLocal private static var boundWorkers: Int?

    /// Makes OpenBLAS serial now, for every later BLAS and LAPACK call of the process. FADNN does
    /// it on first use; code that computes statistics or metrics without running a model first
    /// (every embedding from the cache) calls this so that its float64 products round the same
    /// way as in a run that did run the model.
    public static func makeSerial() { _ = serialise }

    /// Worker threads FADNN splits one layer's GEMM tiles over (process-wide default; default: the
    /// active processor count). Inside `withKernelThreads` the bound count applies instead.
    /// Results are bit-identical for any value.
    public static var threads: Int {
        get { _ = serialise; return boundWorkers ?? defaultWorkers.value }
        set { _ = serialise; defaultWorkers.value = max(1, newValue) }
    }

    /// Runs `body` with FADNN's kernels on `count` worker threads for the calls made from it (on
    /// this thread or task), leaving other threads' setting alone. A pipeline that already runs
    /// one file per core binds 1 here: per-layer tile splitting then only adds synchronisation.
    /// Tiles never depend on the count, so neither do the results.
    public static func withKernelThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        _ = serialise
        return try $boundWorkers.withValue(max(1, count), operation: body)
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

    /// Rows per tile of `parallelSgemm`.
    public static let denseTileRows = 256

    /// The same product computed as serial calls on fixed tiles of `denseTileRows` rows of C,
    /// run by `threads` workers (A not transposed).
    public static func parallelSgemm(m: Int, n: Int, k: Int,
                                     a: UnsafePointer<Float>, lda: Int,
                                     b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                                     c: UnsafeMutablePointer<Float>, ldc: Int,
                                     alpha: Float = 1, beta: Float = 0) {
        forEachTile(count: m, tile: denseTileRows) { rows, _ in
            sgemm(m: rows.count, n: n, k: k, a: a + rows.lowerBound * lda, lda: lda,
                  b: b, ldb: ldb, transposeB: transposeB, c: c + rows.lowerBound * ldc, ldc: ldc,
                  alpha: alpha, beta: beta)
        }
    }

    /// Calls `body(range, worker)` for the tiles [0, tile), [tile, 2 tile), ... of 0..<count, spread
    /// over `threads` workers (worker w runs tiles w, w + threads, ...; `worker` indexes per-worker
    /// scratch). The tiles do not depend on the worker count. Returns when all are done.
    public static func forEachTile(count: Int, tile: Int, _ body: (Range<Int>, Int) -> Void) {
        guard count > 0 else { return }
        _ = serialise
        let tile = max(1, tile)
        let tiles = (count + tile - 1) / tile
        let workers = min(threads, tiles)
        withoutActuallyEscaping(body) { body in
            // Not @Sendable (callers capture the pointers of their buffers), but safe to share:
            // each tile touches its own rows only and concurrentPerform returns after all ran.
            nonisolated(unsafe) let run: (Int) -> Void = { worker in
                var t = worker
                while t < tiles {
                    body((t * tile) ..< min(count, (t + 1) * tile), worker)
                    t += workers
                }
            }
            if workers == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { run($0) } }
        }
    }
}

/// The process-wide default worker count: written rarely (start-up, benchmarks, tests), read by
/// every layer from any thread.
private final class WorkerSetting: @unchecked Sendable {
    // @unchecked: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: Int
    init(_ value: Int) { stored = value }
    var value: Int {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
