import COpenBLAS
import FADArrays

/// Streaming mean and covariance of embedding frames, in `Double`, that merge exactly.
///
/// Frames arrive in blocks (one file's embedding matrix, or part of it). Each block contributes
/// its own mean and centred scatter `Σ (x - x̄_block)(x - x̄_block)ᵀ`, computed with one
/// `cblas_dsyrk` over the block converted to `Double`; blocks and whole accumulators are then
/// combined with Chan, Golub & LeVeque's parallel update
///
/// ```
/// n = nₐ + n_b,   δ = x̄_b - x̄ₐ,   x̄ = x̄ₐ + δ n_b / n,
/// M = Mₐ + M_b + δ δᵀ nₐ n_b / n
/// ```
///
/// which never subtracts two large sums (the cancellation that makes `Σxxᵀ - n x̄x̄ᵀ` lose digits
/// when the mean is large against the spread). A file with a single frame contributes `M_b = 0`
/// and its frame to the mean — never a NaN (fadtk's per-file merge divides by `n_i - 1` there).
///
/// Determinism: the result is a pure function of the sequence of `add`/`merge` calls (same
/// blocks, same order) and of the BLAS library. This type starts no threads of its own; OpenBLAS
/// may use several for `dsyrk`, and OpenBLAS partitions the *output* of level-3 calls between
/// threads without splitting the inner sums, so its thread count does not change the bits (a
/// test checks 1 vs 2 threads). Different block splits or merge orders of the same frames agree
/// to rounding (~1e-15 relative), not bit for bit.
///
/// Memory: `dimension²` doubles (32 MiB at d = 2048), independent of the number of frames.
public struct RunningStatistics: Sendable {
    /// Frames per `dsyrk` call: large enough for level-3 speed, small enough that the `Double`
    /// copy of the block stays in cache-friendly sizes (8 MiB at d = 2048).
    static let blockRows = 512

    /// Number of frames seen.
    public private(set) var count: Int
    /// Length of each frame.
    public let dimension: Int
    /// Running mean.
    public private(set) var mean: [Double]
    /// Centred scatter `Σ (x - x̄)(x - x̄)ᵀ`, row-major; only the upper triangle (column >= row)
    /// is kept, the strictly lower triangle stays zero.
    var scatterUpper: [Double]

    /// An empty accumulator for frames of `dimension` values.
    public init(dimension: Int) {
        precondition(dimension > 0, "RunningStatistics: dimension must be positive, got \(dimension)")
        self.dimension = dimension
        self.count = 0
        self.mean = [Double](repeating: 0, count: dimension)
        self.scatterUpper = [Double](repeating: 0, count: dimension * dimension)
    }

    /// Rebuilds an accumulator from finalized statistics (scatter = covariance · (n - 1)), so
    /// saved statistics can be merged with new frames.
    public init(_ statistics: GaussianStatistics) {
        let d = statistics.dimension
        self.init(dimension: d)
        count = statistics.count
        mean = statistics.mean
        let factor = Double(max(statistics.count - 1, 0))
        statistics.covariance.values.withUnsafeBufferPointer { cov in
            scatterUpper.withUnsafeMutableBufferPointer { m in
                for i in 0..<d {
                    for j in i..<d { m[i * d + j] = cov[i * d + j] * factor }
                }
            }
        }
    }

    /// Adds the rows of `frames` (shape [frames, dimension]).
    public mutating func add(_ frames: Matrix<Float>) {
        checkColumns(frames.columns)
        frames.values.withUnsafeBufferPointer { add(rows: frames.rows, source: $0) }
    }

    /// Adds the rows of `frames` (shape [frames, dimension]).
    public mutating func add(_ frames: Matrix<Double>) {
        checkColumns(frames.columns)
        frames.values.withUnsafeBufferPointer { add(rows: frames.rows, source: $0) }
    }

