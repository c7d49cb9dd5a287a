import COpenBLAS
import Foundation

/// A unidirectional, multi-layer LSTM over channels-last sequences [N, T, input] -> [N, T, hidden]
/// (PyTorch's `nn.LSTM(input, hidden, num_layers)` from zero initial states or a carried `State`, returning the last
/// layer's hidden states at every step; PyTorch's own layout is [T, N, C]).
///
/// Per layer, with PyTorch's gate order i, f, g, o in the rows of `weight_ih` [4H, in] and
/// `weight_hh` [4H, H]:
/// ```
/// gates_t = x_t W_ih^T + h_{t-1} W_hh^T + b_ih + b_hh
/// c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g),   h_t = sigmoid(o) * tanh(c_t)
/// ```
/// The input projections of all steps and items are one GEMM. Each step then adds
/// `h_{t-1} W_hh^T` in place into them and applies the gates, in tiles of hidden units run in
/// parallel: the gate rows are stored unit-major (i, f, g, o of unit 0, then of unit 1...), so a
/// tile's product (a GEMV for one item, whose weights stay in PyTorch's row-major [4H, H] and are
/// never repacked; a GEMM for a batch) holds every gate of its units. h_{t-1} is read straight out
/// of the output. Tiles depend on shapes only (results do not depend on the worker count).
/// EnCodec's `SLSTM` adds the input as a skip connection: `lstm(x) + x`.
public struct LSTM: Sendable {
    /// One layer's weights in GEMM layout.
    public struct Layer: Sendable {
        public let inputSize: Int
        public let hiddenSize: Int
        /// [in, 4H], columns unit-major (column 4j + q is gate q of unit j).
        let inputWeights: [Float]
        /// [4H, H], rows unit-major.
        let recurrentWeights: [Float]
        /// b_ih + b_hh [4H], unit-major.
        let bias: [Float]
    }

    /// One layer's tensors as PyTorch names them (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
    /// `bias_hh_l0`); the biases are nil for `bias=False`.
    public struct TorchLayer: Sendable {
        public var weightIH: Tensor
        public var weightHH: Tensor
        public var biasIH: Tensor?
        public var biasHH: Tensor?

        public init(weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?) {
            self.weightIH = weightIH; self.weightHH = weightHH; self.biasIH = biasIH; self.biasHH = biasHH
        }
    }

    public let layers: [Layer]
    public var inputSize: Int { layers[0].inputSize }
    public var hiddenSize: Int { layers[0].hiddenSize }

    /// From PyTorch's tensors, layer 0 first; `name` (the module's prefix, e.g.
    /// `encoder.model.13.lstm`) names the tensor in shape errors.
    public init(layers torch: [TorchLayer], name: String = "lstm") throws {
        precondition(!torch.isEmpty, "LSTM: no layers")
        var layers: [Layer] = []
        guard torch[0].weightHH.rank == 2, torch[0].weightHH.shape[1] > 0 else {
            throw NNError(path: "\(name).weight_hh_l0", kind: .shapeMismatch,
                          reason: "shape \(torch[0].weightHH.shape), expected [4 * hidden, hidden] with hidden > 0 (LSTM weight_hh)")
        }
        guard torch[0].weightIH.rank == 2, torch[0].weightIH.shape[1] > 0 else {
            throw NNError(path: "\(name).weight_ih_l0", kind: .shapeMismatch,
                          reason: "shape \(torch[0].weightIH.shape), expected [4 * hidden, input] with input > 0 (LSTM weight_ih)")
        }
        let hidden = torch[0].weightHH.shape[1]
        for (l, t) in torch.enumerated() {
            let inputSize = l == 0 ? t.weightIH.shape[1] : hidden
            try requireShape(t.weightIH, [4 * hidden, inputSize], name: "\(name).weight_ih_l\(l)", "LSTM weight_ih [4 * hidden, input]")
            try requireShape(t.weightHH, [4 * hidden, hidden], name: "\(name).weight_hh_l\(l)", "LSTM weight_hh [4 * hidden, hidden]")
            var bias = [Float](repeating: 0, count: 4 * hidden)
            for (b, suffix) in [(t.biasIH, "bias_ih"), (t.biasHH, "bias_hh")] {
                guard let b else { continue }
                try requireShape(b, [4 * hidden], name: "\(name).\(suffix)_l\(l)", "LSTM bias [4 * hidden]")
                for i in 0..<(4 * hidden) { bias[i] += b.values[i] }
            }
            // PyTorch's gate-major rows (q * H + j) to unit-major (4j + q).
            func regroup(_ rows: Tensor) -> Tensor {
                rows.reshaped([4, hidden, rows.count / (4 * hidden)]).permuted([1, 0, 2]).reshaped(rows.shape)
            }
            layers.append(Layer(inputSize: inputSize, hiddenSize: hidden,
                                inputWeights: regroup(t.weightIH).permuted([1, 0]).values,
                                recurrentWeights: regroup(t.weightHH).values,
                                bias: regroup(Tensor(shape: [4 * hidden, 1], values: bias)).values))
        }
        self.layers = layers
    }

