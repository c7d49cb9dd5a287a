import CPolyphaseKernel
@testable import FADAudio
import XCTest

/// The polyphase filter is designed once per rate pair and process, not per file: the cached
/// design must be the design (same table, bit for bit), shared, and a rate pair without a
/// polyphase design must stay without one.
final class ResamplerDesignCacheTests: XCTestCase {
    func testCachedDesignIsTheFreshDesignAndShared() throws {
        let cached = try XCTUnwrap(PolyphaseResampler.designs.design(inputRate: 44_100, outputRate: 16_000))
        let fresh = try XCTUnwrap(PolyphaseResampler.design(inputRate: 44_100, outputRate: 16_000))
        XCTAssertEqual([cached.up, cached.down, cached.taps, cached.center], [fresh.up, fresh.down, fresh.taps, fresh.center])
        XCTAssertEqual(cached.table, fresh.table)
        let again = try XCTUnwrap(PolyphaseResampler.designs.design(inputRate: 44_100, outputRate: 16_000))
        XCTAssertEqual(again.table.withUnsafeBufferPointer { $0.baseAddress }, cached.table.withUnsafeBufferPointer { $0.baseAddress })
    }

    func testPairsWithoutADesignStayWithout() {
        // 44101 and 192000 share no factor: 192,000 phases pass the table limit.
        XCTAssertTrue(PolyphaseResampler.design(inputRate: 44_101, outputRate: 192_000) == nil)
        XCTAssertTrue(PolyphaseResampler.designs.design(inputRate: 44_101, outputRate: 192_000) == nil)
        XCTAssertTrue(PolyphaseResampler.designs.design(inputRate: 44_101, outputRate: 192_000) == nil)
    }

    /// The resampler computes two outputs of a phase at once (`dot2`): each must be summed
    /// exactly as the one-output `dot` sums it, so that resampled audio keeps its bits.
    func testPairedDotProductsKeepTheBits() {
        var state: UInt64 = 7
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        for count in [8, 16, 24, 136, 360, 368] {
            let a = (0..<count).map { _ in next() }, b = (0..<count).map { _ in next() }, c = (0..<count).map { _ in next() }
            let (p, q) = PolyphaseResampler.dot2(a, b, c, count: count)
            XCTAssertEqual(p.bitPattern, PolyphaseResampler.dot(a, b, count: count).bitPattern, "\(count)")
            XCTAssertEqual(q.bitPattern, PolyphaseResampler.dot(a, c, count: count).bitPattern, "\(count)")
        }
    }

    /// The AVX2 kernel (four outputs at once, then one by one) must sum every output exactly as
    /// `dot` does, for every tap count the designs use and any run length.
    func testVectorKernelKeepsTheBits() throws {
        guard CPolyphaseKernel_available() != 0 else { throw XCTSkip("no AVX2 on this CPU") }
        var state: UInt64 = 11
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        for taps in [8, 16, 24, 136, 360, 368] {
            for count in [1, 3, 4, 5, 8, 11] {
                let step = 3
                let a = (0..<taps).map { _ in next() }
                let x = (0..<(taps + step * count)).map { _ in next() }
                let stride = 2
                var y = [Float](repeating: .nan, count: count * stride)
                CPolyphaseKernel_run(a, taps, x, step, count, &y, stride)
                x.withUnsafeBufferPointer { x in
                    for j in 0..<count {
                        let expected = PolyphaseResampler.dot(a, x.baseAddress! + j * step, count: taps)
                        XCTAssertEqual(y[j * stride].bitPattern, expected.bitPattern, "taps \(taps), output \(j) of \(count)")
                        if j * stride + 1 < y.count { XCTAssertTrue(y[j * stride + 1].isNaN, "wrote between outputs") }
                    }
                }
            }
        }
        // Whole streams through the resampler (several tiles of every phase, a partial last
        // one; down- and upsampling) keep the bits of the dot products.
        XCTAssertTrue(PolyphaseResampler.vectorKernel)
        let input = (0..<20_000).map { _ in next() }
        for (from, to) in [(44_100, 16_000), (48_000, 16_000), (96_000, 16_000), (22_050, 16_000), (8_000, 16_000), (44_100, 48_000)] {
            let design = try XCTUnwrap(PolyphaseResampler.design(inputRate: from, outputRate: to))
            let output = try StreamingResampler.resample(input, from: from, to: to, quality: .kaiserPolyphase)
            let padded = [Float](repeating: 0, count: design.taps) + input + [Float](repeating: 0, count: design.taps)
            padded.withUnsafeBufferPointer { x in
                design.table.withUnsafeBufferPointer { table in
                    for j in 0 ..< output.count {
                        let v = j * design.down + design.center
                        let expected = PolyphaseResampler.dot(table.baseAddress! + (v % design.up) * design.taps,
                                                              x.baseAddress! + (v / design.up + 1), count: design.taps)
                        XCTAssertEqual(output[j].bitPattern, expected.bitPattern, "\(from) -> \(to), output \(j)")
                        if output[j].bitPattern != expected.bitPattern { return }
                    }
                }
            }
        }
    }
}
