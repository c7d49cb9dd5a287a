/// Inference-mode batch normalisation: `(x - mean) / sqrt(variance + epsilon) * gamma + beta`.
///
/// FADNN never runs it as a layer of its own where it can be removed exactly: `Conv2D.folding(_:)`
/// and `Dense.folding(_:)` fold a BatchNorm that directly FOLLOWS a linear layer (no activation in
/// between) into its weights; `Dense.foldingPreceding(_:)` folds one that directly PRECEDES a dense
/// layer. Where neither is exact (a BatchNorm after a ReLU whose output is exposed or pooled, or one
/// before a zero-padded convolution, since the zeros of the padding are not normalised), it becomes
/// a `ChannelAffine` fused into the epilogue of the preceding layer.
public struct BatchNorm: Sendable, Equatable {
    public let gamma: [Float]
    public let beta: [Float]
    public let mean: [Float]
    public let variance: [Float]
    public let epsilon: Float

    public init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float], epsilon: Float) {
        let c = gamma.count
        precondition(beta.count == c && mean.count == c && variance.count == c,
                     "BatchNorm: parameter lengths \(gamma.count), \(beta.count), \(mean.count), \(variance.count)")
        self.gamma = gamma; self.beta = beta; self.mean = mean; self.variance = variance
        self.epsilon = epsilon
    }

    public var channels: Int { gamma.count }

    /// The equivalent per-channel affine map, computed in float32 as TensorFlow does
    /// (`scale = gamma * rsqrt(variance + epsilon)`, `shift = beta - mean * scale`).
    public var affine: ChannelAffine {
        var scale = [Float](repeating: 0, count: channels)
        var shift = scale
        for c in 0..<channels {
            scale[c] = gamma[c] * (1 / (variance[c] + epsilon).squareRoot())
            shift[c] = beta[c] - mean[c] * scale[c]
        }
        return ChannelAffine(scale: scale, shift: shift)
    }
}
