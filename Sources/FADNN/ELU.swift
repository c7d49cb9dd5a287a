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

    /// In place, in fixed chunks spread over `BLAS.threads` workers. `expm1` keeps small negative
    /// inputs accurate, as PyTorch does.
    public func apply(to tensor: inout Tensor) {
        let alpha = alpha
        tensor.values.withUnsafeMutableBufferPointer { v in
            let p = v.baseAddress!
            BLAS.forEachTile(count: v.count, tile: 1 << 14) { range, _ in
                for i in range where p[i] <= 0 { p[i] = alpha * Foundation.expm1(p[i]) }
            }
        }
    }
}