    /// From a name -> tensor map holding PyTorch's `PREFIX.weight_ih_l0` ... for `count` layers
    /// (`PREFIX.` omitted when `prefix` is empty); a missing weight is a `missingTensor` error
    /// naming it, missing biases mean `bias=False` only if all are missing.
    public init(tensors: [String: Tensor], prefix: String, layers count: Int) throws {
        let p = prefix.isEmpty ? "" : prefix + "."
        func required(_ key: String) throws -> Tensor {
            guard let t = tensors[p + key] else {
                throw NNError(path: p + key, kind: .missingTensor, reason: "the LSTM's tensor \(p + key) is missing")
            }
            return t
        }
        let hasBias = tensors[p + "bias_ih_l0"] != nil || tensors[p + "bias_hh_l0"] != nil
        let torch = try (0..<count).map { l in
            TorchLayer(weightIH: try required("weight_ih_l\(l)"), weightHH: try required("weight_hh_l\(l)"),
                       biasIH: hasBias ? try required("bias_ih_l\(l)") : nil,
                       biasHH: hasBias ? try required("bias_hh_l\(l)") : nil)
        }
        try self.init(layers: torch, name: prefix.isEmpty ? "lstm" : prefix)
    }

    /// [N, T, inputSize] -> [N, T, hiddenSize].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        var state: State?
        return self(input, state: &state)
    }

    /// Every layer's hidden and cell state after the last step, each [N, hidden] row-major: what
    /// a sequence cut into consecutive chunks carries from one chunk to the next, so that the
    /// chunks together give exactly the outputs of the whole sequence (PyTorch's `(h_n, c_n)`).
    public struct State: Sendable {
        public var hidden: [[Float]]
        public var cell: [[Float]]
    }

    /// [N, T, inputSize] -> [N, T, hiddenSize], starting from `state` (zeros when nil) and
    /// leaving the final state in it.
    public func callAsFunction(_ input: Tensor, state: inout State?) -> Tensor {
        precondition(input.rank == 3 && input.shape[2] == inputSize,
                     "LSTM: expected [N, T, \(inputSize)], got \(input.shape)")
        let n = input.shape[0]
        if let state {
            precondition(state.hidden.count == layers.count && state.hidden.allSatisfy { $0.count == n * hiddenSize }
                         && state.cell.count == layers.count && state.cell.allSatisfy { $0.count == n * hiddenSize },
                         "LSTM: a state for another batch size or layer count")
        }
        var next = State(hidden: [], cell: [])
        var x = input
        for (l, layer) in layers.enumerated() {
            var hidden = state?.hidden[l] ?? [Float](repeating: 0, count: n * layer.hiddenSize)
            var cell = state?.cell[l] ?? [Float](repeating: 0, count: n * layer.hiddenSize)
            x = run(layer, x, hidden: &hidden, cell: &cell)
            next.hidden.append(hidden); next.cell.append(cell)
        }
        state = next
        return x
    }

    /// Hidden units per tile of a recurrent step.
    static let unitsPerTile = 64

    /// One layer from `hidden` and `cell` [N, H], which it leaves holding the final state.
    private func run(_ layer: Layer, _ input: Tensor, hidden initial: inout [Float], cell: inout [Float]) -> Tensor {
        BLAS.makeSerial()
        let n = input.shape[0], t = input.shape[1], h = layer.hiddenSize, g = 4 * h
        var output = Tensor(shape: [n, t, h])
        guard n > 0, t > 0 else { return output }
        var gates = [Float](repeating: 0, count: n * t * g)
        input.values.withUnsafeBufferPointer { x in
        layer.inputWeights.withUnsafeBufferPointer { wih in
        layer.recurrentWeights.withUnsafeBufferPointer { whh in
        layer.bias.withUnsafeBufferPointer { bias in
        gates.withUnsafeMutableBufferPointer { gatesBuffer in
        cell.withUnsafeMutableBufferPointer { c in
        initial.withUnsafeBufferPointer { h0 in
        output.values.withUnsafeMutableBufferPointer { out in
            let gp = gatesBuffer.baseAddress!, y = out.baseAddress!, w = whh.baseAddress!
            // Whether h_0 is all zeros (a fresh sequence): then step 0 has no recurrent term.
            let fresh = !h0.contains { $0 != 0 }
            BLAS.parallelSgemm(m: n * t, n: g, k: layer.inputSize, a: x.baseAddress!, lda: layer.inputSize,
                               b: wih.baseAddress!, ldb: g, c: gp, ldc: g)
            for step in 0..<t {
                BLAS.forEachTile(count: h, tile: Self.unitsPerTile) { units, _ in
                    let firstRow = 4 * units.lowerBound, rows = 4 * units.count
                    if step > 0 || !fresh {
                        // gates[item, step, rows] += h_{t-1}[item] W_hh[rows]^T; h_{t-1} of item
                        // `item` is out[item, step - 1, :] (h_0[item] at step 0).
                        let previous = step > 0 ? UnsafePointer(y + (step - 1) * h) : h0.baseAddress!
                        let stride = step > 0 ? t * h : h
                        if n == 1 {
                            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(rows), blasint(h), 1, w + firstRow * h, blasint(h),
                                        previous, 1, 1, gp + step * g + firstRow, 1)
                        } else {
                            BLAS.sgemm(m: n, n: rows, k: h, a: previous, lda: stride, b: w + firstRow * h, ldb: h,
                                       transposeB: true, c: gp + step * g + firstRow, ldc: t * g, beta: 1)
                        }
                    }
                    for item in 0..<n {
                        let z = gp + (item * t + step) * g
                        let state = c.baseAddress! + item * h
                        let hidden = y + (item * t + step) * h
                        for j in units {
                            let q = 4 * j
                            let i = 1 / (1 + expf(-(z[q] + bias[q])))
                            let f = 1 / (1 + expf(-(z[q + 1] + bias[q + 1])))
                            let cand = tanhf(z[q + 2] + bias[q + 2])
                            let o = 1 / (1 + expf(-(z[q + 3] + bias[q + 3])))
                            state[j] = f * state[j] + i * cand
                            hidden[j] = o * tanhf(state[j])
                        }
                    }
                }
            }
        }}}}}}}}
        // The last step's hidden state of each item.
        for item in 0..<n {
            initial.replaceSubrange(item * h ..< (item + 1) * h,
                                    with: output.values[((item * t) + t - 1) * h ..< (item * t + t) * h])
        }
        return output
    }
}
