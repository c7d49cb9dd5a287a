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
/// or, for 3x3 stride-1 kernels over 16+ channels, as Winograd F(2x2, 3x3) (`Winograd3x3`), and
/// for stride-1 [7, kw] kernels unpadded along the width, as Winograd F(2, 7) along the height
/// (`Winograd7Rows`), with the same epilogue.
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
    /// The F(2, 7)-transformed kernel, for the stride-1 [7, kw] convolutions it speeds up.
    private var winogradRows: Winograd7Rows?

    /// How the convolution is computed.
    public enum Algorithm: Sendable, Hashable {
        /// Winograd F(2x2, 3x3) for 3x3 stride-1 kernels with 16+ input channels (and at most
        /// 512 x 512 channel pairs), Winograd F(2, 7) along the height for stride-1 [7, kw]
        /// kernels with kw * cin >= 16 and no padding along the width, im2col + SGEMM otherwise.
        case automatic
        /// Always im2col + SGEMM (the direct sum; for comparisons).
        case im2col
    }
    public var algorithm: Algorithm = .automatic
    /// True when `algorithm` is `.automatic` and this convolution runs as Winograd F(2x2, 3x3) or
    /// (for inputs it does not pad along the width) F(2, 7).
    public var usesWinograd: Bool { uses3x3Winograd || (algorithm == .automatic && winogradRows != nil) }
    private var uses3x3Winograd: Bool { algorithm == .automatic && winograd != nil }

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
        self.winogradRows = nil
        self.winograd = Winograd3x3.applies(to: self)
            ? Winograd3x3(hwio: kernel, inputChannels: inputChannels, outputChannels: outputChannels) : nil
        self.winogradRows = Winograd7Rows.applies(to: self)
            ? Winograd7Rows(hwio: kernel, kernelWidth: kernelWidth, inputChannels: inputChannels,
                            outputChannels: outputChannels) : nil
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
        if winogradRows != nil {
            copy.winogradRows = Winograd7Rows(hwio: copy.weights, kernelWidth: kernelWidth, inputChannels: inputChannels,
                                              outputChannels: outputChannels)
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

    /// The convolution followed by a 'valid' max pool (`Pool2D.max(self(input), window:, stride:)`),
    /// fused: [N, H, W, inputChannels] -> [N, PH, PW, outputChannels].
    ///
    /// The convolution's full output is never stored (a 187 x 96 x 128 float map per window is
    /// 9 MiB; a batch of them is page faults and cache misses, not arithmetic); it is computed a
    /// few pooled rows at a time into scratch that stays in cache, and only at the positions some
    /// pool window reads (a [4, 1] window with stride [2, 2] reads every other column: half the
    /// work). Im2col tiles are whole pooled rows of one item (rows shared by two tiles' windows
    /// are computed by both); Winograd chunks pool their own rows when window and stride are both
    /// 2 x 2 (each 2 x 2 output tile is then one window). Tiles depend on the shapes only, so the
    /// results do not depend on the worker count. Values equal the unfused composition up to the
    /// SGEMM's rounding (the GEMM shapes differ), and the max visits each window in `Pool2D`'s order.
    public func maxPooled(_ input: Tensor, window: (Int, Int), stride: (Int, Int)) -> Tensor {
        precondition(window.0 > 0 && window.1 > 0 && stride.0 > 0 && stride.1 > 0, "Conv2D.maxPooled: invalid geometry")
        let (n, oh, ow) = checkedGeometry(input)
        let ph = oh >= window.0 ? (oh - window.0) / stride.0 + 1 : 0
        let pw = ow >= window.1 ? (ow - window.1) / stride.1 + 1 : 0
        if uses3x3Winograd && !(window == (2, 2) && stride == (2, 2)) {
            return Pool2D.max(self(input), window: window, stride: stride)
        }
        var output = Tensor(shape: [n, ph, pw, outputChannels], uninitialized: ())
        guard n > 0, ph > 0, pw > 0 else { return output }
        let cout = outputChannels
        output.values.withUnsafeMutableBufferPointer { outBuffer in
            let out = outBuffer.baseAddress!
            /// Max of the window at (pooled row, pooled column) whose top-left conv output is `first`
            /// in rows of `rowStride` floats, written to `dst`; `Pool2D`'s visiting order.
            @inline(__always)
            func pool(_ first: UnsafePointer<Float>, columnStep: Int, rowStride: Int, into dst: UnsafeMutablePointer<Float>) {
                dst.update(from: first, count: cout)
                for dy in 0..<window.0 {
                    for dx in 0..<window.1 where dy != 0 || dx != 0 {
                        let src = first + dy * rowStride + dx * columnStep
                        for o in 0..<cout { dst[o] = src[o] > dst[o] ? src[o] : dst[o] }
                    }
                }
            }
            if uses3x3Winograd, let winograd {
                let h = input.shape[1], w = input.shape[2]
                let padTop = padding.resolve(input: h, kernel: 3, stride: 1, vertical: true).before
                let padLeft = padding.resolve(input: w, kernel: 3, stride: 1, vertical: false).before
                input.values.withUnsafeBufferPointer { x in
                    winograd.run(x.baseAddress!, n: n, h: h, w: w, oh: oh, ow: ow, padTop: padTop, padLeft: padLeft,
                                 into: nil) { rows, firstRow, rowCount in
                        self.epilogue(rows, positions: rowCount * ow)
                        // Chunks start at even rows of an item: pairs (2 py, 2 py + 1) are whole.
                        var r = 0
                        while r + 1 < rowCount {
                            let item = (firstRow + r) / oh, y = (firstRow + r) % oh
                            if y + 1 < oh, y / 2 < ph {
                                let src = rows + r * ow * cout
                                let dst = out + (item * ph + y / 2) * pw * cout
                                for px in 0..<pw {
                                    pool(src + 2 * px * cout, columnStep: cout, rowStride: ow * cout, into: dst + px * cout)
                                }
                                r += 2
                            } else {
                                r += 1
                            }
                        }
                    }
                }
            } else {
                runPooled(input, window: window, stride: stride, pooledHeight: ph, pooledWidth: pw, into: out, pool: pool)
            }
        }
        return output
    }

    /// The im2col path of `maxPooled`.
    private func runPooled(_ input: Tensor, window: (Int, Int), stride: (Int, Int), pooledHeight ph: Int, pooledWidth pw: Int,
                           into out: UnsafeMutablePointer<Float>,
                           pool: (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let n = input.shape[0], h = input.shape[1], w = input.shape[2], cout = outputChannels
        let vertical = padding.resolve(input: h, kernel: kernelHeight, stride: strideHeight, vertical: true)
        let horizontal = padding.resolve(input: w, kernel: kernelWidth, stride: strideWidth, vertical: false)
        let oh = vertical.output
        // The conv output columns some window reads, and where each sits among them.
        var slot = [Int](repeating: -1, count: horizontal.output)
        var columns: [Int] = []
        for x in 0..<horizontal.output where (0..<pw).contains(where: { x >= $0 * stride.1 && x < $0 * stride.1 + window.1 }) {
            slot[x] = columns.count
            columns.append(x)
        }
        let k = kernelHeight * kernelWidth * inputChannels
        // About 1024 conv positions per tile (512 KiB of output for 128 channels: the GEMM's C,
        // epilogue and max all stay in L2).
        let targetRows = max(window.0, (1 << 17) / max(1, cout) / columns.count)
        let pooledPerTile = max(1, min(ph, (targetRows - window.0) / stride.0 + 1))
        let tilesPerItem = (ph + pooledPerTile - 1) / pooledPerTile
        let maxRows = (pooledPerTile - 1) * stride.0 + window.0
        let maxPositions = maxRows * columns.count
        let workers = max(1, min(BLAS.threads, n * tilesPerItem))
        let colBase = UnsafeMutablePointer<Float>.allocate(capacity: workers * maxPositions * k)
        let cBase = UnsafeMutablePointer<Float>.allocate(capacity: workers * maxPositions * cout)
        defer { colBase.deallocate(); cBase.deallocate() }
        input.values.withUnsafeBufferPointer { xBuffer in
        weights.withUnsafeBufferPointer { wBuffer in
            let x = xBuffer.baseAddress!
            BLAS.forEachTile(count: n * tilesPerItem, tile: 1) { tile, worker in
                let item = tile.lowerBound / tilesPerItem
                let p0 = tile.lowerBound % tilesPerItem * pooledPerTile, p1 = min(ph, p0 + pooledPerTile)
                let y0 = p0 * stride.0, y1 = (p1 - 1) * stride.0 + window.0
                let m = (y1 - y0) * columns.count
                let cols = colBase + worker * maxPositions * k
                let c = cBase + worker * maxPositions * cout
                var p = 0
                for y in y0..<y1 {
                    for ox in columns {
                        self.im2col(x, row: item * oh + y, ox: ox, oh: oh, h: h, w: w, padTop: vertical.before,
                                    padLeft: horizontal.before, into: cols + p * k)
                        p += 1
                    }
                }
                BLAS.sgemm(m: m, n: cout, k: k, a: cols, lda: k, b: wBuffer.baseAddress!, ldb: cout, c: c, ldc: cout)
                self.epilogue(c, positions: m)
                // A window's columns are consecutive conv columns, hence consecutive slots.
                for py in p0..<p1 {
                    for px in 0..<pw {
                        let first = c + ((py * stride.0 - y0) * columns.count + slot[px * stride.1]) * cout
                        pool(first, cout, columns.count * cout, out + ((item * ph + py) * pw + px) * cout)
                    }
                }
            }
        }}
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
                             padLeft: horizontal.before, into: out) { c, _, rows in
                    self.epilogue(c, positions: rows * ow)
                }
            }
            return
        }
        if algorithm == .automatic, let winogradRows, horizontal.before == 0, horizontal.after == 0 {
            var fullOutput: UnsafeMutablePointer<Float>?
            if case .full(let out) = sink { fullOutput = out }
            input.values.withUnsafeBufferPointer { x in
                winogradRows.run(x.baseAddress!, n: n, h: h, w: w, oh: oh, ow: ow, padTop: vertical.before,
                                 into: fullOutput) { c, first, rows in
                    switch sink {
                    case .full: self.epilogue(c, positions: rows * ow)
                    case .maxOverWidth(let out): self.finishMaxOverWidth(c, rows: rows, width: ow, into: out + first * cout)
                    }
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
                    self.finishMaxOverWidth(c, rows: tile.count, width: ow, into: out + tile.lowerBound * cout)
                }
            }
        }}
    }

    /// The epilogue over `rows` conv output rows [rows, width, cout] and each row's maximum over
    /// the width into `out` [rows, cout]; row by row, so that the maximum reads the epilogue's
    /// output while in cache.
    @inline(__always)
    private func finishMaxOverWidth(_ c: UnsafeMutablePointer<Float>, rows: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
        let cout = outputChannels
        for r in 0..<rows {
            let dst = out + r * cout
            let src = c + r * width * cout
            epilogue(src, positions: width)
            for o in 0..<cout { dst[o] = src[o] }
            for p in 1..<max(1, width) {
                let s = src + p * cout
                for o in 0..<cout { dst[o] = s[o] > dst[o] ? s[o] : dst[o] }
            }
        }
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
