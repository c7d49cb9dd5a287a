/// A learned absolute positional embedding: row `offset + l` of a [positions, D] table added to
/// token `l` of every [N, L, D] sequence (ViT's `pos_embed`, BERT-style position tables).
public struct LearnedPositionalEmbedding: Sendable {
    public let positions: Int
    public let dimension: Int
    let table: [Float]

    /// From PyTorch's table [positions, D] or [1, positions, D]; `name` is the tensor's name in
    /// shape errors.
    public init(table: Tensor, name: String = "pos_embed") throws {
        guard (table.rank == 2 || (table.rank == 3 && table.shape[0] == 1)) && table.count > 0 else {
            throw NNError(path: name, kind: .shapeMismatch,
                          reason: "shape \(table.shape), expected [positions, D] or [1, positions, D] (positional embedding table)")
        }
        positions = table.shape[table.rank - 2]; dimension = table.shape[table.rank - 1]
        self.table = table.values
    }

    /// `x + table[offset ..< offset + L]` for x [N, L, D].
    public func callAsFunction(_ input: Tensor, offset: Int = 0) -> Tensor {
        precondition(input.rank == 3 && input.shape[2] == dimension,
                     "LearnedPositionalEmbedding: expected [N, L, \(dimension)], got \(input.shape)")
        let l = input.shape[1], d = dimension
        precondition(offset >= 0 && offset + l <= positions,
                     "LearnedPositionalEmbedding: positions \(offset)..<\(offset + l) of a table of \(positions)")
        var out = input
        table.withUnsafeBufferPointer { t in
            out.values.withUnsafeMutableBufferPointer { v in
                for item in 0..<input.shape[0] {
                    let base = v.baseAddress! + item * l * d, row = t.baseAddress! + offset * d
                    for i in 0..<(l * d) { base[i] += row[i] }
                }
            }
        }
        return out
    }
}

/// Separate learned frequency and time embeddings on a grid of patches (PaSST's
/// `freq_new_pos_embed` [1, D, F, 1] and `time_new_pos_embed` [1, D, 1, Tmax]): the token of
/// patch (f, t), tokens ordered f-major as PyTorch's `flatten(2).transpose(1, 2)` of [N, D, F, T]
/// orders them, gets `frequency[f] + time[t]`; inputs shorter than Tmax use the first T entries.
public struct FrequencyTimePositionalEmbedding: Sendable {
    public let frequencies: Int
    public let maximumTimes: Int
    public let dimension: Int
    /// [F, D] and [Tmax, D].
    let frequency: [Float]
    let time: [Float]

    /// From PyTorch's [1, D, F, 1] and [1, D, 1, Tmax] tables; `name` is the module's prefix in
    /// shape errors.
    public init(frequency: Tensor, time: Tensor, name: String = "") throws {
        let p = name.isEmpty ? "" : name + "."
        guard frequency.rank == 4, frequency.shape[0] == 1, frequency.shape[3] == 1 else {
            throw NNError(path: p + "freq_new_pos_embed", kind: .shapeMismatch,
                          reason: "shape \(frequency.shape), expected [1, D, F, 1] (frequency positional embedding)")
        }
        let d = frequency.shape[1]
        guard time.rank == 4, time.shape[0] == 1, time.shape[1] == d, time.shape[2] == 1 else {
            throw NNError(path: p + "time_new_pos_embed", kind: .shapeMismatch,
                          reason: "shape \(time.shape), expected [1, \(d), 1, Tmax] (time positional embedding)")
        }
        dimension = d; frequencies = frequency.shape[2]; maximumTimes = time.shape[3]
        self.frequency = frequency.reshaped([d, frequencies]).permuted([1, 0]).values
        self.time = time.reshaped([d, maximumTimes]).permuted([1, 0]).values
    }

    /// Adds the embeddings to x [N, F * times, D].
    public func callAsFunction(_ input: Tensor, times: Int) -> Tensor {
        let d = dimension
        precondition(input.rank == 3 && input.shape[1] == frequencies * times && input.shape[2] == d && times <= maximumTimes,
                     "FrequencyTimePositionalEmbedding: expected [N, \(frequencies) x T, \(d)] with T <= \(maximumTimes), got \(input.shape) for T = \(times)")
        var out = input
        frequency.withUnsafeBufferPointer { fr in
        time.withUnsafeBufferPointer { tm in
        out.values.withUnsafeMutableBufferPointer { v in
            var token = v.baseAddress!
            for _ in 0..<input.shape[0] {
                for f in 0..<frequencies {
                    for t in 0..<times {
                        for i in 0..<d { token[i] += fr[f * d + i] + tm[t * d + i] }
                        token += d
                    }
                }
            }
        }}}
        return out
    }
}

/// HuBERT's (and wav2vec 2.0's, MERT's) convolutional positional embedding:
/// `x + GELU(conv(x))`, the convolution grouped with padding `kernel / 2` on both sides and, for
/// an even kernel, its last output frame dropped (`HubertSamePadLayer`), so the output keeps the
/// input's length. The checkpoint's weight is weight-normalised over the kernel axis: fold it
/// first with `WeightNorm.folded(g:v:dim: 2)`.
public struct ConvolutionalPositionalEmbedding: Sendable {
    public let convolution: Conv1D
    let gelu = GELU()

    /// From the (folded) PyTorch weight [D, D / groups, kernel] and bias [D]; `name` is the
    /// module's prefix (e.g. `encoder.pos_conv_embed.conv`) in shape errors.
    public init(weight: Tensor, bias: Tensor?, groups: Int, name: String = "pos_conv_embed.conv") throws {
        try requireRank(weight, 3, name: "\(name).weight", "positional Conv1d weight [D, D/groups, kernel]")
        let k = weight.shape[2]
        convolution = try Conv1D(weight: weight, bias: bias, groups: groups, padding: .symmetric(k / 2), name: name)
        guard convolution.inputChannels == convolution.outputChannels else {
            throw NNError(path: "\(name).weight", kind: .shapeMismatch,
                          reason: "shape \(weight.shape) maps \(convolution.inputChannels) channels to \(convolution.outputChannels); a positional convolution keeps D")
        }
    }

    /// x [N, L, D] -> x + GELU(conv(x)[:, :L]).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let n = input.shape[0], l = input.shape[1], d = convolution.outputChannels
        var h = convolution(input)
        let produced = h.shape[1]
        if produced != l {
            // Even kernels give one frame more; the frames are the leading ones of each item.
            h = Tensor(shape: [n, l, d], values: (0..<n).flatMap { h.values[($0 * produced * d)..<(($0 * produced + l) * d)] })
        }
        gelu.apply(to: &h)
        return input + h
    }
}
