import FADNumerics

/// The exponentials of a softmax row, in place: `row[j] = exp(row[j] - max(row))`, returning
/// their sum (the caller divides by it, possibly later: attention scales its output rows, which
/// are shorter than the rows of logits).
///
/// Eight independent running maxima and sums in SIMD8 lanes (a single float sum or max is a
/// serial dependency chain that LLVM may not reorder; written as eight scalar chains, LLVM kept
/// them scalar too: 10 % of a MERT run), and the exponential (`fastExp`) fused with the sum in
/// one pass over the row. The order of the sum is
/// fixed by `count` alone, so results do not depend on threads. A row of -inf (every key
/// masked) gives NaN, as PyTorch's softmax does.
@inline(__always)
func exponentiateRow(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
    // Lane k of the SIMD8 maxima and sums is the scalar chain k of elements j = k mod 8: the
    // eight chains and their final combination are those of the scalar formulation, so the
    // result is the same bits (LLVM compiled the eight scalar chains one lane at a time).
    let raw = UnsafeMutableRawPointer(row)
    var m = SIMD8<Float>(repeating: -.infinity)
    var j = 0
    while j + 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
        m = m.replacing(with: v, where: v .>= m)
        j += 8
    }
    var top = max(max(max(m[0], m[1]), max(m[2], m[3])), max(max(m[4], m[5]), max(m[6], m[7])))
    while j < count { top = max(top, row[j]); j += 1 }
    var s = SIMD8<Float>()
    j = 0
    while j + 8 <= count {
        let e = fastExp(raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) - top)
        raw.storeBytes(of: e, toByteOffset: 4 * j, as: SIMD8<Float>.self)
        s += e
        j += 8
    }
    var sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
    while j < count {
        let e = fastExp(row[j] - top)
        row[j] = e
        sum += e
        j += 1
    }
    return sum
}
