import FADArrays

/// Precision and recall (Kynkäänniemi et al. 2019), density and coverage (Naeem et al. 2020)
/// of k-nearest-neighbour manifolds, with what each generated sample contributes.
public struct PRDCResult: Codable, Hashable, Sendable {
    public var precision: Double
    public var recall: Double
    public var density: Double
    public var coverage: Double
    public var k: Int
    /// Per generated row, in input order.
    public var generated: [PRDCSample]
}

/// One generated sample against the reference manifold.
public struct PRDCSample: Codable, Hashable, Sendable {
    /// Distance to its k-th nearest reference sample.
    public var kthReferenceDistance: Double
    /// Inside the reference manifold: within the k-NN ball of at least one reference sample
    /// (what precision counts).
    public var insideReference: Bool
    /// Reference k-NN balls it falls in (density counts them, divided by k).
    public var referenceBalls: Int
}

/// PRDC of `generated` against `reference` (one row per sample), as the `prdc` package
/// (clovaai/generative-evaluation-prdc) computes it:
///
/// - radius of a sample: distance to its k-th nearest neighbour in its own set (itself excluded);
/// - precision: fraction of generated samples within some reference radius (strict `<`);
/// - recall: fraction of reference samples within some generated radius;
/// - density: mean over generated samples of (reference balls containing it) / k;
/// - coverage: fraction of reference samples whose nearest generated sample is inside its ball.
///
/// Distances are computed in `Double` by blocks, never as a full matrix.
public func precisionRecallDensityCoverage(reference: Matrix<Float>, generated: Matrix<Float>,
                                           k: Int = 5) throws -> PRDCResult {
    guard reference.columns == generated.columns else {
        throw MetricsError.dimensionMismatch("PRDC reference vs generated", reference.columns, generated.columns)
    }
    guard k >= 1 else { throw MetricsError.invalid("PRDC needs k >= 1, got \(k)") }
    guard reference.rows > k, generated.rows > k else {
        throw MetricsError.invalid("PRDC with k = \(k) needs more than \(k) samples per set (got \(reference.rows) reference, \(generated.rows) generated)")
    }
    guard reference.values.allSatisfy({ $0.isFinite }), generated.values.allSatisfy({ $0.isFinite }) else {
        throw MetricsError.invalid("PRDC input holds NaN or infinity")
    }
    let mean = CentredRows.mean(of: reference)
    let r = CentredRows(reference, mean: mean), g = CentredRows(generated, mean: mean)
    func radii(_ x: CentredRows) -> [Double] {
        var out = [Double](repeating: 0, count: x.rows)
        forEachDistanceBlock(x, x) { range, dist in
            for (i, row) in range.enumerated() {
                out[row] = smallest(k, of: dist[(i * x.rows)..<((i + 1) * x.rows)], skip: row)[k - 1]
            }
        }
        return out
    }
    let refRadii = radii(r), genRadii = radii(g)
    let m = r.rows, n = g.rows
    var balls = [Int](repeating: 0, count: n)
    var kth = [[Double]](repeating: [], count: n)
    var recalled = 0, covered = 0
    // Blocks of generated rows against all reference rows: per generated sample its ball count
    // and k-th reference distance.
    forEachDistanceBlock(g, r) { range, dist in
        for (i, j) in range.enumerated() {
            let row = dist[(i * m)..<((i + 1) * m)]
            kth[j] = smallest(k, of: row)
            var count = 0
            for (ri, v) in row.enumerated() where v < refRadii[ri] { count += 1 }
            balls[j] = count
        }
    }
    // Blocks of reference rows against all generated rows: recall and coverage.
    forEachDistanceBlock(r, g) { range, dist in
        for i in 0..<range.count {
            let ri = range.lowerBound + i
            let row = dist[(i * n)..<((i + 1) * n)]
            var nearest = Double.infinity, inGenerated = false
            for (j, v) in row.enumerated() {
                nearest = min(nearest, v)
                if v < genRadii[j] { inGenerated = true }
            }
            if inGenerated { recalled += 1 }
            if nearest < refRadii[ri] { covered += 1 }
        }
    }
    let samples = (0..<n).map { PRDCSample(kthReferenceDistance: kth[$0][k - 1], insideReference: balls[$0] > 0, referenceBalls: balls[$0]) }
    return PRDCResult(precision: Double(balls.filter { $0 > 0 }.count) / Double(n),
                      recall: Double(recalled) / Double(m),
                      density: Double(balls.reduce(0, +)) / Double(k) / Double(n),
                      coverage: Double(covered) / Double(m), k: k, generated: samples)
}
