import Foundation
import XCTest
@testable import FADNN

final class RowSoftmaxTests: XCTestCase {
    /// `exponentiateRow` / its sum against a float64 softmax, for lengths around the 8-wide
    /// unrolling (remainders 0...7) and a long row, with -inf and -100 masks among the logits.
    /// Tolerance 1e-6 relative to the largest probability: `fastExp` is within 3e-7 and a sum of
    /// <= 1000 float32 terms in 8 partial sums adds < 1e-7 per term relative.
    func testExponentiatedRowsNormaliseToSoftmax() {
        var state: UInt64 = 12345
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 16 - 8
        }
        for count in Array(1...25) + [300, 1001] {
            var row = (0..<count).map { _ in next() }
            if count > 3 { row[1] = -.infinity; row[count - 1] = -100 }
            let top = Double(row.max()!)
            let exps = row.map { Foundation.exp(Double($0) - top) }
            let total = exps.reduce(0, +)
            let sum = row.withUnsafeMutableBufferPointer { exponentiateRow($0.baseAddress!, count: count) }
            var worst = 0.0
            for j in 0..<count { worst = max(worst, abs(Double(row[j] / sum) - exps[j] / total)) }
            XCTAssertLessThanOrEqual(worst, 1e-6, "length \(count)")
            if count > 3 { XCTAssertEqual(row[1], 0, "masked logit, length \(count)") }
        }
    }
}
