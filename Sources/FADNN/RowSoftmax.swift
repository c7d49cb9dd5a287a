import FADNumerics

/// The exponentials of a softmax row, in place: `row[j] = exp(row[j] - max(row))`, returning
/// their sum (the caller divides by it, possibly later: attention scales its output rows, which
/// are shorter than the rows of logits).
///
/// Written for the vectoriser: eight independent running maxima and sums (a single float sum or
/// max is a serial dependency chain that LLVM may not reorder, so it would stay scalar), and the
/// exponential (`fastExp`) fused with the sum in one pass over the row. The order of the sum is
/// fixed by `count` alone, so results do not depend on threads. A row of -inf (every key
/// masked) gives NaN, as PyTorch's softmax does.
@inline(__always)
func exponentiateRow(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
    var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
    var j = 0
    while j + 8 <= count {
        m0 = max(m0, row[j]); m1 = max(m1, row[j + 1]); m2 = max(m2, row[j + 2]); m3 = max(m3, row[j + 3])
        m4 = max(m4, row[j + 4]); m5 = max(m5, row[j + 5]); m6 = max(m6, row[j + 6]); m7 = max(m7, row[j + 7])
        j += 8
    }
    var top = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    while j < count { top = max(top, row[j]); j += 1 }
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0, s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
    j = 0
    while j + 8 <= count {
        let e0 = fastExp(row[j] - top), e1 = fastExp(row[j + 1] - top)
        let e2 = fastExp(row[j + 2] - top), e3 = fastExp(row[j + 3] - top)
        let e4 = fastExp(row[j + 4] - top), e5 = fastExp(row[j + 5] - top)
        let e6 = fastExp(row[j + 6] - top), e7 = fastExp(row[j + 7] - top)
        row[j] = e0; row[j + 1] = e1; row[j + 2] = e2; row[j + 3] = e3
        row[j + 4] = e4; row[j + 5] = e5; row[j + 6] = e6; row[j + 7] = e7
        s0 += e0; s1 += e1; s2 += e2; s3 += e3; s4 += e4; s5 += e5; s6 += e6; s7 += e7
        j += 8
    }
    var sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while j < count {
        let e = fastExp(row[j] - top)
        row[j] = e
        sum += e
        j += 1
    }
    return sum
}
