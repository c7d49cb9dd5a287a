extension Tensor {
    /// The tensor with its axes reordered: output axis `i` is input axis `order[i]` (as
    /// `torch.permute`), e.g. `permuted([0, 2, 1])` turns PyTorch's [N, C, T] into FADNN's
    /// channels-last [N, T, C].
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "Tensor.permuted: \(order) is not a permutation of the axes of \(shape)")
        let newShape = order.map { shape[$0] }
        var inputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
        let strides = order.map { inputStrides[$0] }
        var out = [Float](repeating: 0, count: count)
        guard count > 0 else { return Tensor(shape: newShape, values: out) }
        var index = [Int](repeating: 0, count: rank)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                var source = 0
                for i in 0..<y.count {
                    y[i] = x[source]
                    // Odometer increment over the output's axes, last fastest.
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        source += strides[axis]
                        if index[axis] < newShape[axis] { break }
                        source -= strides[axis] * newShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return Tensor(shape: newShape, values: out)
    }
}

/// Throws the `shapeMismatch` error that names the tensor when `tensor` has another shape than
/// `expected` (`what` says which layout was expected, e.g. "Conv1d weight [out, in/groups, kernel]").
func requireShape(_ tensor: Tensor, _ expected: [Int], name: String, _ what: String) throws {
    guard tensor.shape == expected else {
        throw NNError(path: name, kind: .shapeMismatch,
                      reason: "shape \(tensor.shape), expected \(expected) (\(what))")
    }
}

/// Throws the `shapeMismatch` error that names the tensor when its rank differs from `rank`.
func requireRank(_ tensor: Tensor, _ rank: Int, name: String, _ what: String) throws {
    guard tensor.rank == rank else {
        throw NNError(path: name, kind: .shapeMismatch,
                      reason: "shape \(tensor.shape), expected rank \(rank) (\(what))")
    }
}
