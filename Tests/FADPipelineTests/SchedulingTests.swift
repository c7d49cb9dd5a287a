import XCTest
import FADModels
import FADNN
@testable import FADPipeline
import _FADTestSupport

/// The pipeline's scheduling (a file per worker with one-thread kernels, a bounded window of
/// files in flight, ordered delivery) and its promise: the same bits for any thread count.
final class SchedulingTests: XCTestCase {
    func testDeliversInOrderWithinTheLookaheadAndSharesKernelThreadsAtTheEnd() {
        let lock = NSLock()
        var delivered = 0
        var furthestAhead = 0
        var kernelThreads: [Int: Int] = [:]
        var order: [Int] = []
        orderedParallelMap(count: 40, threads: 3, lookahead: 4, work: { i -> Int in
            lock.lock()
            furthestAhead = max(furthestAhead, i - delivered)
            kernelThreads[i] = BLAS.threads
            lock.unlock()
            // Uneven work, so that later items often finish first.
            usleep(useconds_t((i * 7919) % 5 * 400))
            return i * i
        }, deliver: { i, value in
            XCTAssertEqual(value, i * i)
            lock.lock()
            order.append(i)
            delivered = i + 1
            lock.unlock()
        })
        XCTAssertEqual(order, Array(0..<40))
        XCTAssertLessThan(furthestAhead, 4, "a worker started an item more than the lookahead ahead")
        // One-thread kernels while every worker has a file; the last file gets all 3.
        XCTAssertEqual((0..<38).map { kernelThreads[$0] }, [Int?](repeating: 1, count: 38))
        XCTAssertEqual(kernelThreads[38], 1)  // 2 left: 3 / 2 = 1
        XCTAssertEqual(kernelThreads[39], 3)
        // A single item gets the whole budget, and the binding does not leak out.
        var single = 0
        orderedParallelMap(count: 1, threads: 2, work: { _ in BLAS.threads }, deliver: { single = $1 })
        XCTAssertEqual(single, 2)
    }

    /// Real files through decode, resample, front end and musicnn with 1 and 3 threads (with 3,
    /// the first file runs on a worker with one-thread kernels while the second, the last one,
    /// gets 3): every layer bit-identical.
    func testEmbeddingsAreBitIdenticalForAnyThreadCount() throws {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("Examples/reference")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".ogg") }
            .sorted().prefix(2).map { InputFile(url: folder.appendingPathComponent($0), key: $0) }
        XCTAssertEqual(files.count, 2)
        let model = try ModelRegistry.load("msd-musicnn")
        func run(threads: Int) throws -> [[Float]] {
            let extractor = try EmbeddingExtractor(model: model, layers: ["max_pool", "penultimate", "logits"],
                                                   cache: nil, threads: threads)
            var out: [[Float]] = []
            var failure: Error?
            extractor.run(files) { _, result in
                do {
                    let e = try result.get()
                    out += ["max_pool", "penultimate", "logits"].map { e.layers[$0]!.values }
                } catch { failure = error }
            }
            if let failure { throw failure }
            return out
        }
        let one = try run(threads: 1)
        XCTAssertEqual(one.count, 6)
        for threads in [3] {
            let other = try run(threads: threads)
            for i in one.indices {
                XCTAssertTrue(one[i] == other[i], "\(threads) threads, output \(i): \(maxAbsDifference(one[i], other[i]))")
            }
        }
    }
}
