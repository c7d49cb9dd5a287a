import FADAudio
import Foundation
import _FADTestSupport

/// The test signals of Tests/Fixtures/scripts/features_reference.py (`signal()`), regenerated
/// from the same formulas: computed in Double, rounded to Float once.
enum Signals {
    static let synthetic = ["sine", "chirp", "noise", "silence"]
    static let all = synthetic + ["music"]

    static func make(_ kind: String, rate: Int, seconds: Double = 1.0) throws -> [Float] {
        let n = Int(Double(rate) * seconds)
        switch kind {
        case "sine":
            return (0 ..< n).map { Float(0.5 * sin(2 * .pi * 1000.0 * (Double($0) / Double(rate)))) }
        case "chirp":
            let f0 = 100.0, f1 = Double(rate) / 2 - 500
            return (0 ..< n).map { i in
                let t = Double(i) / Double(rate)
                return Float(0.3 * sin(2 * .pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds))))
            }
        case "noise":
            var state: UInt64 = 0x2545_F491_4F6C_DD1D
            return (0 ..< n).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let unit: Double = Double(state >> 11) / 0x1p53
                return Float(0.1 * (unit * 2 - 1))
            }
        case "silence":
            return [Float](repeating: 0, count: n)
        case "music":
            // 16-bit WAV at the front end's rate: decoded as int16 / 32768, as soundfile reads it.
            return try AudioLoader(targetSampleRate: rate).load(Fixtures.url("features/music_\(rate / 1000)k.wav"))
        default:
            fatalError("unknown signal \(kind)")
        }
    }
}

/// `max |a - b| / max(max |b|, 1)`: error relative to the reference log-mel's scale (its largest
/// magnitude), with a floor of 1 so that an all-zero reference (musicnn on silence) is judged
/// absolutely. Per-element relative error is meaningless for log values near zero.
func logMelRelativeError<A: Collection, B: Collection>(_ actual: A, _ reference: B) -> Double
where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    maxRelativeDifference(actual, reference, floor: 1)
}
