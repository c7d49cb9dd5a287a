import Foundation

/// An additive term on the attention logits before the softmax, [groups, heads or 1, Lq, Lk]:
/// item `n` of the batch uses group `n % groups`, and a single head slice is shared by all heads.
/// Masks are biases too: -inf (PyTorch's boolean masks) or a large negative value (Swin's -100).
public struct AttentionBias: Sendable {
    public let groups: Int
    public let heads: Int
    public let queries: Int
    public let keys: Int
    public let values: [Float]

    /// From a [groups, heads or 1, Lq, Lk] tensor.
    public init(_ tensor: Tensor) {
        precondition(tensor.rank == 4, "AttentionBias: expected [groups, heads, Lq, Lk], got \(tensor.shape)")
        groups = tensor.shape[0]; heads = tensor.shape[1]; queries = tensor.shape[2]; keys = tensor.shape[3]
        values = tensor.values
    }

    /// One [Lq, Lk] bias for every item and head (a causal mask, PyTorch's 2-D `attn_mask`).
    public static func shared(_ tensor: Tensor) -> AttentionBias {
        precondition(tensor.rank == 2, "AttentionBias.shared: expected [Lq, Lk], got \(tensor.shape)")
        return AttentionBias(tensor.reshaped([1, 1] + tensor.shape))
    }

    /// One [Lq, Lk] bias per head, the same for every item (Swin's relative position bias).
    public static func perHead(_ tensor: Tensor) -> AttentionBias {
        precondition(tensor.rank == 3, "AttentionBias.perHead: expected [heads, Lq, Lk], got \(tensor.shape)")
        return AttentionBias(tensor.reshaped([1] + tensor.shape))
    }

    /// One [Lq, Lk] bias per group of items, item n using group n % groups, shared by the heads
    /// (Swin's shifted-window masks, [windows, L, L], with the batch's windows consecutive).
    public static func perItem(_ tensor: Tensor) -> AttentionBias {
        precondition(tensor.rank == 3, "AttentionBias.perItem: expected [groups, Lq, Lk], got \(tensor.shape)")
        return AttentionBias(tensor.reshaped([tensor.shape[0], 1, tensor.shape[1], tensor.shape[2]]))
    }
}

/// Multi-head scaled dot-product self-attention over [N, L, D] sequences, with its input and
/// output projections:
/// ```
/// q, k, v = x Wq^T + bq, x Wk^T + bk, x Wv^T + bv          (split into heads of D / heads)
/// head_h  = softmax(scale * q_h k_h^T + biases) v_h,   scale = 1 / sqrt(D / heads)
/// y       = concat(head_1...head_H) Wo^T + bo
/// ```
/// as `torch.nn.MultiheadAttention` (packed `in_proj_weight`), Swin/ViT (`qkv` Linear) and HuBERT
/// (separate `q_proj`, `k_proj`, `v_proj`; its scaling of q after the bias is the same product).
///
/// The projections are one GEMM each for the whole batch (q, k and v packed into one [D, 3D]
/// matrix at load). Each (item, head, block of up to 128 queries) is one task: a GEMM for the
/// logits (read in place from the packed projections with strides, no reshuffling), biases, a
/// row softmax (`exponentiateRow`; the division by the row sums is applied to the output rows), and
/// a GEMM into the head's columns of the output. Tasks depend on shapes only, so
/// results do not depend on the worker count; scratch is bounded by 128 x (Lk + 1) per worker.
public struct MultiHeadAttention: Sendable {
    public let embedDimension: Int
    public let heads: Int
    /// Multiplies the logits; 1 / sqrt(D / heads) unless set otherwise.
    public var scale: Float
    let inputProjection: Dense
    let outputProjection: Dense

    /// Queries per task.
    static let queryBlock = 128

