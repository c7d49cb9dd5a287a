import Foundation
import Dispatch

/// Zero padding of a convolution.
public enum Padding: Sendable, Hashable {
    /// No padding: output = floor((input - kernel) / stride) + 1.
    case valid
    /// TensorFlow's 'SAME': output = ceil(input / stride); the total padding
    /// `max((output - 1) * stride + kernel - input, 0)` is split with the EXTRA element at the end
    /// (bottom/right), e.g. a kernel of 128 pads 63 before and 64 after. PyTorch's symmetric
    /// `padding=k/2` for odd kernels and stride 1 is the same thing.
    case same
    /// Explicit zeros on each side.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// (before, after, output length) along one axis.
    func resolve(input: Int, kernel: Int, stride: Int, vertical: Bool) -> (before: Int, after: Int, output: Int) {
        switch self {
        case .valid:
            return (0, 0, input >= kernel ? (input - kernel) / stride + 1 : 0)
        case .same:
            let output = (input + stride - 1) / stride
            let total = max((output - 1) * stride + kernel - input, 0)
            return (total / 2, total - total / 2, output)
        case let .explicit(top, bottom, left, right):
            let (b, a) = vertical ? (top, bottom) : (left, right)
            let padded = input + b + a
            return (b, a, padded >= kernel ? (padded - kernel) / stride + 1 : 0)
        }
    }
}

/// A 2-D convolution over NHWC tensors, computed as im2col + SGEMM with a fused epilogue
/// (bias, activation, then an optional per-channel affine: a BatchNorm that follows the activation),
/// or, for 3x3 stride-1 kernels over 16+ channels, as Winograd F(2x2, 3x3) (`Winograd3x3`) with
/// the same epilogue.
///
/// The batch (all items, all positions) is cut into GEMM tiles of whole output rows, about
/// `chunkFloats / K` positions each (clamped to 512...4096), whatever the batch boundaries: many
/// windows share a GEMM, the scratch stays bounded, and tiles depend on shapes only, so results do
/// not depend on the number of worker threads that run them (see `BLAS`).
/// Rows of the im2col matrix are ordered (kernel row, kernel column, input channel), which is the
/// row-major flattening of an HWIO kernel: the weights are the GEMM's B matrix as stored.
public struct Conv2D: Sendable {
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let inputChannels: Int
    public let outputChannels: Int
    public let strideHeight: Int
    public let strideWidth: Int
    public let padding: Padding
    /// HWIO, i.e. the [kernelHeight * kernelWidth * inputChannels, outputChannels] GEMM matrix.
    public private(set) var weights: [Float]
    public private(set) var bias: [Float]
    public var activation: Activation
    /// Applied after the activation (a BatchNorm after a ReLU cannot be folded into the weights).
    public var postAffine: ChannelAffine?
    /// Target im2col floats per GEMM tile (default 256 Ki floats = 1 MiB).
    public var chunkFloats: Int = 1 << 18
    /// The Winograd-transformed kernel, for the 3x3 stride-1 convolutions it speeds up.
    private var winograd: Winograd3x3?

    /// How the convolution is computed.
    public enum Algorithm: Sendable, Hashable {
        /// Winograd F(2x2, 3x3) for 3x3 stride-1 kernels with 16+ input channels (and at most
        /// 512 x 512 channel pairs), im2col + SGEMM otherwise.
        case automatic
        /// Always im2col + SGEMM (the direct sum; for comparisons).
        case im2col
    }
    public var algorithm: Algorithm = .automatic
    /// True when `algorithm` is `.automatic` and this convolution runs as Winograd F(2x2, 3x3).
    public var usesWinograd: Bool { algorithm == .automatic && winograd != nil }

