import Foundation

/// How much a `Conv1D` pads its input in time.
public enum Conv1DPadding: Sendable, Hashable {
    /// Fixed amounts on each side; PyTorch's `padding=p` is `.explicit(left: p, right: p)`.
    case explicit(left: Int, right: Int)
    /// EnCodec's `SConv1d`: `(kernel - 1) * dilation - (stride - 1)` in total, all on the left when
    /// `causal`, else split with the odd element on the left; plus, on the right, the few samples
    /// that make the last stride window full (EnCodec's `get_extra_padding_for_conv1d`), so the
    /// amount depends on the input length.
    case streaming(causal: Bool)

    /// No padding.
    public static let valid = Conv1DPadding.explicit(left: 0, right: 0)

    /// PyTorch's `padding=p`.
    public static func symmetric(_ amount: Int) -> Conv1DPadding { .explicit(left: amount, right: amount) }

    /// (left, right) for an input of `length` frames.
    public func resolve(length: Int, kernel: Int, stride: Int, dilation: Int) -> (left: Int, right: Int) {
        switch self {
        case let .explicit(left, right):
            return (left, right)
        case let .streaming(causal):
            let total = (kernel - 1) * dilation - (stride - 1)
            precondition(total >= 0, "Conv1DPadding.streaming: stride \(stride) exceeds the kernel's span")
            // EnCodec counts frames with the UNdilated kernel size here; kept as published.
            let a = length - kernel + total
            let frames = a >= 0 ? (a + stride - 1) / stride : -((-a) / stride)  // ceil(a / stride)
            let extra = frames * stride + kernel - total - length
            if causal { return (total, extra) }
            return (total - total / 2, total / 2 + extra)
        }
    }
}

/// What the padded samples hold.
public enum PaddingMode: String, Sendable, Hashable {
    case zeros
    /// Mirror images without repeating the edge sample (`torch.nn.functional.pad(mode="reflect")`).
    /// An input no longer than the padding is first extended with zeros on the right, reflected,
    /// then cut back, as EnCodec's `pad1d` does (PyTorch alone rejects such inputs).
    case reflect
}

/// A 1-D convolution over channels-last sequences [N, T, C] (PyTorch's `nn.Conv1d` on [N, C, T]):
/// strided, dilated, grouped (depthwise included), zero- or reflect-padded, causal or asymmetric.
///
/// Computed as im2col + SGEMM, one GEMM per group on each tile of output positions, with bias and
/// activation fused into the epilogue. A group's im2col row of a position is ordered (tap,
/// channel of the group), so the weights of a group are the [kernel * in/groups, out/groups] GEMM
/// matrix, converted once from PyTorch's [out, in/groups, kernel] at load. Depthwise convolutions
/// (one input channel per group) would be GEMMs with one column: they run as a direct
/// multiply-add loop over the channels instead, weights stored [kernel, out].
///
/// Tiles of `chunkFloats / (kernel * in/groups)` positions (clamped to 256...4096) cut the whole batch
/// whatever the item boundaries and depend on shapes only, so results are bit-identical for any
/// worker count (see `BLAS`).
public struct Conv1D: Sendable {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let dilation: Int
    public let groups: Int
    public let padding: Conv1DPadding
    public let paddingMode: PaddingMode
    /// GEMM layout (see the type's documentation).
    let weights: [Float]
    public private(set) var bias: [Float]
    public var activation: Activation
    /// Target im2col floats per GEMM tile (default 256 Ki floats = 1 MiB).
    public var chunkFloats: Int = 1 << 18

    private var isDepthwise: Bool { inputChannels == groups && groups > 1 }

