import Foundation
import FADArrays

/// Locates the files that the committed reference scripts (`Tests/Fixtures/scripts/`) write.
public enum Fixtures {
    /// The repository root, found from this source file's location so that tests work from any
    /// working directory.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures`.
    public static let root: URL = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    /// A fixture file, e.g. `Fixtures.url("metrics/fd_cases.json")`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// Reads a `.npy` fixture.
    public static func npy(_ relativePath: String) throws -> NPYArray {
        try NPYArray.read(contentsOf: url(relativePath))
    }

    /// Reads and decodes a JSON fixture.
    public static func json<T: Decodable>(_ type: T.Type, _ relativePath: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(relativePath)))
    }

    /// A fresh temporary directory, removed by the caller (or left for the OS to clean up).
    public static func temporaryDirectory(_ label: String = "fad-test") throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Largest absolute difference between two equally long sequences.
public func maxAbsDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double
where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    precondition(a.count == b.count, "maxAbsDifference: lengths \(a.count) and \(b.count) differ")
    var worst = 0.0
    for (x, y) in zip(a, b) { worst = max(worst, abs(Double(x) - Double(y))) }
    return worst
}

/// Largest difference relative to the reference's largest magnitude:
/// `max |a - b| / max(max |b|, floor)`. Per-element relative error is meaningless near zero, so
/// the tolerance is stated against the scale of the reference signal.
public func maxRelativeDifference<A: Collection, B: Collection>(_ actual: A, _ reference: B, floor: Double = 1e-30) -> Double
where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    let scale = max(reference.reduce(0.0) { max($0, abs(Double($1))) }, floor)
    return maxAbsDifference(actual, reference) / scale
}

/// `count` deterministic floats, uniform over [-1, 1] in steps of 1e-6 (a 64-bit LCG seeded by
/// `seed`): test inputs and weights that every run and machine sees alike.
public func uniformFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
    }
}
