import XCTest
import FADNN
import _FADTestSupport

/// 3x3 stride-1 convolutions with 16+ input channels run as Winograd F(2x2, 3x3). Checked against
/// the definition of the convolution summed in Double, on shapes that exercise every edge case of
/// the tiling: odd output sizes (half tiles at the bottom and right), each padding, several
/// chunks of tile rows with a chunk boundary inside an item, and the fused epilogue.
final class WinogradTests: XCTestCase {
    /// The convolution by its definition, in Double: [n, h, w, cin] -> [n, oh, ow, cout] (no epilogue).
    private func direct(_ x: Tensor, _ kernel: [Float], cin: Int, cout: Int, padTop: Int, padLeft: Int,
                        oh: Int, ow: Int) -> [Double] {
        let n = x.shape[0], h = x.shape[1], w = x.shape[2]
        var y = [Double](repeating: 0, count: n * oh * ow * cout)
        for item in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ky in 0..<3 {
                        let iy = oy + ky - padTop
                        guard iy >= 0 && iy < h else { continue }
                        for kx in 0..<3 {
                            let ix = ox + kx - padLeft
                            guard ix >= 0 && ix < w else { continue }
                            for i in 0..<cin {
                                let v = Double(x.values[((item * h + iy) * w + ix) * cin + i])
                                let base = ((item * oh + oy) * ow + ox) * cout
                                let k = ((ky * 3 + kx) * cin + i) * cout
                                for o in 0..<cout { y[base + o] += v * Double(kernel[k + o]) }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    func testMatchesTheDefinitionForEveryPaddingAndEdge() {
        let (cin, cout) = (32, 24)
        // 41 rows = 21 tile rows per item (the last one half), 6 items: 126 tile rows, more than
        // one chunk (102 tile rows of 5 tiles for these channel counts), a boundary inside item 4.
        let x = Tensor(shape: [6, 41, 9, cin], values: uniformFloats(6 * 41 * 9 * cin, seed: 1))
        let kernel = uniformFloats(9 * cin * cout, seed: 2)
        let bias = uniformFloats(cout, seed: 3)
        let cases: [(String, Padding, Int, Int)] = [
            ("same", .same, 1, 1), ("valid", .valid, 0, 0),
            ("explicit", .explicit(top: 1, bottom: 1, left: 1, right: 1), 1, 1),
            ("lopsided", .explicit(top: 2, bottom: 0, left: 0, right: 2), 2, 0),
        ]
        for (name, padding, padTop, padLeft) in cases {
            let conv = Conv2D(hwio: kernel, kernelHeight: 3, kernelWidth: 3, inputChannels: cin, outputChannels: cout,
                              padding: padding)
            let y = conv(x)
            let (oh, ow) = conv.outputSize(height: 41, width: 9)
            XCTAssertEqual(y.shape, [6, oh, ow, cout], name)
            let reference = direct(x, kernel, cin: cin, cout: cout, padTop: padTop, padLeft: padLeft, oh: oh, ow: ow)
            // float32 with K = 288 products of magnitude <= 1: direct summation is ~1e-6 of the
            // largest output; Winograd's transforms add a few roundings (~3e-7 each): 2e-5 leaves
            // room and still fails on any wrong tap, tile or edge (errors of order 1e-1).
            let error = maxRelativeDifference(y.values, reference)
            XCTAssertLessThan(error, 2e-5, "\(name): \(error)")
        }
        // The epilogue (bias, ReLU, then a per-channel affine) over every chunk's rows.
        let affine = ChannelAffine(scale: uniformFloats(cout, seed: 4), shift: uniformFloats(cout, seed: 5))
        let fused = Conv2D(hwio: kernel, kernelHeight: 3, kernelWidth: 3, inputChannels: cin, outputChannels: cout,
                           bias: bias, padding: .same, activation: .relu, postAffine: affine)
        let plain = Conv2D(hwio: kernel, kernelHeight: 3, kernelWidth: 3, inputChannels: cin, outputChannels: cout,
                           padding: .same)(x)
        let expected = plain.values.enumerated().map { i, v in max(v + bias[i % cout], 0) * affine.scale[i % cout] + affine.shift[i % cout] }
        XCTAssertEqual(fused(x).values, expected)
    }

    /// A BatchNorm folded into a Winograd convolution reaches its transformed kernel too.
    func testFoldingUpdatesTheTransformedKernel() {
        let (cin, cout) = (16, 8)
        let x = Tensor(shape: [1, 5, 6, cin], values: uniformFloats(5 * 6 * cin, seed: 7))
        let kernel = uniformFloats(9 * cin * cout, seed: 8)
        let norm = BatchNorm(gamma: uniformFloats(cout, seed: 9), beta: uniformFloats(cout, seed: 10), mean: uniformFloats(cout, seed: 11),
                             variance: uniformFloats(cout, seed: 12).map { $0 * $0 + 0.1 }, epsilon: 1e-3)
        let folded = Conv2D(hwio: kernel, kernelHeight: 3, kernelWidth: 3, inputChannels: cin, outputChannels: cout,
                            padding: .same).folding(norm)
        let a = norm.affine
        var scaled = kernel
        for i in scaled.indices { scaled[i] *= a.scale[i % cout] }
        let reference = direct(x, scaled, cin: cin, cout: cout, padTop: 1, padLeft: 1, oh: 5, ow: 6)
            .enumerated().map { i, v in v + Double(a.shift[i % cout]) }
        XCTAssertLessThan(maxRelativeDifference(folded(x).values, reference), 2e-5)
    }
}
