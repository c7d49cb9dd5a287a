import XCTest
import FADNN

/// `ActivationMemory.retainFreedBlocks` must reach glibc's mallopt and have both thresholds and
/// the arena limit accepted (glibc refuses values it considers too large; then the CLIs would
/// silently keep unmapping every batch's tensors).
final class ActivationMemoryTests: XCTestCase {
    func testGlibcAcceptsTheThresholds() throws {
        #if canImport(Glibc)
        XCTAssertTrue(ActivationMemory.retainFreedBlocks())
        #else
        throw XCTSkip("glibc only")
        #endif
    }
}
