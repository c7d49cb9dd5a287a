/// `exp(x)` for float32 in plain arithmetic, so that loops over it vectorise (a call to the C
/// library's `expf` stops the compiler from vectorising the softmax of attention, or KAD's
/// float32 kernel values). `@inlinable` so that callers in other modules inline and vectorise it.
///
/// Range reduction `x = n ln 2 + r`, |r| <= ln 2 / 2, with ln 2 split in two parts so that `r` is
/// exact; `e^r` by its degree-6 Taylor polynomial (truncation below 3e-8 relative on that
/// interval); `2^n` built in the exponent bits. Relative error within ~2e-7 of `expf` for
/// x in [-87, 88]; below -87.33 the result is 0 (so -inf masks give exactly 0), above 88.7 it is
/// clamped to ~e^88.7 instead of overflowing (softmax subtracts the row maximum first, so its
/// arguments are <= 0).
@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87.33), 88.7)
    // Adding 1.5 * 2^23 rounds to an integer (to nearest) and leaves it in the low mantissa bits:
    // no conversion call, no trap check, so the loop vectorises.
    let shifted = clamped * 1.442695041 + 12_582_912
    let n = shifted - 12_582_912
    let r = (clamped - n * 0.693359375) - n * -2.12194440e-4
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    return x < -87.33 ? 0 : p * scale
}

/// `fastExp` on eight lanes at once, with exactly the scalar version's operations in each lane
/// (so the same bits): a loop of scalar calls that keeps eight running sums (the attention
/// softmax) is not vectorised by LLVM, which compiled it to one lane at a time.
@inlinable @inline(__always)
public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // The scalar's min(max(x, lo), hi) as selects (`clamped` uses IEEE maximum/minimum, which
    // cost NaN checks; the values are the same, NaN included).
    let low = x.replacing(with: -87.33, where: x .<= -87.33)
    let clamped = low.replacing(with: 88.7, where: low .> 88.7)
    let shifted = clamped * 1.442695041 + 12_582_912
    let n = shifted - 12_582_912
    let r = (clamped - n * 0.693359375) - n * -2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return (p * unsafeBitCast(bits, to: SIMD8<Float>.self)).replacing(with: 0, where: x .< -87.33)
}
