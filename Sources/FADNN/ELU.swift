import Foundation

/// The exponential linear unit, `x > 0 ? x : alpha * (exp(x) - 1)` (PyTorch's `nn.ELU`), element-wise.
public struct ELU: Sendable, Hashable {
    public var alpha: Float

    public init(alpha: Float = 1) { self.alpha = alpha }

    public func callAsFunction(_ tensor: Tensor) -> Tensor {
        var out = tensor
        apply(to: &out)
        return out
    }

    /// In place, in fixed chunks spread over `BLAS.threads` workers, eight values at a time
    /// (`negativeExpm1`; a call to the C library's `expm1f` per value was 13 % of an EnCodec run).
    public func apply(to tensor: inout Tensor) {
        let alpha = alpha
        tensor.values.withUnsafeMutableBufferPointer { v in
            let p = UnsafeMutableRawPointer(v.baseAddress!)
            BLAS.forEachTile(count: v.count, tile: 1 << 14) { range, _ in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    let x = p.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                    p.storeBytes(of: Self.elu(x, alpha: alpha), toByteOffset: 4 * i, as: SIMD8<Float>.self)
                    i += 8
                }
                // The tail through the same lanes, so a value's result does not depend on where it sits.
                if i < range.upperBound {
                    var x = SIMD8<Float>()
                    for k in 0..<(range.upperBound - i) { x[k] = v[i + k] }
                    let y = Self.elu(x, alpha: alpha)
                    for k in 0..<(range.upperBound - i) { v[i + k] = y[k] }
                }
            }
        }
    }

    @inline(__always)
    static func elu(_ x: SIMD8<Float>, alpha: Float) -> SIMD8<Float> {
        (alpha * negativeExpm1(x)).replacing(with: x, where: x .> 0)
    }
}

/// `exp(x) - 1` for x <= 0 (positive lanes are computed as 0), in plain arithmetic that
/// vectorises. With `x = n ln 2 + r`, |r| <= ln 2 / 2 (ln 2 split in two parts, so `r` is exact),
/// `expm1(x) = 2^n expm1(r) + (2^n - 1)`: `expm1(r)` by its degree-8 Taylor polynomial without the
/// constant term (truncation below 6e-10 relative), `2^n - 1` exact in float32 for n >= -24 (and
/// rounding to -1 below, as the true value does), so small |x| keep full relative accuracy
/// (n = 0: the polynomial alone): within 9.1e-8 relative of float64 expm1 over [-100, 0]
/// (`ELUTests`), about `expm1f`'s own accuracy. Below -87.33 the result is -1 (the true value
/// rounds to -1 from -17.4 on); NaN stays NaN.
@inline(__always)
func negativeExpm1(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let low = x.replacing(with: -87.33, where: x .< -87.33)
    let clamped = low.replacing(with: 0, where: low .> 0)
    // Adding 1.5 * 2^23 rounds to an integer (to nearest) and leaves it in the low mantissa bits.
    let shifted = clamped * 1.442695041 + 12_582_912
    let n = shifted - 12_582_912
    let r = (clamped - n * 0.693359375) - n * -2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.0 / 40320)
    p = p * r + 1.0 / 5040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let scale = unsafeBitCast(bits, to: SIMD8<Float>.self)
    return scale * p + (scale - 1)
}
