import FADFeatures
import XCTest

final class FiniteCheckTests: XCTestCase {
    /// `allFinite` must agree with `isFinite` for every kind of value, wherever it sits.
    func testAgreesWithIsFinite() {
        let finite: [Float] = [0, -0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, .leastNormalMagnitude, 65504, 1e-40]
        let special: [Float] = [.nan, -.nan, .infinity, -.infinity, .signalingNaN]
        XCTAssertTrue(allFinite([]))
        XCTAssertTrue(allFinite(finite))
        XCTAssertTrue(allFinite([Float](repeating: 3, count: 1001) + finite))
        for x in special {
            for position in [0, 7, 500, 1000] {
                var values = [Float](repeating: .greatestFiniteMagnitude, count: 1001)
                values[position] = x
                XCTAssertFalse(allFinite(values), "\(x) at \(position)")
            }
        }
    }
}
