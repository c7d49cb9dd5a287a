/// Winograd's minimal filtering F(2, 7) along the height of stride-1 [7, kw] kernels (Lavin & Gray
/// 2015): each pair of output rows comes from 8 input rows through 8 products per kernel column and
/// input channel instead of 14, as 8 GEMMs [positions, kw * cin] x [kw * cin, cout], 1.75x fewer
/// multiply-adds than im2col. musicnn spends ~90 % of its multiplications in two such layers (its
/// timbral [7, 38] and [7, 67] filters over the single log-mel channel); its [7, 1] mid-end
/// convolutions over 561 and 64 channels are the same shape of problem.
///
/// With the tile's input rows d0...d7 along the height and the kernel's rows g0...g6:
///
///     y = A^T [(G g) ⊙ (B^T d)]
///
/// for the interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity (F(6, 3)'s points; the
/// transpose of Toom-Cook's linear convolution, B^T the inverse-transposed Vandermonde matrix).
/// Rows of B^T and G are rescaled by powers of two (exact) so that B^T's entries stay within
/// ±5.25. Only the kernel transform G divides; it is done once, in Double.
///
/// Rounding differs from the direct sum: on musicnn's released timbral kernels over unit normal
/// input the largest error is 8.9e-7 of the largest output against 6.2e-7 for direct float32
/// im2col (both against float64), and the musicnn parity tests (1e-4) pass unchanged.
///
/// Results do not depend on the worker count: chunks are cut from the shapes alone.
struct Winograd7Rows: Sendable {
    let kernelWidth: Int
    let inputChannels: Int
    let outputChannels: Int
    /// [8, kw * cin, cout]: (G g) for every kernel column and input channel, the GEMM's B matrix
    /// of each of the 8 transform points.
    let transformed: [Float]

    /// Whether `conv` is a convolution this kernel computes and worth it: height 7, stride 1, and
    /// GEMMs with K = kw * cin >= 16 (fewer and the 8 small GEMMs lose to one im2col GEMM). Zero
    /// padding along the width is not supported (the caller checks the resolved padding).
    static func applies(to conv: Conv2D) -> Bool {
        conv.kernelHeight == 7 && conv.strideHeight == 1 && conv.strideWidth == 1
            && conv.kernelWidth * conv.inputChannels >= 16
    }

    /// G's rows: G[p][k] = scale[p] * point[p]^k for the finite points, and the last row picks g6.
    private static let points: [Double] = [0, 1, -1, 2, -2, 0.5, -0.5]
    private static let scales: [Double] = [1, 2.0 / 9, 2.0 / 9, 1.0 / 180, 1.0 / 180, 32.0 / 45, 32.0 / 45]

    /// Transforms an HWIO kernel [7, kw, cin, cout] (in Double, rounded once to Float).
    init(hwio kernel: [Float], kernelWidth kw: Int, inputChannels cin: Int, outputChannels cout: Int) {
        precondition(kernel.count == 7 * kw * cin * cout, "Winograd7Rows: kernel size")
        kernelWidth = kw
        inputChannels = cin
        outputChannels = cout
        let plane = kw * cin * cout
        var u = [Float](repeating: 0, count: 8 * plane)
        for e in 0..<plane {
            for p in 0..<7 {
                var s = 0.0, power = 1.0
                for k in 0..<7 {
                    s += power * Double(kernel[k * plane + e])
                    power *= Self.points[p]
                }
                u[p * plane + e] = Float(Self.scales[p] * s)
            }
            u[7 * plane + e] = kernel[6 * plane + e]
        }
        transformed = u
    }

    /// Output positions per GEMM (rounded down to whole tile rows, at least one): the 8 product
    /// planes of a chunk stay in L2 with musicnn's 204 output channels. Measured on musicnn's
    /// layers by CPU time (`fad-bench conv3x3`), 64-128 beat 256-2048 by 5-25 %.
    static let positionsPerChunk = 128

