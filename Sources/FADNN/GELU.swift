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
                    let r: Float = 0.7071067811865476
                    for i in range { p[i] = 0.5 * p[i] * (1 + Foundation.erf(p[i] * r)) }
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
