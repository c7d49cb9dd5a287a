import COpenBLAS
import FADArrays

/// Streaming mean and covariance of embedding frames, in `Double`, that merge exactly.
///
/// Frames are gathered into blocks of `blockRows` (512) rows — short files are buffered until a
/// block is full, long ones are cut into blocks. Each block contributes its own mean and centred
/// scatter `Σ (x - x̄_block)(x - x̄_block)ᵀ` through one `cblas_dsyrk` in `Double`; blocks and
/// whole accumulators are combined with Chan, Golub & LeVeque's parallel update
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
/// frames, same order) and of the BLAS library: the block boundaries depend only on that
/// sequence. This type starts no threads of its own; OpenBLAS may use several inside `dsyrk`,
/// and it partitions the *output* of level-3 calls between threads without splitting the inner
/// sums, so its thread count does not change the bits (a test checks 1 vs 2 threads). Merging
/// the same frames in a different grouping or order agrees to rounding (~1e-15 relative), not
/// bit for bit.
///
/// Memory: `dimension²` doubles (32 MiB at d = 2048) plus at most one pending block, whatever
/// the number of frames.
public struct RunningStatistics: Sendable {
    /// Frames per `dsyrk` call: large enough for level-3 speed, small enough that the `Double`
    /// block stays modest (8 MiB at d = 2048).
    public static let blockRows = 512

    /// Length of each frame.
    public let dimension: Int
    /// Frames folded into `flushedMean` / `scatterUpper`.
    var flushedCount: Int
    var flushedMean: [Double]
    /// Centred scatter `Σ (x - x̄)(x - x̄)ᵀ` of the flushed frames, row-major; only the upper
    /// triangle (column >= row) is kept, the strictly lower triangle stays zero.
    var scatterUpper: [Double]
    /// Raw frames not yet folded in (fewer than `blockRows`), row-major.
    var pending: [Double] = []
    var pendingRows = 0

    /// Number of frames seen.
    public var count: Int { flushedCount + pendingRows }

    /// Mean of the frames seen (zeros when none).
    public var mean: [Double] {
        guard pendingRows > 0 else { return flushedMean }
        var copy = self
        copy.flush()
        return copy.flushedMean
    }

    /// An empty accumulator for frames of `dimension` values.
    public init(dimension: Int) {
        precondition(dimension > 0, "RunningStatistics: dimension must be positive, got \(dimension)")
        self.dimension = dimension
        self.flushedCount = 0
        self.flushedMean = [Double](repeating: 0, count: dimension)
        self.scatterUpper = [Double](repeating: 0, count: dimension * dimension)
    }

    /// Rebuilds an accumulator from finalized statistics (scatter = covariance · (n - 1)), so
    /// saved statistics can be merged with new frames.
    public init(_ statistics: GaussianStatistics) {
        let d = statistics.dimension
        self.init(dimension: d)
        flushedCount = statistics.count
        flushedMean = statistics.mean
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
        frames.values.withUnsafeBufferPointer { src in
            for i in indices {
                precondition(i >= 0 && i < frames.rows, "RunningStatistics: row \(i) out of 0..<\(frames.rows)")
                appendPending(src, from: i, rows: 1)
                pendingRows += 1
                if pendingRows == Self.blockRows { flush() }
            }
        }
    }

    /// Adds every frame seen by `other`.
    public mutating func merge(_ other: RunningStatistics) {
        precondition(other.dimension == dimension,
                     "RunningStatistics: cannot merge dimension \(other.dimension) into \(dimension)")
        flush()
        var o = other
        o.flush()
        merge(count: o.flushedCount, mean: o.flushedMean, scatterUpper: o.scatterUpper)
    }

    /// Adds one file's frames as fadtk 1.1.0 merges the float16 embeddings it stored
    /// (`calculate_embd_statistics_online`): the file's own mean and centred scatter enter Chan's
    /// update, the mean rounded to half precision when `meanRoundedToFloat16` (numpy's mean of a
    /// float16 array is float16: a float32 sum divided, then rounded) while the scatter stays
    /// about the exact mean (`np.cov` works in float64). A one-frame file adds a zero scatter
    /// where fadtk's `np.cov` gives NaN.
    public mutating func addFile(_ frames: Matrix<Float>, meanRoundedToFloat16: Bool) {
        checkColumns(frames.columns)
        guard frames.rows > 0 else { return }
        var file = RunningStatistics(dimension: dimension)
        file.add(frames)
        file.flush()
        let mean = meanRoundedToFloat16 ? file.flushedMean.map { Double(Float16(Float($0))) } : file.flushedMean
        flush()
        merge(count: file.flushedCount, mean: mean, scatterUpper: file.scatterUpper)
    }