    /// The convolution of NHWC `x` [n, h, w, cin] (stride 1, `padTop` zero rows before, none along
    /// the width: ow = w - kw + 1), chunk by chunk: each chunk's whole output rows are written
    /// contiguously, then `finish(rows, firstRow, rowCount)` runs over them (`firstRow` indexes the
    /// n * oh output rows). With `out` ([n, oh, ow, cout]) the rows are written in place; without,
    /// into per-worker scratch that `finish` must consume (a fused pooling).
    func run(_ x: UnsafePointer<Float>, n: Int, h: Int, w: Int, oh: Int, ow: Int, padTop: Int,
             into out: UnsafeMutablePointer<Float>?,
             finish: (UnsafeMutablePointer<Float>, _ firstRow: Int, _ rowCount: Int) -> Void) {
        let cin = inputChannels, cout = outputChannels, kw = kernelWidth
        precondition(ow == w - kw + 1, "Winograd7Rows: the width must be unpadded")
        let k = kw * cin, rowFloats = w * cin
        let tilesHigh = (oh + 1) / 2
        let tileRows = n * tilesHigh
        guard tileRows > 0, ow > 0 else { return }
        let rowsPerChunk = max(1, min(tileRows, Self.positionsPerChunk / ow))
        let maxPositions = rowsPerChunk * ow
        // A whole-width kernel (ow == 1) reads the transformed rows in place; otherwise each
        // plane's overlapping windows are copied out (im2col along the width, 1/cout of the GEMM).
        let copiesWindows = ow > 1
        let vStride = winogradPlaneStride(rowsPerChunk * rowFloats)
        let mStride = winogradPlaneStride(maxPositions * cout)
        let aFloats = copiesWindows ? (maxPositions * k + 15) / 16 * 16 + 16 : 0
        let outFloats = out == nil ? (2 * maxPositions * cout + 15) / 16 * 16 + 16 : 0
        let perWorker = 8 * (vStride + mStride) + aFloats + outFloats
        let workers = max(1, min(BLAS.threads, (tileRows + rowsPerChunk - 1) / rowsPerChunk))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * perWorker)
        defer { scratch.deallocate() }
        let zeros = UnsafeMutablePointer<Float>.allocate(capacity: rowFloats)
        zeros.initialize(repeating: 0, count: rowFloats)
        defer { zeros.deallocate() }
        transformed.withUnsafeBufferPointer { uBuffer in
            let u = uBuffer.baseAddress!
            BLAS.forEachTile(count: tileRows, tile: rowsPerChunk) { chunk, worker in
                let v = scratch + worker * perWorker
                let m = v + 8 * vStride
                let a = m + 8 * mStride
                // Input transform: V[p][tile] = (B^T d)[p], whole input rows at a time.
                for r in chunk {
                    let item = r / tilesHigh, ty = r % tilesHigh
                    let image = x + item * h * rowFloats
                    func row(_ i: Int) -> UnsafePointer<Float> {
                        let y = 2 * ty - padTop + i
                        return y >= 0 && y < h ? image + y * rowFloats : UnsafePointer(zeros)
                    }
                    Self.transformInput(row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7),
                                        into: v + (r - chunk.lowerBound) * rowFloats, stride: vStride, count: rowFloats)
                }
                let positions = chunk.count * ow
                for p in 0..<8 {
                    let plane = v + p * vStride
                    if copiesWindows {
                        for t in 0..<chunk.count {
                            for ox in 0..<ow {
                                (a + (t * ow + ox) * k).update(from: plane + t * rowFloats + ox * cin, count: k)
                            }
                        }
                    }
                    BLAS.sgemm(m: positions, n: cout, k: k, a: copiesWindows ? a : plane, lda: copiesWindows ? k : rowFloats,
                               b: u + p * k * cout, ldb: cout, c: m + p * mStride, ldc: cout)
                }
                // The chunk's tile rows cover whole output rows, consecutive in memory.
                let (first, end) = winogradOutputRows(of: chunk, tilesHigh: tilesHigh, outputHeight: oh)
                let rows = out.map { $0 + first * ow * cout } ?? a + aFloats
                // Output transform: rows 2 ty and 2 ty + 1 (the second only inside the output).
                let rowOutputs = ow * cout
                for r in chunk {
                    let item = r / tilesHigh, ty = r % tilesHigh
                    let y0 = rows + (item * oh + 2 * ty - first) * rowOutputs
                    Self.transformOutput(m + (r - chunk.lowerBound) * rowOutputs, stride: mStride, count: rowOutputs,
                                         y0: y0, y1: 2 * ty + 1 < oh ? y0 + rowOutputs : nil)
                }
                finish(rows, first, end - first)
            }
        }
    }

    /// B^T d for `count` floats of 8 input rows: element e of plane p goes to v[p * stride + e].
    ///
    ///     p0 = d0 - d6 + 5.25 (d4 - d2)         p7 = d7 - d1 + 5.25 (d3 - d5)
    ///     p1, p2 = E1 ± O1: E1 = 4.25 d4 - d2 - d6,     O1 = 4.25 d3 - d1 - d5
    ///     p3, p4 = E3 ± O3: E3 = 0.5 d2 - 2.5 d4 + 2 d6, O3 = d1 - 5 d3 + 4 d5
    ///     p5, p6 = E5 ± O5: E5 = 4 d2 - 5 d4 + d6,       O5 = 2 d1 - 2.5 d3 + 0.5 d5
    @inline(__always)
    private static func transformInput(
        _ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, _ d2: UnsafePointer<Float>, _ d3: UnsafePointer<Float>,
        _ d4: UnsafePointer<Float>, _ d5: UnsafePointer<Float>, _ d6: UnsafePointer<Float>, _ d7: UnsafePointer<Float>,
        into v: UnsafeMutablePointer<Float>, stride s: Int, count: Int
    ) {
        // SIMD4 with the same operations per lane as the scalar remainder (the compiler does not
        // vectorise the scalar form across 16 pointers), so the bits do not depend on alignment.
        @inline(__always)
        func combine(_ x0: F4, _ x1: F4, _ x2: F4, _ x3: F4, _ x4: F4, _ x5: F4, _ x6: F4, _ x7: F4)
            -> (F4, F4, F4, F4, F4, F4, F4, F4) {
            let e1 = 4.25 * x4 - x2 - x6, o1 = 4.25 * x3 - x1 - x5
            let e3 = 0.5 * x2 - 2.5 * x4 + 2 * x6, o3 = x1 - 5 * x3 + 4 * x5
            let e5 = 4 * x2 - 5 * x4 + x6, o5 = 2 * x1 - 2.5 * x3 + 0.5 * x5
            return (x0 - x6 + 5.25 * (x4 - x2), e1 + o1, e1 - o1, e3 + o3, e3 - o3, e5 + o5, e5 - o5,
                    x7 - x1 + 5.25 * (x3 - x5))
        }
        let vectorised = count & ~3
        for e in Swift.stride(from: 0, to: vectorised, by: 4) {
            let r = combine(load4(d0, e), load4(d1, e), load4(d2, e), load4(d3, e),
                            load4(d4, e), load4(d5, e), load4(d6, e), load4(d7, e))
            store4(r.0, v, e); store4(r.1, v + s, e); store4(r.2, v + 2 * s, e); store4(r.3, v + 3 * s, e)
            store4(r.4, v + 4 * s, e); store4(r.5, v + 5 * s, e); store4(r.6, v + 6 * s, e); store4(r.7, v + 7 * s, e)
        }
        for e in vectorised..<count {
            let r = combine(F4(repeating: d0[e]), F4(repeating: d1[e]), F4(repeating: d2[e]),
                            F4(repeating: d3[e]), F4(repeating: d4[e]), F4(repeating: d5[e]),
                            F4(repeating: d6[e]), F4(repeating: d7[e]))
            v[e] = r.0[0]; v[s + e] = r.1[0]; v[2 * s + e] = r.2[0]; v[3 * s + e] = r.3[0]
            v[4 * s + e] = r.4[0]; v[5 * s + e] = r.5[0]; v[6 * s + e] = r.6[0]; v[7 * s + e] = r.7[0]
        }
    }

    /// A^T M for `count` floats of the 8 product planes (A^T = [[1, 1, 1, 1, 1, 1, 1, 0],
    /// [0, 1, -1, 2, -2, 0.5, -0.5, 1]]); `y1` nil past the output's last row.
    @inline(__always)
    private static func transformOutput(_ m: UnsafePointer<Float>, stride s: Int, count: Int,
                                        y0: UnsafeMutablePointer<Float>, y1: UnsafeMutablePointer<Float>?) {
        @inline(__always)
        func combine(_ m0: F4, _ m1: F4, _ m2: F4, _ m3: F4, _ m4: F4, _ m5: F4, _ m6: F4, _ m7: F4) -> (F4, F4) {
            ((m0 + (m1 + m2)) + ((m3 + m4) + (m5 + m6)),
             ((m1 - m2) + 2 * (m3 - m4)) + (0.5 * (m5 - m6) + m7))
        }
        let vectorised = count & ~3
        for e in Swift.stride(from: 0, to: vectorised, by: 4) {
            let r = combine(load4(m, e), load4(m + s, e), load4(m + 2 * s, e), load4(m + 3 * s, e),
                            load4(m + 4 * s, e), load4(m + 5 * s, e), load4(m + 6 * s, e), load4(m + 7 * s, e))
            store4(r.0, y0, e)
            if let y1 { store4(r.1, y1, e) }
        }
        for e in vectorised..<count {
            let r = combine(F4(repeating: m[e]), F4(repeating: m[s + e]), F4(repeating: m[2 * s + e]),
                            F4(repeating: m[3 * s + e]), F4(repeating: m[4 * s + e]),
                            F4(repeating: m[5 * s + e]), F4(repeating: m[6 * s + e]),
                            F4(repeating: m[7 * s + e]))
            y0[e] = r.0[0]
            if let y1 { y1[e] = r.1[0] }
        }
    }
}

private typealias F4 = SIMD4<Float>
