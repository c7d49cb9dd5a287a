import COpenBLAS

/// Lloyd's k-means with random restarts, seeded: the quantiser of MAUVE.
///
/// mauve-text uses `faiss.Kmeans(niter, nredo)`: each restart starts from k distinct rows drawn at
/// random, runs Lloyd iterations, and the restart with the lowest objective (sum of squared
/// distances to the assigned centroid) wins; the labels are each row's nearest final centroid.
/// This does the same with the project's generator, stopping a restart early once no assignment
/// changes (further iterations would not move anything). An emptied cluster takes the row
/// farthest from its centroid, so every cluster stays in use. faiss's random stream cannot be
/// reproduced, so the clusters, hence MAUVE, agree with mauve-text within its seed-to-seed spread,
/// not to rounding (see `MAUVETests`).
struct KMeans {
    var labels: [Int]
    var centroids: [Double]
    var objective: Double

    init(_ x: [Double], rows n: Int, columns d: Int, clusters k: Int, restarts: Int, maxIterations: Int,
         generator: inout SeededGenerator) {
        precondition(k >= 1 && k <= n)
        var best: KMeans?
        for _ in 0..<max(1, restarts) {
            let run = KMeans(once: x, rows: n, columns: d, clusters: k, maxIterations: maxIterations, generator: &generator)
            if best == nil || run.objective < best!.objective { best = run }
        }
        self = best!
    }

    private init(once x: [Double], rows n: Int, columns d: Int, clusters k: Int, maxIterations: Int,
                 generator: inout SeededGenerator) {
        var centroids = [Double](repeating: 0, count: k * d)
        for (c, row) in generator.sampleWithoutReplacement(k, from: n).enumerated() {
            for j in 0..<d { centroids[c * d + j] = x[row * d + j] }
        }
        var labels = [Int](repeating: -1, count: n)
        var distances = [Double](repeating: 0, count: n)
        var rowNorms = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = 0.0
            for j in 0..<d { s += x[i * d + j] * x[i * d + j] }
            rowNorms[i] = s
        }
        var products = [Double](repeating: 0, count: n * k)
        // Squared distances as ‖x‖² + ‖c‖² - 2 x·c with the products from one DGEMM per
        // iteration; the nearest centroid wins, the lowest index on ties.
        func assign() -> Bool {
            var centroidNorms = [Double](repeating: 0, count: k)
            for c in 0..<k {
                var s = 0.0
                for j in 0..<d { s += centroids[c * d + j] * centroids[c * d + j] }
                centroidNorms[c] = s
            }
            x.withUnsafeBufferPointer { xp in
                centroids.withUnsafeBufferPointer { cp in
                    products.withUnsafeMutableBufferPointer { pp in
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(n), blasint(k), blasint(d), 1,
                                    xp.baseAddress, blasint(d), cp.baseAddress, blasint(d), 0, pp.baseAddress, blasint(k))
                    }
                }
            }
            var changed = false
            for i in 0..<n {
                var bestC = 0, bestD = Double.infinity
                for c in 0..<k {
                    let s = centroidNorms[c] - 2 * products[i * k + c]
                    if s < bestD { bestD = s; bestC = c }
                }
                if labels[i] != bestC { labels[i] = bestC; changed = true }
                distances[i] = max(0, bestD + rowNorms[i])
            }
            return changed
        }
        _ = assign()
        for _ in 0..<maxIterations {
            var sums = [Double](repeating: 0, count: k * d)
            var counts = [Int](repeating: 0, count: k)
            for i in 0..<n {
                counts[labels[i]] += 1
                for j in 0..<d { sums[labels[i] * d + j] += x[i * d + j] }
            }
            for c in 0..<k {
                if counts[c] == 0 {
                    // Re-seed an empty cluster with the row worst served by its centroid.
                    let far = distances.indices.max { distances[$0] < distances[$1] }!
                    for j in 0..<d { centroids[c * d + j] = x[far * d + j] }
                    distances[far] = 0
                } else {
                    for j in 0..<d { centroids[c * d + j] = sums[c * d + j] / Double(counts[c]) }
                }
            }
            if !assign() { break }
        }
        self.labels = labels
        self.centroids = centroids
        objective = distances.reduce(0, +)
    }
}
