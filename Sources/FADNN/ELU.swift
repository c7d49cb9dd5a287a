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

    /// In place. `expm1` keeps small negative inputs accurate, as PyTorch does.
    public func apply(to tensor: inout Tensor) {
        let alpha = alpha
        tensor.values.withUnsafeMutableBufferPointer { v in
            for i in 0..<v.count where v[i] <= 0 { v[i] = alpha * Foundation.expm1(v[i]) }
        }
    }
}