    /// From packed projections: `inProjWeight` [3D, D] (q, k, v rows in that order) and
    /// `inProjBias` [3D], as `nn.MultiheadAttention`'s `in_proj_weight`/`in_proj_bias` and Swin's
    /// `qkv.weight`/`qkv.bias`, then `outWeight` [D, D] and `outBias` [D]. `name` is the module's
    /// prefix; shape errors name the tensor with PyTorch's `nn.MultiheadAttention` names.
    public init(inProjWeight: Tensor, inProjBias: Tensor?, outWeight: Tensor, outBias: Tensor?, heads: Int,
                name: String = "attention") throws {
        try requireRank(outWeight, 2, name: "\(name).out_proj.weight", "attention output weight [D, D]")
        let d = outWeight.shape[1]
        precondition(heads > 0, "MultiHeadAttention: heads must be positive")
        guard d > 0, d % heads == 0 else {
            throw NNError(path: "\(name).out_proj.weight", kind: .shapeMismatch,
                          reason: "embedding size \(d) of shape \(outWeight.shape) is not a multiple of \(heads) heads")
        }
        try requireShape(outWeight, [d, d], name: "\(name).out_proj.weight", "attention output weight [D, D]")
        try requireShape(inProjWeight, [3 * d, d], name: "\(name).in_proj_weight", "packed q, k, v weight [3D, D]")
        if let inProjBias { try requireShape(inProjBias, [3 * d], name: "\(name).in_proj_bias", "packed q, k, v bias [3D]") }
        if let outBias { try requireShape(outBias, [d], name: "\(name).out_proj.bias", "attention output bias [D]") }
        embedDimension = d
        self.heads = heads
        scale = 1 / Float(d / heads).squareRoot()
        inputProjection = Dense(outIn: inProjWeight.values, outputs: 3 * d, inputs: d, bias: inProjBias?.values)
        outputProjection = Dense(outIn: outWeight.values, outputs: d, inputs: d, bias: outBias?.values)
    }

    /// From separate projections [D, D] and biases [D] (HuBERT's `q_proj`, `k_proj`, `v_proj`,
    /// `out_proj`), packed once.
    public init(queryWeight: Tensor, queryBias: Tensor?, keyWeight: Tensor, keyBias: Tensor?,
                valueWeight: Tensor, valueBias: Tensor?, outWeight: Tensor, outBias: Tensor?, heads: Int,
                name: String = "attention") throws {
        try requireRank(outWeight, 2, name: "\(name).out_proj.weight", "attention output weight [D, D]")
        let d = outWeight.shape[1]
        for (w, b, p) in [(queryWeight, queryBias, "q_proj"), (keyWeight, keyBias, "k_proj"), (valueWeight, valueBias, "v_proj")] {
            try requireShape(w, [d, d], name: "\(name).\(p).weight", "attention projection weight [D, D]")
            if let b { try requireShape(b, [d], name: "\(name).\(p).bias", "attention projection bias [D]") }
        }
        let anyBias = queryBias != nil || keyBias != nil || valueBias != nil
        let zeros = [Float](repeating: 0, count: d)
        let packedBias = anyBias
            ? Tensor(shape: [3 * d], values: (queryBias?.values ?? zeros) + (keyBias?.values ?? zeros) + (valueBias?.values ?? zeros))
            : nil
        try self.init(inProjWeight: Tensor(shape: [3 * d, d], values: queryWeight.values + keyWeight.values + valueWeight.values),
                      inProjBias: packedBias, outWeight: outWeight, outBias: outBias, heads: heads, name: name)
    }

