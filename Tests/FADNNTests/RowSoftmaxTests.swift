import Foundation
import XCTest
@testable import FADNN
import FADNumerics

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

    /// The SIMD8 `fastExp` gives the scalar one's bits in every lane (over [-100, 100], the
    /// clamps, -inf, +inf and NaN), and `exponentiateRow` the bits of the eight scalar chains it
    /// replaced (`scalarChains` below), for every remainder of the 8-wide loop and masked rows.
    func testSIMDFormulationKeepsTheScalarBits() {
        var state: UInt64 = 99
        func next(_ scale: Float) -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
        var inputs = (0..<40_000).map { _ in next(100) } + [-87.33, -87.34, 88.7, 88.8, 0, -0.0, .infinity, -.infinity, .nan]
        while inputs.count % 8 != 0 { inputs.append(next(10)) }
        for i in stride(from: 0, to: inputs.count, by: 8) {
            let v = SIMD8<Float>(inputs[i ..< i + 8])
            let e = fastExp(v)
            for k in 0..<8 { XCTAssertEqual(e[k].bitPattern, fastExp(v[k]).bitPattern, "fastExp(\(v[k]))") }
        }
        for count in Array(1...25) + [300, 750, 1001] {
            var row = (0..<count).map { _ in next(8) }
            if count > 3 { row[1] = -.infinity; row[count - 1] = -100 }
            var expected = row
            let expectedSum = expected.withUnsafeMutableBufferPointer { Self.scalarChains($0.baseAddress!, count: count) }
            let sum = row.withUnsafeMutableBufferPointer { exponentiateRow($0.baseAddress!, count: count) }
            XCTAssertEqual(sum.bitPattern, expectedSum.bitPattern, "sum, length \(count)")
            XCTAssertEqual(row.map(\.bitPattern), expected.map(\.bitPattern), "length \(count)")
        }
    }

    /// `exponentiateRow` as it was written before the SIMD8 version: eight scalar chains.
    static func scalarChains(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var m = [Float](repeating: -.infinity, count: 8)
        var j = 0
        while j + 8 <= count {
            for k in 0..<8 { m[k] = max(m[k], row[j + k]) }
            j += 8
        }
        var top = max(max(max(m[0], m[1]), max(m[2], m[3])), max(max(m[4], m[5]), max(m[6], m[7])))
        while j < count { top = max(top, row[j]); j += 1 }
        var s = [Float](repeating: 0, count: 8)
        j = 0
        while j + 8 <= count {
            for k in 0..<8 { let e = fastExp(row[j + k] - top); row[j + k] = e; s[k] += e }
            j += 8
        }
        var sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
        while j < count { let e = fastExp(row[j] - top); row[j] = e; sum += e; j += 1 }
        return sum
    }
}
