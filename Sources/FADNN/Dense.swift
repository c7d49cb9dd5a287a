/// A fully connected layer `y = activation(x W + b)` then an optional per-channel affine,
/// over [N, inputs] -> [N, outputs] (one GEMM for the whole batch).
public struct Dense: Sendable {
    public let inputs: Int
    public let outputs: Int
    /// [inputs, outputs] row-major (TensorFlow's kernel layout).
    public private(set) var weights: [Float]
    public private(set) var bias: [Float]
    public var activation: Activation
    public var postAffine: ChannelAffine?

    /// From a TensorFlow-layout kernel [inputs, outputs].
    public init(inOut kernel: [Float], inputs: Int, outputs: Int, bias: [Float]? = nil,
                activation: Activation = .identity, postAffine: ChannelAffine? = nil) {
        precondition(kernel.count == inputs * outputs, "Dense: \(kernel.count) weights for \(inputs)x\(outputs)")
        precondition(bias == nil || bias!.count == outputs, "Dense: bias length")
        self.inputs = inputs; self.outputs = outputs
        self.weights = kernel
        self.bias = bias ?? [Float](repeating: 0, count: outputs)
        self.activation = activation
        self.postAffine = postAffine
    }

    /// From a PyTorch-layout weight [outputs, inputs], transposed once.
    public init(outIn weight: [Float], outputs: Int, inputs: Int, bias: [Float]? = nil,
                activation: Activation = .identity, postAffine: ChannelAffine? = nil) {
        precondition(weight.count == inputs * outputs, "Dense: \(weight.count) weights for \(outputs)x\(inputs)")
        var kernel = [Float](repeating: 0, count: weight.count)
        for o in 0..<outputs { for i in 0..<inputs { kernel[i * outputs + o] = weight[o * inputs + i] } }
        self.init(inOut: kernel, inputs: inputs, outputs: outputs, bias: bias, activation: activation,
                  postAffine: postAffine)
    }

    /// This layer with a BatchNorm that directly follows it (no activation between) folded in.
    public func folding(_ norm: BatchNorm) -> Dense {
        precondition(activation == .identity && postAffine == nil, "Dense.folding: BatchNorm after an activation")
        precondition(norm.channels == outputs, "Dense.folding: \(norm.channels) channels, expected \(outputs)")
        let a = norm.affine
        var copy = self
        for i in 0..<inputs { for o in 0..<outputs { copy.weights[i * outputs + o] *= a.scale[o] } }
        for o in 0..<outputs { copy.bias[o] = bias[o] * a.scale[o] + a.shift[o] }
        return copy
    }

    /// This layer with a BatchNorm (or any affine) that directly PRECEDES it folded in:
    /// `(x s + t) W + b = x (diag(s) W) + (t W + b)`. Exact up to rounding (no padding involved).
    public func foldingPreceding(_ affine: ChannelAffine) -> Dense {
        precondition(affine.channels == inputs, "Dense.foldingPreceding: \(affine.channels) channels, expected \(inputs)")
        var copy = self
        var newBias = bias.map(Double.init)
        for i in 0..<inputs {
            for o in 0..<outputs {
                newBias[o] += Double(affine.shift[i]) * Double(weights[i * outputs + o])
                copy.weights[i * outputs + o] *= affine.scale[i]
            }
        }
        copy.bias = newBias.map(Float.init)
        return copy
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == inputs, "Dense: expected [N, \(inputs)], got \(input.shape)")
        let n = input.shape[0]
        var output = Tensor(shape: [n, outputs])
        guard n > 0 else { return output }
        input.values.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                output.values.withUnsafeMutableBufferPointer { y in
                    BLAS.parallelSgemm(m: n, n: outputs, k: inputs, a: x.baseAddress!, lda: inputs,
                                       b: w.baseAddress!, ldb: outputs, c: y.baseAddress!, ldc: outputs)
                    applyEpilogue(y.baseAddress!, positions: n, channels: outputs, bias: bias,
                                  activation: activation, postAffine: postAffine)
                }
            }
        }
        return output
    }

    public var flops: Double { 2 * Double(inputs) * Double(outputs) }
}