    /// A convolution from a TensorFlow-layout (HWIO) kernel.
    public init(hwio kernel: [Float], kernelHeight: Int, kernelWidth: Int, inputChannels: Int, outputChannels: Int,
                bias: [Float]? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                activation: Activation = .identity, postAffine: ChannelAffine? = nil) {
        precondition(kernelHeight > 0 && kernelWidth > 0 && inputChannels > 0 && outputChannels > 0 &&
                     stride.0 > 0 && stride.1 > 0, "Conv2D: invalid geometry")
        precondition(kernel.count == kernelHeight * kernelWidth * inputChannels * outputChannels,
                     "Conv2D: \(kernel.count) weights for kernel \(kernelHeight)x\(kernelWidth)x\(inputChannels)x\(outputChannels)")
        precondition(bias == nil || bias!.count == outputChannels, "Conv2D: bias length")
        precondition(postAffine == nil || postAffine!.channels == outputChannels, "Conv2D: affine length")
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.inputChannels = inputChannels; self.outputChannels = outputChannels
        self.strideHeight = stride.0; self.strideWidth = stride.1
        self.padding = padding
        self.weights = kernel
        self.bias = bias ?? [Float](repeating: 0, count: outputChannels)
        self.activation = activation
        self.postAffine = postAffine
        self.winograd = nil
        self.winograd = Winograd3x3.applies(to: self)
            ? Winograd3x3(hwio: kernel, inputChannels: inputChannels, outputChannels: outputChannels) : nil
    }

    /// A convolution from a PyTorch-layout (OIHW) kernel, reordered once to HWIO.
    public init(oihw kernel: [Float], outputChannels: Int, inputChannels: Int, kernelHeight: Int, kernelWidth: Int,
                bias: [Float]? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                activation: Activation = .identity, postAffine: ChannelAffine? = nil) {
        precondition(kernel.count == kernelHeight * kernelWidth * inputChannels * outputChannels,
                     "Conv2D: \(kernel.count) weights for OIHW kernel \(outputChannels)x\(inputChannels)x\(kernelHeight)x\(kernelWidth)")
        var hwio = [Float](repeating: 0, count: kernel.count)
        for o in 0..<outputChannels {
            for i in 0..<inputChannels {
                for h in 0..<kernelHeight {
                    for w in 0..<kernelWidth {
                        hwio[((h * kernelWidth + w) * inputChannels + i) * outputChannels + o] =
                            kernel[((o * inputChannels + i) * kernelHeight + h) * kernelWidth + w]
                    }
                }
            }
        }
        self.init(hwio: hwio, kernelHeight: kernelHeight, kernelWidth: kernelWidth, inputChannels: inputChannels,
                  outputChannels: outputChannels, bias: bias, stride: stride, padding: padding,
                  activation: activation, postAffine: postAffine)
    }

    /// This convolution with a BatchNorm that directly follows it (no activation in between) folded
    /// into its weights and bias: exact up to float rounding.
    public func folding(_ norm: BatchNorm) -> Conv2D {
        precondition(activation == .identity && postAffine == nil,
                     "Conv2D.folding: a BatchNorm after an activation cannot be folded; use postAffine")
        precondition(norm.channels == outputChannels, "Conv2D.folding: \(norm.channels) channels, expected \(outputChannels)")
        let a = norm.affine
        var copy = self
        for k in 0..<(weights.count / outputChannels) {
            for o in 0..<outputChannels { copy.weights[k * outputChannels + o] *= a.scale[o] }
        }
        for o in 0..<outputChannels { copy.bias[o] = bias[o] * a.scale[o] + a.shift[o] }
        if winograd != nil {
            copy.winograd = Winograd3x3(hwio: copy.weights, inputChannels: inputChannels, outputChannels: outputChannels)
        }
        return copy
    }

    /// FLOPs (2 per multiply-add) for one input item of the given spatial size.
    public func flops(height: Int, width: Int) -> Double {
        let (oh, ow) = outputSize(height: height, width: width)
        return 2 * Double(oh * ow) * Double(kernelHeight * kernelWidth * inputChannels) * Double(outputChannels)
    }

