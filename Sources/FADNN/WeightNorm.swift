/// Weight normalisation folded into a plain weight at load: `w = g * v / ||v||`.
///
/// PyTorch keeps `weight_g` and `weight_v` (`torch.nn.utils.weight_norm`) or
/// `parametrizations.weight.original0` and `original1` (`torch.nn.utils.parametrizations.weight_norm`)
/// and recomputes the weight on every forward pass; at inference it is a constant, so fad computes
/// it once. The Euclidean norm runs over every axis but `dim`, one norm per index of that axis
/// (EnCodec: dim 0, one per output channel; HuBERT's positional convolution: dim 2, one per
/// kernel tap); `dim: nil` takes one norm over the whole tensor (PyTorch's `dim=None`, which
/// PyTorch itself passes on as -1: -1 there does NOT mean the last axis).
public enum WeightNorm {
    /// The folded weight, shaped like `v`. `g` must have `v`'s rank with every axis 1 but `dim`
    /// (e.g. [out, 1, 1] for dim 0), or be a scalar for `dim: nil`; `name` is the module's prefix
    /// and names `name.weight_g` / `name.weight_v` in shape errors. Computed in double precision.
    public static func folded(g: Tensor, v: Tensor, dim: Int? = 0, name: String = "weight") throws -> Tensor {
        let expected: [Int]
        if let dim {
            precondition(dim >= 0 && dim < v.rank, "WeightNorm.folded: dim \(dim) for a rank-\(v.rank) tensor")
            expected = v.shape.indices.map { $0 == dim ? v.shape[dim] : 1 }
        } else {
            expected = []
        }
        guard g.shape == expected || (dim == nil && g.count == 1) else {
            throw NNError(path: "\(name).weight_g", kind: .shapeMismatch,
                          reason: "shape \(g.shape), expected \(expected) (weight-norm gain for \(name).weight_v of shape \(v.shape), dim \(dim.map(String.init) ?? "None"))")
        }
        let size = dim.map { v.shape[$0] } ?? 1
        let inner = dim.map { v.shape[($0 + 1)...].reduce(1, *) } ?? v.count
        var squares = [Double](repeating: 0, count: size)
        for (index, value) in v.values.enumerated() {
            squares[(index / inner) % size] += Double(value) * Double(value)
        }
        let gains = g.values.map(Double.init)
        var out = [Float](repeating: 0, count: v.count)
        for (index, value) in v.values.enumerated() {
            let slice = (index / inner) % size
            out[index] = Float(gains[slice] * Double(value) / squares[slice].squareRoot())
        }
        return Tensor(shape: v.shape, values: out)
    }
}