    /// Adds the given rows of `frames`, in order; an index may repeat (sampling with replacement).
    public mutating func add<S: Sequence>(rows indices: S, of frames: Matrix<Float>) where S.Element == Int {
        checkColumns(frames.columns)
        let d = dimension
        var block = [Double]()
        block.reserveCapacity(Self.blockRows * d)
        var rowsInBlock = 0
        frames.values.withUnsafeBufferPointer { src in
            for i in indices {
                precondition(i >= 0 && i < frames.rows, "RunningStatistics: row \(i) out of 0..<\(frames.rows)")
                for j in 0..<d { block.append(Double(src[i * d + j])) }
                rowsInBlock += 1
                if rowsInBlock == Self.blockRows {
                    addBlock(&block, rows: rowsInBlock)
                    block.removeAll(keepingCapacity: true)
                    rowsInBlock = 0
                }
            }
        }
        if rowsInBlock > 0 { addBlock(&block, rows: rowsInBlock) }
    }

    /// Adds every frame seen by `other`.
    public mutating func merge(_ other: RunningStatistics) {
        precondition(other.dimension == dimension,
                     "RunningStatistics: cannot merge dimension \(other.dimension) into \(dimension)")
        merge(count: other.count, mean: other.mean, scatterUpper: other.scatterUpper)
    }

    /// The mean and unbiased covariance, labelled with `metadata`. Throws when no frame was added.
    public func finalized(metadata: StatisticsMetadata) throws -> GaussianStatistics {
        guard count > 0 else { throw StatisticsError(reason: "no embedding frames to compute statistics from") }
        let d = dimension
        var covariance = [Double](repeating: 0, count: d * d)
        if count > 1 {
            let scale = 1.0 / Double(count - 1)
            scatterUpper.withUnsafeBufferPointer { m in
                covariance.withUnsafeMutableBufferPointer { c in
                    for i in 0..<d {
                        for j in i..<d {
                            let v = m[i * d + j] * scale
                            c[i * d + j] = v
                            c[j * d + i] = v
                        }
                    }
                }
            }
        }
        return try GaussianStatistics(count: count, mean: mean,
                                      covariance: Matrix(rows: d, columns: d, values: covariance),
                                      metadata: metadata)
    }

    // MARK: - Implementation

    private func checkColumns(_ columns: Int) {
        precondition(columns == dimension, "RunningStatistics: frames have \(columns) columns, expected \(dimension)")
    }

    private mutating func add<T: BinaryFloatingPoint>(rows: Int, source: UnsafeBufferPointer<T>) {
        let d = dimension
        var start = 0
        var block = [Double](repeating: 0, count: min(rows, Self.blockRows) * d)
        while start < rows {
            let n = min(Self.blockRows, rows - start)
            block.withUnsafeMutableBufferPointer { dst in
                let base = start * d
                for k in 0..<(n * d) { dst[k] = Double(source[base + k]) }
            }
            addBlock(&block, rows: n)
            start += n
        }
    }