    /// Output height and width for an input of the given size.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (padding.resolve(input: height, kernel: kernelHeight, stride: strideHeight, vertical: true).output,
         padding.resolve(input: width, kernel: kernelWidth, stride: strideWidth, vertical: false).output)
    }

    /// The convolution of an NHWC tensor: [N, H, W, inputChannels] -> [N, OH, OW, outputChannels].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let (n, oh, ow) = checkedGeometry(input)
        var output = Tensor(shape: [n, oh, ow, outputChannels], uninitialized: ())
        output.values.withUnsafeMutableBufferPointer { out in
            run(input, sink: .full(out.baseAddress!))
        }
        return output
    }

    /// The convolution followed by a maximum over the output width (musicnn's "pool over all
    /// frequencies"), fused so that the full feature map never exists:
    /// [N, H, W, inputChannels] -> [N, OH, outputChannels].
    public func maxOverWidth(_ input: Tensor) -> Tensor {
        let (n, oh, _) = checkedGeometry(input)
        var output = Tensor(shape: [n, oh, outputChannels], uninitialized: ())
        output.values.withUnsafeMutableBufferPointer { out in
            run(input, sink: .maxOverWidth(out.baseAddress!))
        }
        return output
    }

    private enum Sink {
        case full(UnsafeMutablePointer<Float>)
        case maxOverWidth(UnsafeMutablePointer<Float>)
    }

    private func checkedGeometry(_ input: Tensor) -> (Int, Int, Int) {
        precondition(input.rank == 4 && input.shape[3] == inputChannels,
                     "Conv2D: expected [N, H, W, \(inputChannels)], got \(input.shape)")
        let (oh, ow) = outputSize(height: input.shape[1], width: input.shape[2])
        return (input.shape[0], oh, ow)
    }

    private func run(_ input: Tensor, sink: Sink) {
        let n = input.shape[0], h = input.shape[1], w = input.shape[2], cin = inputChannels, cout = outputChannels
        let vertical = padding.resolve(input: h, kernel: kernelHeight, stride: strideHeight, vertical: true)
        let horizontal = padding.resolve(input: w, kernel: kernelWidth, stride: strideWidth, vertical: false)
        let oh = vertical.output, ow = horizontal.output
        let totalRows = n * oh
        guard totalRows > 0, ow > 0 else { return }
        let k = kernelHeight * kernelWidth * cin
        let tilePositions = min(4096, max(512, chunkFloats / max(1, k)))
        let rowsPerTile = max(1, min(totalRows, tilePositions / ow))
        if case .full(let out) = sink, algorithm == .automatic, let winograd {
            input.values.withUnsafeBufferPointer { x in
                winograd.run(x.baseAddress!, n: n, h: h, w: w, oh: oh, ow: ow, padTop: vertical.before,
                             padLeft: horizontal.before, into: out) { c, positions in
                    self.epilogue(c, positions: positions)
                }
            }
            return
        }
        let isPointwise = kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
            && vertical.before == 0 && horizontal.before == 0
        // A [kh, 1] kernel over one input channel (musicnn's temporal convolutions): an im2col row
        // would gather kh floats `w` apart, one at a time (measured ~20 % of the SGEMM rate).
        // Built transposed instead, row ky of the [k, positions] matrix is whole input rows copied
        // with memcpy, and the GEMM reads it as A^T.
        let isColumnKernel = !isPointwise && kernelWidth == 1 && cin == 1 && strideWidth == 1
            && horizontal.before == 0 && ow == w
        let workers = max(1, min(BLAS.threads, (totalRows + rowsPerTile - 1) / rowsPerTile))
        // Scratch is left uninitialised (every element is written before it is read): zero-filling
        // megabytes per layer call costs as much as a small layer's GEMM.
        let columnFloats = isPointwise ? 0 : workers * rowsPerTile * ow * k
        var scratchFloats = 0
        if case .maxOverWidth = sink { scratchFloats = workers * rowsPerTile * ow * cout }
        let colBase = UnsafeMutablePointer<Float>.allocate(capacity: max(1, columnFloats))
        let scratchBase = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratchFloats))
        defer { colBase.deallocate(); scratchBase.deallocate() }

        input.values.withUnsafeBufferPointer { xBuffer in
        weights.withUnsafeBufferPointer { wBuffer in
            let x = xBuffer.baseAddress!
            BLAS.forEachTile(count: totalRows, tile: rowsPerTile) { tile, worker in
                let m = tile.count * ow
                let firstPosition = tile.lowerBound * ow
                let a: UnsafePointer<Float>
                var transposeA = false
                if isPointwise {
                    a = x + firstPosition * cin
                } else if isColumnKernel {
                    let cols = colBase + worker * rowsPerTile * ow * k
                    for ky in 0..<self.kernelHeight {
                        for r in 0..<tile.count {
                            let row = tile.lowerBound + r
                            let iy = (row % oh) * self.strideHeight - vertical.before + ky
                            let dst = cols + ky * m + r * ow
                            if iy < 0 || iy >= h {
                                dst.update(repeating: 0, count: ow)
                            } else {
                                dst.update(from: x + ((row / oh) * h + iy) * w, count: ow)
                            }
                        }
                    }
                    a = UnsafePointer(cols)
                    transposeA = true
                } else {
                    let cols = colBase + worker * rowsPerTile * ow * k
                    for p in 0..<m {
                        let position = firstPosition + p
                        self.im2col(x, row: position / ow, ox: position % ow, oh: oh, h: h, w: w,
                                    padTop: vertical.before, padLeft: horizontal.before, into: cols + p * k)
                    }
                    a = UnsafePointer(cols)
                }
                let c: UnsafeMutablePointer<Float>
                switch sink {
                case .full(let out): c = out + firstPosition * cout
                case .maxOverWidth: c = scratchBase + worker * rowsPerTile * ow * cout
                }
                BLAS.sgemm(m: m, n: cout, k: k, a: a, lda: transposeA ? m : k, transposeA: transposeA,
                           b: wBuffer.baseAddress!, ldb: cout, c: c, ldc: cout)
                switch sink {
                case .full:
                    self.epilogue(c, positions: m)
                case .maxOverWidth(let out):
                    // Row by row, so that the maximum reads the epilogue's output while in cache.
                    for r in 0..<tile.count {
                        let dst = out + (tile.lowerBound + r) * cout
                        let src = c + r * ow * cout
                        self.epilogue(src, positions: ow)
                        for o in 0..<cout { dst[o] = src[o] }
                        for p in 1..<max(1, ow) {
                            let s = src + p * cout
                            for o in 0..<cout { dst[o] = s[o] > dst[o] ? s[o] : dst[o] }
                        }
                    }
                }
            }
        }}
    }

    /// Writes the im2col row (k values) of output position (row = n * oh + y, ox).
    @inline(__always)
    private func im2col(_ x: UnsafePointer<Float>, row: Int, ox: Int, oh: Int, h: Int, w: Int,
                        padTop: Int, padLeft: Int, into dst: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, kw = kernelWidth
        let item = row / oh, y = row % oh
        let base = x + item * h * w * cin
        var d = dst
        let ix0 = ox * strideWidth - padLeft
        let lo = max(0, -ix0), hi = min(kw, w - ix0)  // kernel columns inside the input
        for ky in 0..<kernelHeight {
            let iy = y * strideHeight - padTop + ky
            if iy < 0 || iy >= h || hi <= lo {
                d.update(repeating: 0, count: kw * cin)
            } else {
                if lo > 0 { d.update(repeating: 0, count: lo * cin) }
                (d + lo * cin).update(from: base + (iy * w + ix0 + lo) * cin, count: (hi - lo) * cin)
                if hi < kw { (d + hi * cin).update(repeating: 0, count: (kw - hi) * cin) }
            }
            d += kw * cin
        }
    }

    @inline(__always)
    private func epilogue(_ c: UnsafeMutablePointer<Float>, positions: Int) {
        applyEpilogue(c, positions: positions, channels: outputChannels, bias: bias, activation: activation,
                      postAffine: postAffine)
    }
}

