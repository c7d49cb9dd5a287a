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
}
