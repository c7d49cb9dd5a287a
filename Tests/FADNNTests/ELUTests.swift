import Foundation
import XCTest
@testable import FADNN

final class ELUTests: XCTestCase {
    /// `negativeExpm1` against float64 expm1 over [-100, 0], including tiny inputs where
    /// exp(x) - 1 would lose everything to cancellation: within 1.5e-7 relative (measured 9.1e-8).
    func testNegativeExpm1IsAccurate() {
        var inputs: [Float] = [0, -0.0, -1e-30, -1e-12, -1e-8, -1e-6, -1e-4, -0.3465, -0.3466, -17.3, -17.4, -87.3, -87.4, -100]
        var x: Float = -100
        while x < 0 { inputs.append(x); x += 0.00137 }
        while inputs.count % 8 != 0 { inputs.append(-1) }
        var worst = 0.0
        for i in stride(from: 0, to: inputs.count, by: 8) {
            let y = negativeExpm1(SIMD8<Float>(inputs[i ..< i + 8]))
            for k in 0..<8 {
                let reference = Foundation.expm1(Double(inputs[i + k]))
                worst = max(worst, reference == 0 ? abs(Double(y[k])) : abs(Double(y[k]) - reference) / abs(reference))
            }
        }
        XCTAssertLessThanOrEqual(worst, 1.5e-7)
    }

    /// Positive values pass unchanged, -inf gives -alpha, NaN stays NaN, and the tail of a
    /// tensor (count not a multiple of 8) gets the same bits as the same value in a full lane.
    func testELUEdgesAndTail() {
        let values: [Float] = [3, 0, -0.5, -.infinity, .nan, 1e-20, -1e-20, -2, -30, 7, -0.25, 0.125, -1]
        let out = ELU(alpha: 1.5)(Tensor(shape: [values.count], values: values)).values
        XCTAssertEqual(out[0], 3); XCTAssertEqual(out[9], 7); XCTAssertEqual(out[5], 1e-20)
        XCTAssertEqual(out[3], -1.5)
        XCTAssertTrue(out[4].isNaN)
        for (i, v) in values.enumerated() where !v.isNaN {
            let lane = ELU.elu(SIMD8(repeating: v), alpha: 1.5)[0]
            XCTAssertEqual(out[i].bitPattern, lane.bitPattern, "value \(v) at \(i)")
            if v <= 0 && v.isFinite {
                XCTAssertEqual(Double(out[i]), 1.5 * Foundation.expm1(Double(v)), accuracy: 4e-7 * max(1e-30, abs(1.5 * Foundation.expm1(Double(v)))))
            }
        }
    }
}
