import FADArrays
import FADMetrics
import FADStats
import Foundation
import _FADTestSupport

let metadata = StatisticsMetadata(model: "test", layer: "embedding", frontEnd: "test", files: 1)

func statistics(_ frames: Matrix<Float>) throws -> GaussianStatistics {
    var s = RunningStatistics(dimension: frames.columns)
    s.add(frames)
    return try s.finalized(metadata: metadata)
}

func statistics(_ frames: Matrix<Double>) throws -> GaussianStatistics {
    var s = RunningStatistics(dimension: frames.columns)
    s.add(frames)
    return try s.finalized(metadata: metadata)
}

/// The fixture JSON as nested dictionaries (read once, never changed).
nonisolated(unsafe) let reference: [String: Any] = {
    let data = try! Data(contentsOf: Fixtures.url("metrics/metrics_reference.json"))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
}()

func section(_ name: String) -> [String: Any] { reference[name] as! [String: Any] }

func number(_ value: Any?) -> Double { (value as! NSNumber).doubleValue }

func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

/// Standard normal matrix from the project's seeded generator (Box–Muller).
func gaussianFrames(rows: Int, columns: Int, generator: inout SeededGenerator) -> Matrix<Float> {
    var values: [Float] = []
    values.reserveCapacity(rows * columns)
    while values.count < rows * columns {
        let u1 = 1 - generator.uniformDouble(), u2 = generator.uniformDouble()
        let r = (-2 * log(u1)).squareRoot()
        values.append(Float(r * cos(2 * .pi * u2)))
        values.append(Float(r * sin(2 * .pi * u2)))
    }
    return Matrix(rows: rows, columns: columns, values: Array(values.prefix(rows * columns)))
}
