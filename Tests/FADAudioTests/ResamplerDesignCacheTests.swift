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
}
