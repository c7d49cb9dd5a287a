import FADArrays

/// A dense float32 tensor in row-major order: the activations and weights of FADNN.
///
/// FADNN is channels-last: rank-4 activations are **NHWC** ([batch, height, width, channels]),
/// which for audio models means [windows, time, frequency, channels], the layout TensorFlow and
/// musicnn use. Convolution kernels are **HWIO** ([kernelHeight, kernelWidth, in, out]): their
/// row-major flattening is exactly the [K, out] GEMM matrix of im2col, so TF kernels load
/// as they are stored. PyTorch weights (NCHW activations, OIHW kernels, dense [out, in]) are
/// reordered once at load time (`Conv2D(oihw:...)`, `Dense(outIn:...)`); a PyTorch model that
/// flattens NCHW feature maps must permute its first dense layer's rows accordingly.
///
/// Sequences are channels-last too: [N, T, C] for `Conv1D`, `GroupNorm`, `LSTM` (PyTorch: [N, C, T],
/// and [T, N, C] for `nn.LSTM`) and [N, L, D] tokens for `LayerNorm`, `MultiHeadAttention` and the
/// positional embeddings. Their initialisers take PyTorch's tensors as stored (Conv1d
/// [out, in/groups, kernel], Linear [out, in], LSTM `weight_ih_l0`...), check each shape (an
/// `NNError` naming the tensor) and convert once to GEMM layouts; `Tensor.permuted(_:)` moves
/// activations between the two conventions.
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    /// `shape.reduce(1, *)` values, last axis fastest.
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "Tensor: \(values.count) values cannot fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, values: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { values.count }
    public var rank: Int { shape.count }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, values: values)
    }

    /// A rank-2 tensor [rows, columns] as a matrix.
    public var matrix: Matrix<Float> {
        precondition(rank == 2, "Tensor.matrix: rank \(rank) tensor \(shape)")
        return Matrix(rows: shape[0], columns: shape[1], values: values)
    }

    public init(_ matrix: Matrix<Float>) {
        self.init(shape: [matrix.rows, matrix.columns], values: matrix.values)
    }

    /// Flattens everything but the first axis: [N, ...] -> [N, rest].
    public func flattened() -> Tensor {
        precondition(rank >= 1, "Tensor.flattened: scalar")
        let n = shape[0]
        return reshaped([n, n == 0 ? 0 : count / n])
    }

    /// Items [start, start + length) along the first axis.
    public func slice(batch start: Int, count length: Int) -> Tensor {
        precondition(rank >= 1 && start >= 0 && length >= 0 && start + length <= shape[0])
        let item = shape.dropFirst().reduce(1, *)
        return Tensor(shape: [length] + shape.dropFirst(),
                      values: Array(values[start * item ..< (start + length) * item]))
    }
}
