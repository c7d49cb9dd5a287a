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

    /// Positions per tile of the passes over an item.
    static let positionsPerTile = 2048

    /// In place over [N, ..., C]. Three passes over each item, each in fixed tiles of positions
    /// spread over `BLAS.threads` workers: per-channel sums per tile (added up in tile order, so
    /// the result does not depend on the worker count), then squared deviations from the group
    /// means the same way, then the per-channel map.
    public func apply(to tensor: inout Tensor) {
        precondition(tensor.rank >= 2 && tensor.shape.last == channels,
                     "GroupNorm: expected [N, ..., \(channels)], got \(tensor.shape)")
        let n = tensor.shape[0], c = channels, width = channels / groups
        let positions = n == 0 ? 0 : tensor.count / (n * c)
        guard positions > 0 else { return }
        let tile = Self.positionsPerTile
        let tiles = (positions + tile - 1) / tile
        let count = Double(positions * width)
        var partial = [Double](repeating: 0, count: tiles * c)
        var channelMean = [Double](repeating: 0, count: c), channelScale = channelMean
        let eps = Double(epsilon)
        weight.withUnsafeBufferPointer { w in
        bias.withUnsafeBufferPointer { b in
        partial.withUnsafeMutableBufferPointer { partialBuffer in
        channelMean.withUnsafeMutableBufferPointer { meanBuffer in
        channelScale.withUnsafeMutableBufferPointer { scaleBuffer in
        tensor.values.withUnsafeMutableBufferPointer { v in
            let sums = partialBuffer.baseAddress!, mean = meanBuffer.baseAddress!, scale = scaleBuffer.baseAddress!
            /// Per group, the sum over channels and tiles of `partial`, spread back to its channels.
            func groupTotals(into out: UnsafeMutablePointer<Double>) {
                for g in 0..<groups {
                    var total = 0.0
                    for t in 0..<tiles { for i in (g * width)..<((g + 1) * width) { total += sums[t * c + i] } }
                    for i in (g * width)..<((g + 1) * width) { out[i] = total }
                }
            }
            for item in 0..<n {
                let base = v.baseAddress! + item * positions * c
                BLAS.forEachTile(count: positions, tile: tile) { range, _ in
                    let s = sums + (range.lowerBound / tile) * c
                    s.update(repeating: 0, count: c)
                    for p in range {
                        let row = base + p * c
                        for i in 0..<c { s[i] += Double(row[i]) }
                    }
                }
                groupTotals(into: mean)
                for i in 0..<c { mean[i] /= count }
                BLAS.forEachTile(count: positions, tile: tile) { range, _ in
                    let s = sums + (range.lowerBound / tile) * c
                    s.update(repeating: 0, count: c)
                    for p in range {
                        let row = base + p * c
                        for i in 0..<c { let d = Double(row[i]) - mean[i]; s[i] += d * d }
                    }
                }
                groupTotals(into: scale)
                for i in 0..<c { scale[i] = Double(w[i]) / (scale[i] / count + eps).squareRoot() }
                BLAS.forEachTile(count: positions, tile: tile) { range, _ in
                    for p in range {
                        let row = base + p * c
                        for i in 0..<c { row[i] = Float((Double(row[i]) - mean[i]) * scale[i]) + b[i] }
                    }
                }
            }
        }}}}}}
    }
}
