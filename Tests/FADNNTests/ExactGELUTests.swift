import Foundation
import XCTest
@testable import FADNN

/// `exactGELU` (rational erfcx + `fastExp`, no `erff`) in a dense sweep against float64
/// `0.5 x erfc(-x / sqrt(2))` from Foundation (the erfc form, so the negative tail's reference is
/// itself accurate).
final class ExactGELUTests: XCTestCase {
    /// Tolerances, from the float32 rounding of the output: |y - GELU(x)| <= 2e-7 max(1, |y|)
    /// over [-14, 14] (a correctly rounded float32 erf in `0.5 x (1 + erf(x / sqrt(2)))` reaches
    /// 1.2e-7, i.e. 2 ulp of 1, half an ulp of y beyond; measured here ~1.2e-7); and in the negative
    /// tail, relative to y itself: 1e-5 down to x = -13 (where float32 rounding of x^2 / 2 ~ 85
    /// shifts the exponent by up to 4e-6; `erf`'s formula has no correct digit there). A wrong
    /// coefficient or branch is off by > 1e-4.
    func testExactGELUAgreesWithFloat64Reference() {
        var worstScaled = 0.0, worstTailRelative = 0.0
        var i = -140_000
        while i <= 140_000 {
            let x = Float(i) * 1e-4
            let reference = 0.5 * Double(x) * Foundation.erfc(-Double(x) / 2.0.squareRoot())
            let error = abs(Double(exactGELU(x)) - reference)
            worstScaled = max(worstScaled, error / max(1, abs(reference)))
            if x < 0, x >= -13 { worstTailRelative = max(worstTailRelative, error / abs(reference)) }
            i += 1
        }
        XCTAssertLessThanOrEqual(worstScaled, 2e-7)
        XCTAssertLessThanOrEqual(worstTailRelative, 1e-5)
        XCTAssertEqual(exactGELU(0), 0)
        XCTAssertEqual(exactGELU(100), 100)
        XCTAssertEqual(exactGELU(.infinity), .infinity)
        XCTAssertEqual(exactGELU(-100), 0)
        XCTAssertTrue(exactGELU(.nan).isNaN)
    }

    /// The layer (tiled over workers) applies the same function to every element.
    func testLayerAppliesExactGELU() {
        let values = (0..<40_000).map { Float($0 - 20_000) * 3e-4 }
        let out = GELU()(Tensor(shape: [200, 200], values: values))
        XCTAssertEqual(out.values, values.map(exactGELU))
    }
}