    /// A convolution from PyTorch's `weight` [out, in/groups, kernel] and `bias` [out]; `name`
    /// (the module's prefix, e.g. `encoder.model.0.conv.conv`) names the tensor in shape errors.
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, dilation: Int = 1, groups: Int = 1,
                padding: Conv1DPadding = .valid, paddingMode: PaddingMode = .zeros,
                activation: Activation = .identity, name: String = "conv") throws {
        try requireRank(weight, 3, name: "\(name).weight", "Conv1d weight [out, in/groups, kernel]")
        let out = weight.shape[0], inG = weight.shape[1], k = weight.shape[2]
        precondition(stride > 0 && dilation > 0 && groups > 0, "Conv1D: stride, dilation and groups must be positive")
        guard out > 0, inG > 0, k > 0, out % groups == 0 else {
            throw NNError(path: "\(name).weight", kind: .shapeMismatch,
                          reason: "shape \(weight.shape) cannot be a Conv1d weight [out, in/groups, kernel] with \(groups) groups")
        }
        if let bias { try requireShape(bias, [out], name: "\(name).bias", "Conv1d bias [out]") }
        inputChannels = inG * groups; outputChannels = out; kernelSize = k
        self.stride = stride; self.dilation = dilation; self.groups = groups
        self.padding = padding; self.paddingMode = paddingMode
        self.bias = bias?.values ?? [Float](repeating: 0, count: out)
        self.activation = activation
        let outG = out / groups
        var w = [Float](repeating: 0, count: weight.count)
        weight.values.withUnsafeBufferPointer { src in
            if inG == 1 && groups > 1 {
                for o in 0..<out { for j in 0..<k { w[j * out + o] = src[o * k + j] } }
            } else {
                for g in 0..<groups {
                    for oo in 0..<outG {
                        for i in 0..<inG {
                            for j in 0..<k {
                                w[g * k * inG * outG + (j * inG + i) * outG + oo] = src[((g * outG + oo) * inG + i) * k + j]
                            }
                        }
                    }
                }
            }
        }
        weights = w
    }

    /// Output frames for an input of `inputLength` frames.
    public func outputLength(_ inputLength: Int) -> Int {
        let pad = padding.resolve(length: inputLength, kernel: kernelSize, stride: stride, dilation: dilation)
        let padded = inputLength + pad.left + pad.right
        let span = (kernelSize - 1) * dilation + 1
        return padded >= span ? (padded - span) / stride + 1 : 0
    }

    /// FLOPs (2 per multiply-add) for one item of `inputLength` frames.
    public func flops(inputLength: Int) -> Double {
        2 * Double(outputLength(inputLength)) * Double(kernelSize * inputChannels / groups) * Double(outputChannels)
    }

    /// [N, T, inputChannels] -> [N, outputLength(T), outputChannels].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 3 && input.shape[2] == inputChannels,
                     "Conv1D: expected [N, T, \(inputChannels)], got \(input.shape)")
        let n = input.shape[0], t = input.shape[1]
        let pad = padding.resolve(length: t, kernel: kernelSize, stride: stride, dilation: dilation)
        let tp = t + pad.left + pad.right
        let tout = outputLength(t)
        var output = Tensor(shape: [n, tout, outputChannels])
        guard n > 0, tout > 0 else { return output }
        let source = pad.left == 0 && pad.right == 0 ? input.values : padded(input, left: pad.left, right: pad.right)
        output.values.withUnsafeMutableBufferPointer { out in
            source.withUnsafeBufferPointer { x in
                if isDepthwise {
                    runDepthwise(x.baseAddress!, paddedLength: tp, outputLength: tout, positions: n * tout, into: out.baseAddress!)
                } else {
                    runGEMM(x.baseAddress!, paddedLength: tp, outputLength: tout, positions: n * tout, into: out.baseAddress!)
                }
            }
        }
        return output
    }

    /// The input with `left` and `right` padded frames per item, [N, left + T + right, C].
    private func padded(_ input: Tensor, left: Int, right: Int) -> [Float] {
        let n = input.shape[0], t = input.shape[1], c = inputChannels, tp = t + left + right
        // Reflection happens over the input extended by zeros when it is too short (EnCodec).
        let extended = paddingMode == .reflect ? max(t, max(left, right) + 1) : t
        var out = [Float](repeating: 0, count: n * tp * c)
        input.values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for item in 0..<n {
                    for p in 0..<tp {
                        var i = p - left
                        if paddingMode == .reflect {
                            if i < 0 { i = -i }
                            if i >= extended { i = 2 * (extended - 1) - i }
                        }
                        guard i >= 0 && i < t else { continue }
                        (y.baseAddress! + (item * tp + p) * c).update(from: x.baseAddress! + (item * t + i) * c, count: c)
                    }
                }
            }
        }
        return out
    }

    private func runGEMM(_ x: UnsafePointer<Float>, paddedLength tp: Int, outputLength tout: Int, positions: Int,
                         into out: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, cout = outputChannels, k = kernelSize
        let inG = cin / groups, outG = cout / groups
        // One group's im2col at a time: HuBERT's positional convolution (128 taps x 768 channels
        // in 16 groups) would need 16 times the scratch for all groups at once.
        let groupRow = k * inG
        let tile = min(4096, max(256, chunkFloats / groupRow))
        // A pointwise convolution reads its GEMM rows straight from the input.
        let direct = k == 1 && stride == 1 && tp == tout
        let workers = max(1, min(BLAS.threads, (positions + tile - 1) / tile))
        var columns = [Float](repeating: 0, count: direct ? 0 : workers * tile * groupRow)
        weights.withUnsafeBufferPointer { wBuffer in
        columns.withUnsafeMutableBufferPointer { colBuffer in
            let w = wBuffer.baseAddress!
            BLAS.forEachTile(count: positions, tile: tile) { range, worker in
                let m = range.count
                let c = out + range.lowerBound * cout
                let cols = direct ? nil : colBuffer.baseAddress! + worker * tile * groupRow
                for g in 0..<self.groups {
                    let a: UnsafePointer<Float>, lda: Int
                    if let cols {
                        for p in 0..<m {
                            let position = range.lowerBound + p
                            let base = x + ((position / tout) * tp + (position % tout) * self.stride) * cin + g * inG
                            let row = cols + p * groupRow
                            for j in 0..<k { (row + j * inG).update(from: base + j * self.dilation * cin, count: inG) }
                        }
                        a = UnsafePointer(cols); lda = groupRow
                    } else {
                        a = x + range.lowerBound * cin + g * inG; lda = cin
                    }
                    BLAS.sgemm(m: m, n: outG, k: groupRow, a: a, lda: lda,
                               b: w + g * groupRow * outG, ldb: outG, c: c + g * outG, ldc: cout)
                }
                applyEpilogue(c, positions: m, channels: cout, bias: self.bias, activation: self.activation, postAffine: nil)
            }
        }}
    }

    private func runDepthwise(_ x: UnsafePointer<Float>, paddedLength tp: Int, outputLength tout: Int, positions: Int,
                              into out: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, cout = outputChannels, k = kernelSize
        let multiplier = cout / cin, stride = stride, dilation = dilation
        let tile = min(4096, max(256, chunkFloats / (k * cin)))
        weights.withUnsafeBufferPointer { wBuffer in
            let w = wBuffer.baseAddress!
            BLAS.forEachTile(count: positions, tile: tile) { range, _ in
                for position in range {
                    let base = x + ((position / tout) * tp + (position % tout) * stride) * cin
                    let y = out + position * cout
                    if multiplier == 1 {
                        Self.depthwiseRow(y, base, w, channels: cout, taps: k, step: dilation * cin)
                    } else {
                        y.update(repeating: 0, count: cout)
                        for j in 0..<k {
                            let src = base + j * dilation * cin, wj = w + j * cout
                            for o in 0..<cout { y[o] += wj[o] * src[o / multiplier] }
                        }
                    }
                }
                applyEpilogue(out + range.lowerBound * cout, positions: range.count, channels: cout, bias: self.bias,
                              activation: self.activation, postAffine: nil)
            }
        }
    }

    /// y[o] = sum_j w[j, o] x[j * step + o]: one output position of a depthwise convolution,
    /// 16 channels at a time in a register over all taps (unaligned SIMD loads), the rest scalar.
    @inline(__always)
    private static func depthwiseRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                     channels: Int, taps: Int, step: Int) {
        var o = 0
        while o + 16 <= channels {
            var acc = SIMD16<Float>()
            for j in 0..<taps {
                let xv = UnsafeRawPointer(x + j * step + o).loadUnaligned(as: SIMD16<Float>.self)
                let wv = UnsafeRawPointer(w + j * channels + o).loadUnaligned(as: SIMD16<Float>.self)
                acc += wv * xv
            }
            UnsafeMutableRawPointer(y + o).storeBytes(of: acc, as: SIMD16<Float>.self)
            o += 16
        }
        while o < channels {
            var acc: Float = 0
            for j in 0..<taps { acc += w[j * channels + o] * x[j * step + o] }
            y[o] = acc
            o += 1
        }
    }
}
