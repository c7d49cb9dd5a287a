import CFFTW
import Foundation

/// Real-to-complex FFTs of one length, for any number of threads.
///
/// FFTW's planner is not thread-safe, its executor is: plans are made once per length under a
/// process-wide lock and kept for the life of the process; every transform runs with
/// `fftwf_execute_dft_r2c` on buffers that belong to the caller (`Workspace`), allocated with
/// `fftwf_malloc` so that their alignment matches the planning buffers'.
///
/// Plans use `FFTW_ESTIMATE`: planning is instant and deterministic. `FFTW_MEASURE` times
/// candidate algorithms and can choose differently from run to run (or machine load to machine
/// load), and different algorithms round differently, so features would not be bit-reproducible.
final class RealFFT: @unchecked Sendable {
    let length: Int
    /// Number of complex outputs, `length / 2 + 1`.
    var bins: Int { length / 2 + 1 }
    private let plan: fftwf_plan

    private static let lock = NSLock()
    nonisolated(unsafe) private static var plans: [Int: RealFFT] = [:]

    /// The shared transform of `length` points.
    static func shared(length: Int) -> RealFFT {
        lock.lock()
        defer { lock.unlock() }
        if let fft = plans[length] { return fft }
        let fft = RealFFT(length: length)
        plans[length] = fft
        return fft
    }

    private init(length: Int) {
        precondition(length >= 2, "RealFFT: length \(length)")
        self.length = length
        let input = fftwf_alloc_real(length)!
        let output = fftwf_alloc_complex(length / 2 + 1)!
        defer { fftwf_free(input); fftwf_free(output) }
        let estimate: UInt32 = 1 << 6  // FFTW_ESTIMATE (a macro Swift does not import)
        plan = fftwf_plan_dft_r2c_1d(Int32(length), input, output, estimate)!
    }

    /// Per-caller input/output buffers for `transform`.
    final class Workspace {
        let input: UnsafeMutablePointer<Float>
        let output: UnsafeMutablePointer<fftwf_complex>
        let length: Int

        init(length: Int) {
            self.length = length
            input = fftwf_alloc_real(length)!
            input.initialize(repeating: 0, count: length)
            output = fftwf_alloc_complex(length / 2 + 1)!
        }

        deinit {
            fftwf_free(input)
            fftwf_free(output)
        }

        /// Complex output `k` as (re, im).
        @inline(__always) func bin(_ k: Int) -> (Float, Float) { output[k] }
    }

    func makeWorkspace() -> Workspace { Workspace(length: length) }

    /// Transforms `workspace.input` into `workspace.output`.
    func transform(_ workspace: Workspace) {
        precondition(workspace.length == length)
        fftwf_execute_dft_r2c(plan, workspace.input, workspace.output)
    }
}
