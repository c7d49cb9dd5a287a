extension Dense {
    /// A fully connected layer from PyTorch's `nn.Linear` tensors: `weight` [out, in], `bias`
    /// [out] (nil for `bias=False`), transposed once to the [in, out] GEMM layout. `name` (the
    /// module's prefix, e.g. `encoder.layers.0.feed_forward.intermediate_dense`) names the tensor
    /// in shape errors.
    public init(linearWeight weight: Tensor, bias: Tensor?, activation: Activation = .identity,
                name: String = "linear") throws {
        try requireRank(weight, 2, name: "\(name).weight", "Linear weight [out, in]")
        let outputs = weight.shape[0], inputs = weight.shape[1]
        if let bias { try requireShape(bias, [outputs], name: "\(name).bias", "Linear bias [out]") }
        self.init(outIn: weight.values, outputs: outputs, inputs: inputs, bias: bias?.values, activation: activation)
    }

    /// `callAsFunction` over the last axis of any [..., in] tensor (tokens [N, L, in] included).
    public func applied(toLastAxis input: Tensor) -> Tensor {
        precondition(input.rank >= 1 && input.shape.last == inputs, "Dense: expected [..., \(inputs)], got \(input.shape)")
        let rows = input.count / inputs
        return self(input.reshaped([rows, inputs])).reshaped(Array(input.shape.dropLast()) + [outputs])
    }
}
