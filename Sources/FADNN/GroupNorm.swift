/// Group normalisation over channels-last [N, ..., C] (PyTorch's `nn.GroupNorm(groups, C, eps)` on
/// [N, C, ...]): the channels are split into `groups` consecutive groups; each item's group is
/// normalised over all its positions and channels together, then a per-channel affine is applied.
/// `GroupNorm(1, C)` normalises a whole item (EnCodec 48 kHz's "time_group_norm");
/// `GroupNorm(C, C)` each channel over time (HuBERT/MERT's first feature-encoder layer).
///
/// Statistics in double precision, two passes (an item can hold millions of samples).
public struct GroupNorm: Sendable {
    public let groups: Int
    public let channels: Int
    public let epsilon: Float
    public let weight: [Float]
    public let bias: [Float]

    /// From PyTorch's `weight` and `bias` [C] (nil for `affine=False`); `name` is the module's
    /// prefix, named in shape errors.
    public init(weight: Tensor?, bias: Tensor?, groups: Int, channels: Int, epsilon: Float = 1e-5,
                name: String = "norm") throws {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels in \(groups) groups")
        if let weight { try requireShape(weight, [channels], name: "\(name).weight", "GroupNorm weight [channels]") }
        if let bias { try requireShape(bias, [channels], name: "\(name).bias", "GroupNorm bias [channels]") }
        self.groups = groups; self.channels = channels; self.epsilon = epsilon
        self.weight = weight?.values ?? [Float](repeating: 1, count: channels)
        self.bias = bias?.values ?? [Float](repeating: 0, count: channels)
    }

    public func callAsFunction(_ tensor: Tensor) -> Tensor {
        var out = tensor
        apply(to: &out)
        return out
    }

    /// In place over [N, ..., C].
    public func apply(to tensor: inout Tensor) {
        precondition(tensor.rank >= 2 && tensor.shape.last == channels,
                     "GroupNorm: expected [N, ..., \(channels)], got \(tensor.shape)")
        let n = tensor.shape[0], c = channels, width = channels / groups
        let positions = n == 0 ? 0 : tensor.count / (n * c)
        let count = Double(positions * width)
        var mean = [Double](repeating: 0, count: groups), scale = mean
        weight.withUnsafeBufferPointer { w in
        bias.withUnsafeBufferPointer { b in
        tensor.values.withUnsafeMutableBufferPointer { v in
            for item in 0..<n {
                let base = v.baseAddress! + item * positions * c
                for g in 0..<groups { mean[g] = 0; scale[g] = 0 }
                for p in 0..<positions {
                    let row = base + p * c
                    for g in 0..<groups { for i in (g * width)..<((g + 1) * width) { mean[g] += Double(row[i]) } }
                }
                for g in 0..<groups { mean[g] /= count }
                for p in 0..<positions {
                    let row = base + p * c
                    for g in 0..<groups {
                        for i in (g * width)..<((g + 1) * width) { let d = Double(row[i]) - mean[g]; scale[g] += d * d }
                    }
                }
                for g in 0..<groups { scale[g] = 1 / (scale[g] / count + Double(epsilon)).squareRoot() }
                for p in 0..<positions {
                    let row = base + p * c
                    for i in 0..<c {
                        let g = i / width
                        row[i] = Float((Double(row[i]) - mean[g]) * scale[g]) * w[i] + b[i]
                    }
                }
            }
        }}}
    }
}
