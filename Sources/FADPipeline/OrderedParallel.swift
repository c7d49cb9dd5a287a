import Dispatch
import Foundation

/// Runs `work` on the indices `0..<count` with `threads` workers and hands each result to
/// `deliver` in index order, on one thread at a time, as soon as all earlier results are in.
///
/// Delivery in index order is what makes a run's numbers independent of the thread count:
/// statistics merge file by file in the same order whatever finished first. Results wait in a
/// reorder buffer only until their predecessors arrive, so memory does not grow with `count`
/// beyond the results that are out of order.
func orderedParallelMap<T>(count: Int, threads: Int, work: @escaping (Int) -> T, deliver: (Int, T) -> Void) {
    guard count > 0 else { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { deliver(i, work(i)) }
        return
    }
    let lock = NSLock()
    // Shared with the workers, always under `lock`; `deliver` is only called under it too.
    nonisolated(unsafe) var nextToStart = 0
    nonisolated(unsafe) var nextToDeliver = 0
    nonisolated(unsafe) var pending: [Int: T] = [:]
    nonisolated(unsafe) let work = work
    withoutActuallyEscaping(deliver) { deliver in
        nonisolated(unsafe) let deliver = deliver
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                let index = nextToStart
                nextToStart += 1
                lock.unlock()
                if index >= count { return }
                let result = work(index)
                lock.lock()
                pending[index] = result
                while let ready = pending.removeValue(forKey: nextToDeliver) {
                    deliver(nextToDeliver, ready)
                    nextToDeliver += 1
                }
                lock.unlock()
            }
        }
    }
}
