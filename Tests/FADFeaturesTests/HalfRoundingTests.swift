import FADArrays
@testable import FADFeatures
import XCTest

/// The log-mel front end rounds mel energies to float16 with an in-place fast path for
/// binary16's normal range; it must give `roundToHalf`'s bits everywhere it applies, and the
/// saturation everywhere else.
final class HalfRoundingTests: XCTestCase {
    func testFastPathGivesRoundToHalfBits() {
        func expected(_ f: Float) -> Float { f >= 65504 ? 65504 : f <= -65504 ? -65504 : roundToHalf(f) }
        func check(_ f: Float, _ line: UInt = #line) {
            let got = roundToHalfSaturating(Double(f))
            XCTAssertEqual(got.bitPattern, expected(f).bitPattern, "\(f) (0x\(String(f.bitPattern, radix: 16)))", line: line)
        }
        // Every tie, near-tie and carry pattern of the 13 dropped bits, at every float exponent
        // from below the half subnormals to past the half maximum, both signs.
        let lows: [UInt32] = [0, 1, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x2FFF, 0x3000, 0x3001]
        let highs: [UInt32] = [0, 1, 2, 0x1FE, 0x1FF, 0x200, 0x3FE, 0x3FF]
        for exponent in UInt32(90) ... 160 {
            for high in highs {
                for low in lows {
                    let bits = exponent << 23 | high << 13 | (low & 0x1FFF) | (low & 0x2000)
                    check(Float(bitPattern: bits))
                    check(Float(bitPattern: bits | 0x8000_0000))
                }
            }
        }
        // And a million arbitrary values over the range mel energies take.
        var state: UInt64 = 5
        for _ in 0 ..< 1_000_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let bits = UInt32(truncatingIfNeeded: state >> 32)
            let f = Float(bitPattern: bits & 0x7FFF_FFFF)
            if f.isFinite && f < 1e6 && f > 1e-12 { check(f) }
        }
        for f: Float in [0, -0, 65503, 65504, 65519, 65520, 1e9, .infinity, -.infinity, 0x1p-14, 0x1p-15, 0x1.ffep-15] { check(f) }
    }
}
