import COpenBLAS

/// OpenBLAS made serial (`openblas_set_num_threads(1)`), once per process, process-wide.
///
/// fad runs its own worker threads, each making serial BLAS calls: a threaded OpenBLAS call
/// blocks its inner sums differently from a serial one, so results would depend on the thread
/// count (FADNN's `BLAS` documents the measurements). Networks and metrics both call this
/// before their first BLAS call.
public enum SerialBLAS {
    private static let serialise: Void = { openblas_set_num_threads(1) }()

    /// Makes OpenBLAS serial if no call has done so yet.
    public static func ensure() { _ = serialise }
}
