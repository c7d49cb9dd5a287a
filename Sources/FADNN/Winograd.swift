/// Winograd's minimal filtering F(2x2, 3x3) for stride-1 3x3 convolutions (Lavin & Gray 2015,
/// "Fast Algorithms for Convolutional Neural Networks"): each 2x2 block of outputs comes from a
/// 4x4 block of input through 16 products per (input, output) channel pair instead of 36, as
/// 16 GEMMs [tiles, cin] x [cin, cout], 2.25x fewer multiply-adds than im2col, and the
/// transformed input is 16 floats per 4 outputs and channel instead of im2col's 36.
///
/// Rounding differs from the direct sum (the input transform adds and subtracts neighbours, the
/// output transform sums 9 products' worth of partial results): measured on VGGish, CNN14 and
/// musicnn-VGG against their reference fixtures it stays ~1e-6 relative, the same order as
/// direct float32 and 100x inside the parity tolerances. F(4x4, 3x3) would save more products but
/// its transform coefficients (up to 8 and 1/24) amplify rounding by ~10x; not used.
///
/// Results do not depend on the worker count: the tiles are cut from the shapes alone, and every
/// tile is computed the same way whichever worker runs it.
struct Winograd3x3: Sendable {
    let inputChannels: Int
    let outputChannels: Int
    /// [16, cin, cout]: G g G^T of each 3x3 kernel slice, ordered (xi, nu) row-major, then the
    /// GEMM's B matrix [cin, cout] for that transform element.
    let transformed: [Float]

    /// Largest cin * cout given a transformed copy: it takes 16/9 of the kernel's memory on top
    /// of the HWIO weights (kept for the im2col path), too much for CNN14's 1024 and 2048 blocks,
    /// whose small late feature maps gain little anyway.
    static let maximumChannelProduct = 512 * 512

    /// Whether `conv` is a convolution this kernel computes, and worth it (a single input channel
    /// makes 16 GEMMs with K = 1: im2col's one K = 9 GEMM is faster).
    static func applies(to conv: Conv2D) -> Bool {
        conv.kernelHeight == 3 && conv.kernelWidth == 3 && conv.strideHeight == 1 && conv.strideWidth == 1
            && conv.inputChannels >= 16 && conv.inputChannels * conv.outputChannels <= maximumChannelProduct
    }

    /// Transforms an HWIO kernel [3, 3, cin, cout] (in Double, rounded once to Float).
    init(hwio kernel: [Float], inputChannels cin: Int, outputChannels cout: Int) {
        precondition(kernel.count == 9 * cin * cout, "Winograd3x3: kernel size")
        inputChannels = cin
        outputChannels = cout
        let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        var u = [Float](repeating: 0, count: 16 * cin * cout)
        let plane = cin * cout
        for i in 0..<cin {
            for o in 0..<cout {
                // w[h][x] of this (i, o) pair.
                var w = [[Double]](repeating: [0, 0, 0], count: 3)
                for h in 0..<3 { for x in 0..<3 { w[h][x] = Double(kernel[((h * 3 + x) * cin + i) * cout + o]) } }
                for xi in 0..<4 {
                    for nu in 0..<4 {
                        var s = 0.0
                        for h in 0..<3 { for x in 0..<3 { s += g[xi][h] * w[h][x] * g[nu][x] } }
                        u[(xi * 4 + nu) * plane + i * cout + o] = Float(s)
                    }
                }
            }
        }
        transformed = u
    }

    /// Tiles (2x2 output blocks) per GEMM chunk: the transformed input and output of a chunk
    /// take about 4 MiB, with at least 64 rows per GEMM.
    static func tilesPerChunk(inputChannels cin: Int, outputChannels cout: Int) -> Int {
        min(512, max(64, (1 << 20) / (16 * (cin + cout))))
    }

