import XCTest
import FADNumerics

final class FastExpTests: XCTestCase {
    /// Within 3e-7 relative of exp over the range softmax uses and beyond; exact 0 below the
    /// float range (masks of -inf or -100 x large scales).
    func testFastExpAgreesWithExp() {
        var worst = 0.0
        var x: Float = -87
        while x < 88 {
            let reference = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(fastExp(x)) - reference) / reference)
            x += 0.0037
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(fastExp(0), 1)
        XCTAssertEqual(fastExp(-.infinity), 0)
        XCTAssertEqual(fastExp(-1000), 0)
    }
}