    /// [N, L, D] -> [N, L, D]; every bias must be [groups, heads or 1, L, L].
    public func callAsFunction(_ input: Tensor, biases: [AttentionBias] = []) -> Tensor {
        let d = embedDimension
        precondition(input.rank == 3 && input.shape[2] == d, "MultiHeadAttention: expected [N, L, \(d)], got \(input.shape)")
        let n = input.shape[0], l = input.shape[1], dh = d / heads
        for b in biases {
            precondition(b.queries == l && b.keys == l && (b.heads == 1 || b.heads == heads),
                         "MultiHeadAttention: bias [\(b.groups), \(b.heads), \(b.queries), \(b.keys)] for \(heads) heads and length \(l)")
        }
        guard n > 0, l > 0 else { return input }
        let qkv = inputProjection(input.reshaped([n * l, d]))
        var attended = [Float](repeating: 0, count: n * l * d)
        let blocks = (l + Self.queryBlock - 1) / Self.queryBlock
        let tasks = n * heads * blocks
        let workers = max(1, min(BLAS.threads, tasks))
        var scratch = [Float](repeating: 0, count: workers * Self.queryBlock * (l + 1))
        let scale = scale, heads = heads
        qkv.values.withUnsafeBufferPointer { qkvBuffer in
        attended.withUnsafeMutableBufferPointer { attendedBuffer in
        scratch.withUnsafeMutableBufferPointer { scratchBuffer in
            let p = qkvBuffer.baseAddress!, o = attendedBuffer.baseAddress!
            BLAS.forEachTile(count: tasks, tile: 1) { range, worker in
                let task = range.lowerBound
                let item = task / (heads * blocks), head = (task / blocks) % heads, block = task % blocks
                let first = block * Self.queryBlock, rows = min(Self.queryBlock, l - first)
                let s = scratchBuffer.baseAddress! + worker * Self.queryBlock * (l + 1)
                let itemBase = p + item * l * 3 * d
                BLAS.sgemm(m: rows, n: l, k: dh, a: itemBase + first * 3 * d + head * dh, lda: 3 * d,
                           b: itemBase + d + head * dh, ldb: 3 * d, transposeB: true, c: s, ldc: l, alpha: scale)
                for bias in biases {
                    bias.values.withUnsafeBufferPointer { bv in
                        let slice = ((item % bias.groups) * bias.heads + (bias.heads == 1 ? 0 : head)) * l * l
                        let src = bv.baseAddress! + slice + first * l
                        for i in 0..<(rows * l) { s[i] += src[i] }
                    }
                }
                // Unnormalised exponentials; each output row is divided by its sum after the
                // product with v (dh values per row instead of Lk).
                let inverses = s + Self.queryBlock * l
                for r in 0..<rows { inverses[r] = 1 / exponentiateRow(s + r * l, count: l) }
                let out = o + (item * l + first) * d + head * dh
                BLAS.sgemm(m: rows, n: dh, k: l, a: s, lda: l, b: itemBase + 2 * d + head * dh, ldb: 3 * d,
                           c: out, ldc: d)
                for r in 0..<rows {
                    let inverse = inverses[r], row = out + r * d
                    for j in 0..<dh { row[j] *= inverse }
                }
            }
        }}}
        return outputProjection(Tensor(shape: [n * l, d], values: attended)).reshaped([n, l, d])
    }

    /// FLOPs (2 per multiply-add) for one sequence of `length` tokens: projections and both products.
    public func flops(length: Int) -> Double {
        let d = Double(embedDimension), l = Double(length)
        return 2 * l * d * 3 * d + 2 * l * d * d + 2 * 2 * l * l * d
    }
}

extension AttentionBias {
    /// Swin's relative position bias of one window of `windowHeight` x `windowWidth` tokens
    /// (row-major): head h's logit between tokens a = (ya, xa) and b = (yb, xb) gets
    /// `table[(ya - yb + Wh - 1) (2 Ww - 1) + (xa - xb + Ww - 1), h]`, the index that Swin's
    /// `relative_position_index` buffer holds (computed here, so the buffer need not be imported).
    /// `table` is `relative_position_bias_table` [(2 Wh - 1)(2 Ww - 1), heads]; `name` names it in
    /// shape errors.
    public static func swinRelativePosition(table: Tensor, windowHeight: Int, windowWidth: Int,
                                            name: String = "relative_position_bias_table") throws -> AttentionBias {
        let rows = (2 * windowHeight - 1) * (2 * windowWidth - 1)
        guard table.rank == 2, table.shape[0] == rows, table.shape[1] > 0 else {
            throw NNError(path: name, kind: .shapeMismatch,
                          reason: "shape \(table.shape), expected [\(rows), heads] (relative position bias table of a \(windowHeight)x\(windowWidth) window)")
        }
        let heads = table.shape[1], l = windowHeight * windowWidth
        var values = [Float](repeating: 0, count: heads * l * l)
        for a in 0..<l {
            for b in 0..<l {
                let dy = a / windowWidth - b / windowWidth + windowHeight - 1
                let dx = a % windowWidth - b % windowWidth + windowWidth - 1
                let row = dy * (2 * windowWidth - 1) + dx
                for h in 0..<heads { values[(h * l + a) * l + b] = table.values[row * heads + h] }
            }
        }
        return AttentionBias(Tensor(shape: [1, heads, l, l], values: values))
    }
}