    /// The convolution of NHWC `x` [n, h, w, cin] (stride 1, kernel 3, `padTop`/`padLeft` zeros
    /// before), chunk by chunk: each chunk's whole output rows are written contiguously, then
    /// `finish(rows, firstRow, rowCount)` runs over them (`firstRow` indexes the n * oh output rows;
    /// a chunk starts at an even row of an item). With `out` ([n, oh, ow, cout]) the rows are
    /// written in place; without, into a per-worker scratch that `finish` must consume (a fused
    /// pooling: the full feature map never exists, and the rows are read back while in cache).
    func run(_ x: UnsafePointer<Float>, n: Int, h: Int, w: Int, oh: Int, ow: Int, padTop: Int, padLeft: Int,
             into out: UnsafeMutablePointer<Float>?,
             finish: (UnsafeMutablePointer<Float>, _ firstRow: Int, _ rowCount: Int) -> Void) {
        let cin = inputChannels, cout = outputChannels
        let tilesHigh = (oh + 1) / 2, tilesWide = (ow + 1) / 2
        let tileRows = n * tilesHigh
        guard tileRows > 0, tilesWide > 0 else { return }
        let rowsPerChunk = max(1, min(tileRows, Self.tilesPerChunk(inputChannels: cin, outputChannels: cout) / tilesWide))
        let maxTiles = rowsPerChunk * tilesWide
        let workers = max(1, min(BLAS.threads, (tileRows + rowsPerChunk - 1) / rowsPerChunk))
        let vStride = winogradPlaneStride(maxTiles * cin)
        let mStride = winogradPlaneStride(maxTiles * cout)
        let rowFloats = out == nil ? (2 * rowsPerChunk * ow * cout + 15) / 16 * 16 + 16 : 0
        let perWorker = 16 * (vStride + mStride) + rowFloats
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * perWorker)
        defer { scratch.deallocate() }
        let zeros = UnsafeMutablePointer<Float>.allocate(capacity: cin)
        zeros.initialize(repeating: 0, count: cin)
        defer { zeros.deallocate() }
        transformed.withUnsafeBufferPointer { uBuffer in
            let u = uBuffer.baseAddress!
            BLAS.forEachTile(count: tileRows, tile: rowsPerChunk) { chunk, worker in
                let tiles = chunk.count * tilesWide
                let v = scratch + worker * perWorker
                let m = v + 16 * vStride
                // Input transform: V[xi * 4 + nu][tile][c] = (B^T d B)[xi][nu].
                for r in chunk {
                    let item = r / tilesHigh, ty = r % tilesHigh
                    let image = x + item * h * w * cin
                    for tx in 0..<tilesWide {
                        let t = (r - chunk.lowerBound) * tilesWide + tx
                        let y0 = 2 * ty - padTop, x0 = 2 * tx - padLeft
                        func at(_ dy: Int, _ dx: Int) -> UnsafePointer<Float> {
                            let yy = y0 + dy, xx = x0 + dx
                            return yy >= 0 && yy < h && xx >= 0 && xx < w ? image + (yy * w + xx) * cin : UnsafePointer(zeros)
                        }
                        Self.transformInput(at(0, 0), at(0, 1), at(0, 2), at(0, 3), at(1, 0), at(1, 1), at(1, 2), at(1, 3),
                                            at(2, 0), at(2, 1), at(2, 2), at(2, 3), at(3, 0), at(3, 1), at(3, 2), at(3, 3),
                                            into: v + t * cin, stride: vStride, channels: cin)
                    }
                }
                for e in 0..<16 {
                    BLAS.sgemm(m: tiles, n: cout, k: cin, a: v + e * vStride, lda: cin,
                               b: u + e * cin * cout, ldb: cout, c: m + e * mStride, ldc: cout)
                }
                // The chunk's tile rows cover whole output rows, consecutive in memory.
                let (first, end) = winogradOutputRows(of: chunk, tilesHigh: tilesHigh, outputHeight: oh)
                let rows = out.map { $0 + first * ow * cout } ?? m + 16 * mStride
                // Output transform: Y = A^T M A, clipped to the output's edges.
                for r in chunk {
                    let item = r / tilesHigh, ty = r % tilesHigh
                    let rowsHere = min(2, oh - 2 * ty)
                    for tx in 0..<tilesWide {
                        let t = (r - chunk.lowerBound) * tilesWide + tx
                        let columnsHere = min(2, ow - 2 * tx)
                        let y00 = rows + ((item * oh + 2 * ty - first) * ow + 2 * tx) * cout
                        Self.transformOutput(m + t * cout, stride: mStride, channels: cout,
                                             y00: y00, y01: columnsHere > 1 ? y00 + cout : nil,
                                             y10: rowsHere > 1 ? y00 + ow * cout : nil,
                                             y11: rowsHere > 1 && columnsHere > 1 ? y00 + (ow + 1) * cout : nil)
                    }
                }
                finish(rows, first, end - first)
            }
        }
    }

    /// B^T d B for every channel of one tile: d[i][j] = p_ij[c]; element e of the result goes to
    /// v[e * stride + c].
    @inline(__always)
    private static func transformInput(
        _ p00: UnsafePointer<Float>, _ p01: UnsafePointer<Float>, _ p02: UnsafePointer<Float>, _ p03: UnsafePointer<Float>,
        _ p10: UnsafePointer<Float>, _ p11: UnsafePointer<Float>, _ p12: UnsafePointer<Float>, _ p13: UnsafePointer<Float>,
        _ p20: UnsafePointer<Float>, _ p21: UnsafePointer<Float>, _ p22: UnsafePointer<Float>, _ p23: UnsafePointer<Float>,
        _ p30: UnsafePointer<Float>, _ p31: UnsafePointer<Float>, _ p32: UnsafePointer<Float>, _ p33: UnsafePointer<Float>,
        into v: UnsafeMutablePointer<Float>, stride s: Int, channels: Int
    ) {
        // Four channels at a time as explicit SIMD4 (the scalar loop below does not vectorise:
        // 32 pointers defeat the compiler's alias checks), the same operations in the same order
        // per lane, so the bits do not depend on where a channel falls.
        let v1 = v + s, v2 = v + 2 * s, v3 = v + 3 * s, v4 = v + 4 * s, v5 = v + 5 * s, v6 = v + 6 * s, v7 = v + 7 * s
        let v8 = v + 8 * s, v9 = v + 9 * s, v10 = v + 10 * s, v11 = v + 11 * s, v12 = v + 12 * s, v13 = v + 13 * s
        let v14 = v + 14 * s, v15 = v + 15 * s
        let vectorised = channels & ~3
        for c in Swift.stride(from: 0, to: vectorised, by: 4) {
            let t00 = load4(p00, c) - load4(p20, c), t01 = load4(p01, c) - load4(p21, c)
            let t02 = load4(p02, c) - load4(p22, c), t03 = load4(p03, c) - load4(p23, c)
            let t10 = load4(p10, c) + load4(p20, c), t11 = load4(p11, c) + load4(p21, c)
            let t12 = load4(p12, c) + load4(p22, c), t13 = load4(p13, c) + load4(p23, c)
            let t20 = load4(p20, c) - load4(p10, c), t21 = load4(p21, c) - load4(p11, c)
            let t22 = load4(p22, c) - load4(p12, c), t23 = load4(p23, c) - load4(p13, c)
            let t30 = load4(p10, c) - load4(p30, c), t31 = load4(p11, c) - load4(p31, c)
            let t32 = load4(p12, c) - load4(p32, c), t33 = load4(p13, c) - load4(p33, c)
            store4(t00 - t02, v, c); store4(t01 + t02, v1, c); store4(t02 - t01, v2, c); store4(t01 - t03, v3, c)
            store4(t10 - t12, v4, c); store4(t11 + t12, v5, c); store4(t12 - t11, v6, c); store4(t11 - t13, v7, c)
            store4(t20 - t22, v8, c); store4(t21 + t22, v9, c); store4(t22 - t21, v10, c); store4(t21 - t23, v11, c)
            store4(t30 - t32, v12, c); store4(t31 + t32, v13, c); store4(t32 - t31, v14, c); store4(t31 - t33, v15, c)
        }
        for c in vectorised..<channels {
            // Rows: B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]].
            let t00 = p00[c] - p20[c], t01 = p01[c] - p21[c], t02 = p02[c] - p22[c], t03 = p03[c] - p23[c]
            let t10 = p10[c] + p20[c], t11 = p11[c] + p21[c], t12 = p12[c] + p22[c], t13 = p13[c] + p23[c]
            let t20 = p20[c] - p10[c], t21 = p21[c] - p11[c], t22 = p22[c] - p12[c], t23 = p23[c] - p13[c]
            let t30 = p10[c] - p30[c], t31 = p11[c] - p31[c], t32 = p12[c] - p32[c], t33 = p13[c] - p33[c]
            // Columns: the same combination.
            v[c] = t00 - t02; v[s + c] = t01 + t02; v[2 * s + c] = t02 - t01; v[3 * s + c] = t01 - t03
            v[4 * s + c] = t10 - t12; v[5 * s + c] = t11 + t12; v[6 * s + c] = t12 - t11; v[7 * s + c] = t11 - t13
            v[8 * s + c] = t20 - t22; v[9 * s + c] = t21 + t22; v[10 * s + c] = t22 - t21; v[11 * s + c] = t21 - t23
            v[12 * s + c] = t30 - t32; v[13 * s + c] = t31 + t32; v[14 * s + c] = t32 - t31; v[15 * s + c] = t31 - t33
        }
    }

    /// A^T M A for every channel of one tile (A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]), written to the
    /// 2x2 outputs that exist (nil: past the output's bottom or right edge).
    @inline(__always)
    private static func transformOutput(_ m: UnsafePointer<Float>, stride s: Int, channels: Int,
                                        y00: UnsafeMutablePointer<Float>, y01: UnsafeMutablePointer<Float>?,
                                        y10: UnsafeMutablePointer<Float>?, y11: UnsafeMutablePointer<Float>?) {
        if let y01, let y10, let y11 {
            // Interior tiles: explicit SIMD4 as in `transformInput`, then the scalar remainder.
            let m1 = m + s, m2 = m + 2 * s, m3 = m + 3 * s, m4 = m + 4 * s, m5 = m + 5 * s, m6 = m + 6 * s, m7 = m + 7 * s
            let m8 = m + 8 * s, m9 = m + 9 * s, m10 = m + 10 * s, m11 = m + 11 * s, m12 = m + 12 * s, m13 = m + 13 * s
            let m14 = m + 14 * s, m15 = m + 15 * s
            let vectorised = channels & ~3
            for c in Swift.stride(from: 0, to: vectorised, by: 4) {
                let a0 = load4(m, c) + load4(m4, c) + load4(m8, c), a1 = load4(m1, c) + load4(m5, c) + load4(m9, c)
                let a2 = load4(m2, c) + load4(m6, c) + load4(m10, c), a3 = load4(m3, c) + load4(m7, c) + load4(m11, c)
                let b0 = load4(m4, c) - load4(m8, c) - load4(m12, c), b1 = load4(m5, c) - load4(m9, c) - load4(m13, c)
                let b2 = load4(m6, c) - load4(m10, c) - load4(m14, c), b3 = load4(m7, c) - load4(m11, c) - load4(m15, c)
                store4(a0 + a1 + a2, y00, c)
                store4(a1 - a2 - a3, y01, c)
                store4(b0 + b1 + b2, y10, c)
                store4(b1 - b2 - b3, y11, c)
            }
            for c in vectorised..<channels {
                let a0 = m[c] + m[4 * s + c] + m[8 * s + c], a1 = m[s + c] + m[5 * s + c] + m[9 * s + c]
                let a2 = m[2 * s + c] + m[6 * s + c] + m[10 * s + c], a3 = m[3 * s + c] + m[7 * s + c] + m[11 * s + c]
                let b0 = m[4 * s + c] - m[8 * s + c] - m[12 * s + c], b1 = m[5 * s + c] - m[9 * s + c] - m[13 * s + c]
                let b2 = m[6 * s + c] - m[10 * s + c] - m[14 * s + c], b3 = m[7 * s + c] - m[11 * s + c] - m[15 * s + c]
                y00[c] = a0 + a1 + a2
                y01[c] = a1 - a2 - a3
                y10[c] = b0 + b1 + b2
                y11[c] = b1 - b2 - b3
            }
            return
        }
        for c in 0..<channels {
            let a0 = m[c] + m[4 * s + c] + m[8 * s + c], a1 = m[s + c] + m[5 * s + c] + m[9 * s + c]
            let a2 = m[2 * s + c] + m[6 * s + c] + m[10 * s + c], a3 = m[3 * s + c] + m[7 * s + c] + m[11 * s + c]
            let b0 = m[4 * s + c] - m[8 * s + c] - m[12 * s + c], b1 = m[5 * s + c] - m[9 * s + c] - m[13 * s + c]
            let b2 = m[6 * s + c] - m[10 * s + c] - m[14 * s + c], b3 = m[7 * s + c] - m[11 * s + c] - m[15 * s + c]
            y00[c] = a0 + a1 + a2
            if let y01 { y01[c] = a1 - a2 - a3 }
            if let y10 { y10[c] = b0 + b1 + b2 }
            if let y11 { y11[c] = b1 - b2 - b3 }
        }
    }
}
