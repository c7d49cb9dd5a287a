import COpenBLAS
import FADArrays

/// Rows of a matrix in `Double`, centred on a shared mean, with squared norms: the form the
/// blocked distance computations take (centring keeps ‖a‖² + ‖b‖² - 2a·b from cancelling badly
/// when embeddings sit far from the origin).
struct CentredRows {
    var values: [Double]
    var norms: [Double]
    var rows: Int
    var columns: Int

    /// The rows of `m` listed in `rows` (all when nil), in that order, centred on `mean`.
    init(_ m: Matrix<Float>, mean: [Double], rows selection: [Int]? = nil) {
        let d = m.columns
        let list = selection ?? Array(0..<m.rows)
        rows = list.count
        columns = d
        values = [Double](repeating: 0, count: list.count * d)
        norms = [Double](repeating: 0, count: list.count)
        for (k, r) in list.enumerated() {
            var s = 0.0
            for j in 0..<d {
                let v = Double(m.values[r * d + j]) - mean[j]
                values[k * d + j] = v
                s += v * v
            }
            norms[k] = s
        }
    }

    static func mean(of m: Matrix<Float>) -> [Double] {
        var mean = [Double](repeating: 0, count: m.columns)
        for i in 0..<m.rows {
            for j in 0..<m.columns { mean[j] += Double(m.values[i * m.columns + j]) }
        }
        return mean.map { $0 / Double(max(1, m.rows)) }
    }
}

/// Calls `body(rowRange, distances)` for consecutive blocks of `block` rows of `a`, where
/// `distances[i * b.rows + j]` is the Euclidean distance between row `rowRange.lowerBound + i` of
/// `a` and row j of `b` (one DGEMM per block): memory is `block · b.rows` doubles.
func forEachDistanceBlock(_ a: CentredRows, _ b: CentredRows, block: Int = 256,
                          _ body: (Range<Int>, [Double]) -> Void) {
    let d = a.columns, nb = b.rows
    var scratch = [Double](repeating: 0, count: block * nb)
    var start = 0
    while start < a.rows {
        let end = min(a.rows, start + block)
        let rn = end - start
        a.values.withUnsafeBufferPointer { ap in
            b.values.withUnsafeBufferPointer { bp in
                scratch.withUnsafeMutableBufferPointer { c in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rn), blasint(nb), blasint(d), 1,
                                ap.baseAddress! + start * d, blasint(d), bp.baseAddress, blasint(d), 0, c.baseAddress, blasint(nb))
                }
            }
        }
        for i in 0..<rn {
            let ni = a.norms[start + i]
            for j in 0..<nb {
                scratch[i * nb + j] = max(0, ni + b.norms[j] - 2 * scratch[i * nb + j]).squareRoot()
            }
        }
        body(start..<end, rn == block ? scratch : Array(scratch[0..<(rn * nb)]))
        start = end
    }
}

/// The k smallest values of `row` (k ≥ 1), ascending; `skip` excludes one index (a row's self).
func smallest(_ k: Int, of row: ArraySlice<Double>, skip: Int? = nil) -> [Double] {
    var best: [Double] = []
    best.reserveCapacity(k + 1)
    for (offset, v) in row.enumerated() where offset != skip {
        if best.count < k {
            var p = best.count
            best.append(v)
            while p > 0 && best[p - 1] > v { best[p] = best[p - 1]; p -= 1 }
            best[p] = v
        } else if v < best[k - 1] {
            var p = k - 1
            while p > 0 && best[p - 1] > v { best[p] = best[p - 1]; p -= 1 }
            best[p] = v
        }
    }
    return best
}