extension Tensor {
    /// A tensor whose values the caller overwrites entirely before reading any (no zero fill:
    /// for a layer's output that is a pass over megabytes saved).
    init(shape: [Int], uninitialized: ()) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, values: [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count })
    }
}

/// bias + activation + optional affine, in place over [positions, channels].
func applyEpilogue(_ c: UnsafeMutablePointer<Float>, positions: Int, channels: Int, bias: [Float],
                   activation: Activation, postAffine: ChannelAffine?) {
    bias.withUnsafeBufferPointer { b in
        var row = c
        switch activation {
        case .identity:
            for _ in 0..<positions { for o in 0..<channels { row[o] += b[o] }; row += channels }
        case .relu:
            for _ in 0..<positions { for o in 0..<channels { row[o] = max(row[o] + b[o], 0) }; row += channels }
        case .sigmoid:
            for _ in 0..<positions {
                for o in 0..<channels { row[o] = 1 / (1 + expf(-(row[o] + b[o]))) }
                row += channels
            }
        }
    }
    if let affine = postAffine {
        affine.scale.withUnsafeBufferPointer { s in
            affine.shift.withUnsafeBufferPointer { t in
                var row = c
                for _ in 0..<positions { for o in 0..<channels { row[o] = row[o] * s[o] + t[o] }; row += channels }
            }
        }
    }
}