    /// Folds the first `rows` rows of `block` (row-major, `dimension` columns) into the
    /// accumulator; `block` is overwritten (centred in place).
    mutating func addBlock(_ block: inout [Double], rows n: Int) {
        guard n > 0 else { return }
        let d = dimension
        var blockMean = [Double](repeating: 0, count: d)
        block.withUnsafeMutableBufferPointer { x in
            blockMean.withUnsafeMutableBufferPointer { mu in
                for r in 0..<n {
                    let row = r * d
                    for j in 0..<d { mu[j] += x[row + j] }
                }
                let inv = 1.0 / Double(n)
                for j in 0..<d { mu[j] *= inv }
                for r in 0..<n {
                    let row = r * d
                    for j in 0..<d { x[row + j] -= mu[j] }
                }
            }
        }
        if count == 0 {
            // First block: its scatter is the accumulator's scatter; no merge term needed.
            count = n
            mean = blockMean
            if n > 1 {
                block.withUnsafeBufferPointer { x in
                    scatterUpper.withUnsafeMutableBufferPointer { m in
                        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n),
                                    1.0, x.baseAddress, Int32(d), 0.0, m.baseAddress, Int32(d))
                    }
                }
            }
            return
        }
        if n > 1 {
            // Accumulate the block's centred scatter straight into the running one (beta = 1);
            // the Chan cross term is added by `merge` below with a zero block scatter.
            block.withUnsafeBufferPointer { x in
                scatterUpper.withUnsafeMutableBufferPointer { m in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n),
                                1.0, x.baseAddress, Int32(d), 1.0, m.baseAddress, Int32(d))
                }
            }
        }
        mergeMoments(count: n, mean: blockMean)
    }

    /// Chan's update of count, mean and the cross term `δδᵀ nₐn_b/n`, plus `other`'s scatter.
    mutating func merge(count otherCount: Int, mean otherMean: [Double], scatterUpper otherScatter: [Double]) {
        guard otherCount > 0 else { return }
        if count == 0 {
            count = otherCount
            mean = otherMean
            scatterUpper = otherScatter
            return
        }
        scatterUpper.withUnsafeMutableBufferPointer { m in
            otherScatter.withUnsafeBufferPointer { o in
                for k in 0..<m.count { m[k] += o[k] }
            }
        }
        mergeMoments(count: otherCount, mean: otherMean)
    }

    private mutating func mergeMoments(count nb: Int, mean mb: [Double]) {
        let d = dimension
        let na = count
        let n = na + nb
        var delta = [Double](repeating: 0, count: d)
        for j in 0..<d { delta[j] = mb[j] - mean[j] }
        let fb = Double(nb) / Double(n)
        for j in 0..<d { mean[j] += delta[j] * fb }
        let weight = Double(na) * Double(nb) / Double(n)
        delta.withUnsafeBufferPointer { dl in
            scatterUpper.withUnsafeMutableBufferPointer { m in
                cblas_dsyr(CblasRowMajor, CblasUpper, Int32(d), weight, dl.baseAddress, 1, m.baseAddress, Int32(d))
            }
        }
        count = n
    }
}

extension RunningStatistics {
    /// The statistics of the multiset union in which `parts[i]` appears `multiplicities[i]`
    /// times (0 = left out): what merging the copies one by one would give, computed in one
    /// sweep as
    ///
    /// ```
    /// n = Σ wᵢnᵢ,  x̄ = Σ wᵢnᵢx̄ᵢ / n,  M = Σ wᵢMᵢ + Σ wᵢnᵢ (x̄ᵢ - x̄)(x̄ᵢ - x̄)ᵀ
    /// ```
    ///
    /// (copies of one part share its mean, so they add no scatter among themselves). This is
    /// the bootstrap's resampling of files. Parts must share one dimension.
    public static func union(_ parts: [RunningStatistics], multiplicities: [Int]) -> RunningStatistics {
        precondition(parts.count == multiplicities.count && !parts.isEmpty, "RunningStatistics.union: bad arguments")
        let d = parts[0].dimension
        var result = RunningStatistics(dimension: d)
        var total = 0
        var sum = [Double](repeating: 0, count: d)
        for (part, w) in zip(parts, multiplicities) where w > 0 && part.count > 0 {
            precondition(part.dimension == d, "RunningStatistics.union: dimensions differ")
            total += w * part.count
            let f = Double(w * part.count)
            for j in 0..<d { sum[j] += f * part.mean[j] }
        }
        guard total > 0 else { return result }
        let mean = sum.map { $0 / Double(total) }
        var deviations: [Double] = []
        var rows = 0
        result.scatterUpper.withUnsafeMutableBufferPointer { m in
            for (part, w) in zip(parts, multiplicities) where w > 0 && part.count > 0 {
                if part.count > 1 {
                    let fw = Double(w)
                    part.scatterUpper.withUnsafeBufferPointer { o in
                        for k in 0..<m.count { m[k] += fw * o[k] }
                    }
                }
                let s = Double(w * part.count).squareRoot()
                for j in 0..<d { deviations.append(s * (part.mean[j] - mean[j])) }
                rows += 1
            }
            deviations.withUnsafeBufferPointer { x in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows),
                            1.0, x.baseAddress, Int32(d), 1.0, m.baseAddress, Int32(d))
            }
        }
        result.count = total
        result.mean = mean
        return result
    }
}
