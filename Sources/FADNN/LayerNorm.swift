/// Layer normalisation over the last axis (PyTorch's `nn.LayerNorm(size, eps)`):
/// `(x - mean) / sqrt(biased variance + eps) * weight + bias`, per position.
///
/// Mean and variance are computed in double precision (two passes), so rows with a large mean
/// lose nothing to cancellation.
public struct LayerNorm: Sendable {
    public let size: Int
    public let epsilon: Float
    /// `nil` without `elementwise_affine`.
    public let weight: [Float]?
    public let bias: [Float]?

    /// From PyTorch's `weight` and `bias` [size] (both nil for `elementwise_affine=False`; a nil
    /// bias alone for `bias=False`); `name` is the module's prefix, named in shape errors.
    public init(weight: Tensor?, bias: Tensor?, size: Int, epsilon: Float = 1e-5, name: String = "norm") throws {
        if let weight { try requireShape(weight, [size], name: "\(name).weight", "LayerNorm weight [size]") }
        if let bias { try requireShape(bias, [size], name: "\(name).bias", "LayerNorm bias [size]") }
        self.size = size; self.epsilon = epsilon
        self.weight = weight?.values; self.bias = bias?.values
    }

    public func callAsFunction(_ tensor: Tensor) -> Tensor {
        var out = tensor
        apply(to: &out)
        return out
    }

    /// In place over [..., size].
    public func apply(to tensor: inout Tensor) {
        precondition(tensor.shape.last == size, "LayerNorm: expected [..., \(size)], got \(tensor.shape)")
        let d = size, eps = Double(epsilon)
        let w = weight ?? [Float](repeating: 1, count: d), b = bias ?? [Float](repeating: 0, count: d)
        w.withUnsafeBufferPointer { w in
        b.withUnsafeBufferPointer { b in
        tensor.values.withUnsafeMutableBufferPointer { v in
            let base = v.baseAddress!
            // Rows in fixed tiles over `BLAS.threads` workers; each row is computed alone.
            BLAS.forEachTile(count: d == 0 ? 0 : v.count / d, tile: 64) { rows, _ in
                for r in rows {
                    let row = base + r * d
                    var sum = 0.0
                    for i in 0..<d { sum += Double(row[i]) }
                    let mean = sum / Double(d)
                    var squares = 0.0
                    for i in 0..<d { let c = Double(row[i]) - mean; squares += c * c }
                    let scale = 1 / (squares / Double(d) + eps).squareRoot()
                    for i in 0..<d { row[i] = Float((Double(row[i]) - mean) * scale) * w[i] + b[i] }
                }
            }
        }}}
    }
}
