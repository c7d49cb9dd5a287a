import FADNumerics
import Foundation

/// The Gaussian error linear unit, element-wise (PyTorch's `nn.GELU`):
///
/// ```
/// exact: 0.5 x (1 + erf(x / sqrt(2)))                         (approximate="none")
/// tanh:  0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))    (approximate="tanh")
/// ```
///
/// The two differ by up to ~5e-4: a model must use the one it was trained with (HuBERT/MERT,
/// ViT/PaSST and Swin/HTSAT all use the exact form).
///
/// The exact form is computed by `exactGELU` (plain arithmetic that vectorises, no `erff` call);
/// its error is within float32 rounding of the output (see there).
public struct GELU: Sendable, Hashable {
    public enum Approximation: String, Sendable, Hashable { case none, tanh }

    public var approximation: Approximation

    public init(approximation: Approximation = .none) { self.approximation = approximation }

    public func callAsFunction(_ tensor: Tensor) -> Tensor {
        var out = tensor
        apply(to: &out)
        return out
    }

    /// In place, in fixed chunks spread over `BLAS.threads` workers (a transformer's MLP applies
    /// it to 4 x D values per token).
    public func apply(to tensor: inout Tensor) {
        let approximation = approximation
        tensor.values.withUnsafeMutableBufferPointer { v in
            let p = v.baseAddress!
            BLAS.forEachTile(count: v.count, tile: 1 << 14) { range, _ in
                switch approximation {
                case .none:
                    for i in range { p[i] = exactGELU(p[i]) }
                case .tanh:
                    let c: Float = 0.7978845608028654
                    for i in range {
                        let x = p[i]
                        p[i] = 0.5 * x * (1 + Foundation.tanh(c * (x + 0.044715 * x * x * x)))
                    }
                }
            }
        }
    }
}

/// Exact GELU `x Phi(x)` in plain float32 arithmetic, so that loops over it vectorise (a call to
/// `erff` does not). With `t = |x|` the Gaussian tail is
///
/// ```
/// h(t) = Phi(-t) = 0.5 erfc(t / sqrt(2)) = 0.5 exp(-t^2 / 2) R(t),   R(t) = erfcx(t / sqrt(2))
/// GELU(x) = x (1 - h(x))  for x > 0,      x h(-x) = x h(|x|)  for x <= 0
/// ```
///
/// `R`, the scaled complementary error function, is smooth and positive (1 at 0, ~sqrt(2 / pi) / t
/// for large t): a rational function P4(t) / Q5(t) with positive coefficients (fitted here by
/// iteratively reweighted least squares to erfcx in float64 on [0, 13.2], fit error 5e-9 relative)
/// evaluates it without cancellation; `fastExp` gives the Gaussian factor. Since h <= 1/2, both
/// branches keep h's relative error: unlike `0.5 x (1 + erf(x / sqrt(2)))` (float32 `erf` near -1
/// loses everything to cancellation), the negative tail is accurate relative to its own size.
/// Error against float64 over [-14, 14]: |y - GELU(x)| <= ~1.2e-7 max(1, |y|), the same as
/// 0.5 x (1 + erf) with a correctly rounded float32 erf. Below -13.2 the Gaussian underflows and
/// the result is -0 (true value < 1e-37 in size); large positive x give x.
@inline(__always)
func exactGELU(_ x: Float) -> Float {
    let t = min(abs(x), 13.2)
    var p: Float = 0.008021480403840542
    p = p * t + 0.07984048128128052
    p = p * t + 0.36223316192626953
    p = p * t + 0.8708571791648865
    p = p * t + 1
    var q: Float = 0.010053289122879505
    q = q * t + 0.10007267445325851
    q = q * t + 0.463878333568573
    q = q * t + 1.193692684173584
    q = q * t + 1.668742060661316
    q = q * t + 1
    let h = 0.5 * fastExp(-0.5 * (x * x)) * (p / q)
    return x > 0 ? x * (1 - h) : x * h
}