    /// The mean and unbiased covariance, labelled with `metadata`. Throws when no frame was added.
    public func finalized(metadata: StatisticsMetadata) throws -> GaussianStatistics {
        guard count > 0 else { throw StatisticsError(reason: "no embedding frames to compute statistics from") }
        var s = self
        s.flush()
        let d = dimension
        var covariance = [Double](repeating: 0, count: d * d)
        if s.flushedCount > 1 {
            let scale = 1.0 / Double(s.flushedCount - 1)
            s.scatterUpper.withUnsafeBufferPointer { m in
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
        return try GaussianStatistics(count: s.flushedCount, mean: s.flushedMean,
                                      covariance: Matrix(rows: d, columns: d, values: covariance),
                                      metadata: metadata)
    }

    /// Folds the pending rows in now (done automatically when needed; calling it early only
    /// frees the pending block).
    public mutating func flush() {
        guard pendingRows > 0 else { return }
        var block: [Double] = []
        swap(&block, &pending)
        let rows = pendingRows
        pendingRows = 0
        addBlock(&block, rows: rows)
    }

    // MARK: - Implementation

    private func checkColumns(_ columns: Int) {
        precondition(columns == dimension, "RunningStatistics: frames have \(columns) columns, expected \(dimension)")
    }

    /// Fills the pending block first; whole blocks go straight to `dsyrk`; the remainder waits.
    private mutating func add<T: BinaryFloatingPoint>(rows: Int, source: UnsafeBufferPointer<T>) {
        let d = dimension
        var start = 0
        if pendingRows > 0 {
            let take = min(Self.blockRows - pendingRows, rows)
            appendPending(source, from: 0, rows: take)
            pendingRows += take
            start = take
            if pendingRows == Self.blockRows { flush() }
        }
        var block: [Double] = []
        while rows - start >= Self.blockRows {
            let n = Self.blockRows
            if block.isEmpty { block = [Double](repeating: 0, count: n * d) }
            block.withUnsafeMutableBufferPointer { dst in
                let base = start * d
                for k in 0..<(n * d) { dst[k] = Double(source[base + k]) }
            }
            addBlock(&block, rows: n)
            start += n
        }
        if start < rows {
            appendPending(source, from: start, rows: rows - start)
            pendingRows += rows - start
        }
    }

    /// Appends `rows` rows of `source` starting at row `start` to the pending block, widened.
    private mutating func appendPending<T: BinaryFloatingPoint>(_ source: UnsafeBufferPointer<T>, from start: Int, rows: Int) {
        let d = dimension
        let old = pending.count
        pending.append(contentsOf: repeatElement(0, count: rows * d))
        pending.withUnsafeMutableBufferPointer { dst in
            let base = start * d
            for k in 0..<(rows * d) { dst[old + k] = Double(source[base + k]) }
        }
    }

    /// Folds the first `rows` rows of `block` (row-major, `dimension` columns) into the flushed
    /// statistics; `block` is overwritten (centred in place).
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
        if n > 1 {
            // Accumulate the block's centred scatter straight into the running one (beta = 1
            // once something is there); Chan's cross term is added by `mergeMoments`.
            let beta = flushedCount == 0 ? 0.0 : 1.0
            block.withUnsafeBufferPointer { x in
                scatterUpper.withUnsafeMutableBufferPointer { m in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n),
                                1.0, x.baseAddress, Int32(d), beta, m.baseAddress, Int32(d))
                }
            }
        }
        if flushedCount == 0 {
            flushedCount = n
            flushedMean = blockMean
        } else {
            mergeMoments(count: n, mean: blockMean)
        }
    }

    /// Chan's update with flushed statistics of other frames.
    mutating func merge(count otherCount: Int, mean otherMean: [Double], scatterUpper otherScatter: [Double]) {
        guard otherCount > 0 else { return }
        if flushedCount == 0 {
            flushedCount = otherCount
            flushedMean = otherMean
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

    /// Count, mean and the cross term `δδᵀ nₐn_b/n` of Chan's update.
    private mutating func mergeMoments(count nb: Int, mean mb: [Double]) {
        let d = dimension
        let na = flushedCount
        let n = na + nb
        var delta = [Double](repeating: 0, count: d)
        for j in 0..<d { delta[j] = mb[j] - flushedMean[j] }
        let fb = Double(nb) / Double(n)
        for j in 0..<d { flushedMean[j] += delta[j] * fb }
        let weight = Double(na) * Double(nb) / Double(n)
        delta.withUnsafeBufferPointer { dl in
            scatterUpper.withUnsafeMutableBufferPointer { m in
                cblas_dsyr(CblasRowMajor, CblasUpper, Int32(d), weight, dl.baseAddress, 1, m.baseAddress, Int32(d))
            }
        }
        flushedCount = n
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
    /// the bootstrap's resampling of files; call `flush()` on the parts first when calling it
    /// repeatedly, or each call flushes copies. Parts must share one dimension.
    public static func union(_ parts: [RunningStatistics], multiplicities: [Int]) -> RunningStatistics {
        precondition(parts.count == multiplicities.count && !parts.isEmpty, "RunningStatistics.union: bad arguments")
        let d = parts[0].dimension
        var result = RunningStatistics(dimension: d)
        var total = 0
        var sum = [Double](repeating: 0, count: d)
        var used: [(RunningStatistics, Int)] = []
        for (part, w) in zip(parts, multiplicities) where w > 0 && part.count > 0 {
            precondition(part.dimension == d, "RunningStatistics.union: dimensions differ")
            var p = part
            p.flush()
            total += w * p.flushedCount
            let f = Double(w * p.flushedCount)
            for j in 0..<d { sum[j] += f * p.flushedMean[j] }
            used.append((p, w))
        }
        guard total > 0 else { return result }
        let mean = sum.map { $0 / Double(total) }
        var deviations: [Double] = []
        deviations.reserveCapacity(used.count * d)
        result.scatterUpper.withUnsafeMutableBufferPointer { m in
            for (part, w) in used {
                if part.flushedCount > 1 {
                    let fw = Double(w)
                    part.scatterUpper.withUnsafeBufferPointer { o in
                        for k in 0..<m.count { m[k] += fw * o[k] }
                    }
                }
                let s = Double(w * part.flushedCount).squareRoot()
                for j in 0..<d { deviations.append(s * (part.flushedMean[j] - mean[j])) }
            }
            deviations.withUnsafeBufferPointer { x in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(used.count),
                            1.0, x.baseAddress, Int32(d), 1.0, m.baseAddress, Int32(d))
            }
        }
        result.flushedCount = total
        result.flushedMean = mean
        return result
    }
}
