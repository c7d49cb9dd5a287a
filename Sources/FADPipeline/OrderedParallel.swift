import Dispatch
import FADNN
import Foundation

/// Runs `work` on the indices `0..<count` with `threads` workers and hands each result to
/// `deliver` in index order, on one thread at a time, as soon as all earlier results are in.
///
/// Delivery in index order is what makes a run's numbers independent of the thread count:
/// statistics merge file by file in the same order whatever finished first.
///
/// Scheduling: whole items per worker, each with FADNN's kernels on one thread
/// (`BLAS.withKernelThreads`), so one file's decoding, resampling and front end overlap with
/// another's inference and two workers give about twice the rate of one, which splitting each
/// layer's GEMM tiles between threads does not (a barrier per layer, and the serial stages in
/// between run on one core). Only when fewer items are left than workers does an item get the
/// idle workers' share of kernel threads (a single long file still uses every core). The pipeline
/// is bounded: a worker does not start an item more than `lookahead` places ahead of the next
/// one to deliver, so results waiting for a slow predecessor cannot pile up without limit.
/// None of this changes the numbers: FADNN's tiles do not depend on its thread count.
func orderedParallelMap<T>(count: Int, threads: Int, lookahead: Int? = nil,
                           work: @escaping (Int) -> T, deliver: (Int, T) -> Void) {
    guard count > 0 else { return }
    let budget = max(1, threads)
    let workers = min(budget, count)
    let window = max(workers, lookahead ?? 2 * workers)
    /// Kernel threads for item `index`: the whole budget shared by the items still to start.
    @Sendable func kernelThreads(_ index: Int) -> Int { max(1, budget / min(workers, count - index)) }
    if workers == 1 {
        for i in 0..<count { deliver(i, BLAS.withKernelThreads(kernelThreads(i)) { work(i) }) }
        return
    }
    let condition = NSCondition()
    // Shared with the workers, always under `condition`'s lock; `deliver` is only called under it too.
    nonisolated(unsafe) var nextToStart = 0
    nonisolated(unsafe) var nextToDeliver = 0
    nonisolated(unsafe) var pending: [Int: T] = [:]
    nonisolated(unsafe) let work = work
    withoutActuallyEscaping(deliver) { deliver in
        nonisolated(unsafe) let deliver = deliver
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                condition.lock()
                while nextToStart < count && nextToStart - nextToDeliver >= window { condition.wait() }
                let index = nextToStart
                nextToStart += 1
                condition.unlock()
                if index >= count { return }
                let result = BLAS.withKernelThreads(kernelThreads(index)) { work(index) }
                condition.lock()
                pending[index] = result
                while let ready = pending.removeValue(forKey: nextToDeliver) {
                    deliver(nextToDeliver, ready)
                    nextToDeliver += 1
                }
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
