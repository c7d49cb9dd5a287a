import XCTest
import FADNN
import _FADTestSupport

/// Stride-1 [7, kw] convolutions unpadded along the width run as Winograd F(2, 7) along the height.
/// Checked against the definition summed in Double on musicnn's shapes (timbral [7, 38] over one
/// channel with 3 + 3 zero rows, mid-end [7, 1] over many channels), with odd output heights (a
/// half tile at the bottom), chunk boundaries inside items, both sinks (full map, max over the
/// width) and the fused epilogue; and for bit-identical results over worker counts.
final class Winograd7RowsTests: XCTestCase {
    /// The convolution by its definition, in Double: [n, h, w, cin] -> [n, oh, ow, cout], zero rows
    /// `padTop` before, valid along the width (no epilogue).
    private func direct(_ x: Tensor, _ kernel: [Float], kw: Int, cin: Int, cout: Int, padTop: Int, oh: Int) -> [Double] {
        let n = x.shape[0], h = x.shape[1], w = x.shape[2], ow = w - kw + 1
        var y = [Double](repeating: 0, count: n * oh * ow * cout)
        for item in 0..<n {
            for oy in 0..<oh {
                for ky in 0..<7 {
                    let iy = oy + ky - padTop
                    guard iy >= 0 && iy < h else { continue }
                    for ox in 0..<ow {
                        let base = ((item * oh + oy) * ow + ox) * cout
                        for kx in 0..<kw {
                            for i in 0..<cin {
                                let v = Double(x.values[((item * h + iy) * w + ox + kx) * cin + i])
                                let k = ((ky * kw + kx) * cin + i) * cout
                                for o in 0..<cout { y[base + o] += v * Double(kernel[k + o]) }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    func testMatchesTheDefinitionOnMusicnnShapes() {
        // (kw, cin, cout, height, width, padding): a timbral filter on 3 items of 37 frames (19 tile
        // rows each, the last half; 256 / 19 = 13 tile rows per chunk: boundaries inside items), a
        // mid-end layer, and an unpadded / lopsided height.
        let cases: [(String, Int, Int, Int, Int, Int, Padding, Int)] = [
            ("timbral", 38, 1, 24, 37, 56, .explicit(top: 3, bottom: 3, left: 0, right: 0), 3),
            ("mid-end", 1, 40, 16, 37, 1, .explicit(top: 3, bottom: 3, left: 0, right: 0), 3),
            ("valid", 5, 4, 8, 20, 9, .valid, 0),
            ("lopsided", 16, 1, 8, 11, 20, .explicit(top: 5, bottom: 0, left: 0, right: 0), 5),
        ]
        for (name, kw, cin, cout, height, width, padding, padTop) in cases {
            let x = Tensor(shape: [3, height, width, cin], values: uniformFloats(3 * height * width * cin, seed: 1))
            let kernel = uniformFloats(7 * kw * cin * cout, seed: 2)
            let conv = Conv2D(hwio: kernel, kernelHeight: 7, kernelWidth: kw, inputChannels: cin, outputChannels: cout,
                              padding: padding)
            XCTAssertTrue(conv.usesWinograd, name)
            let (oh, ow) = conv.outputSize(height: height, width: width)
            let y = conv(x)
            XCTAssertEqual(y.shape, [3, oh, ow, cout], name)
            let reference = direct(x, kernel, kw: kw, cin: cin, cout: cout, padTop: padTop, oh: oh)
            // K = 7 kw cin products of magnitude <= 1 in float32: direct summation is ~1e-6 of the
            // largest output; the transforms (coefficients up to 5.25) add a few roundings: 2e-5
            // leaves room and still fails on any wrong tap, tile or edge (errors of order 1e-1).
            let error = maxRelativeDifference(y.values, reference)
            XCTAssertLessThan(error, 2e-5, "\(name): \(error)")
            // The im2col path computes the same convolution.
            var im2col = conv
            im2col.algorithm = .im2col
            XCTAssertFalse(im2col.usesWinograd)
            XCTAssertLessThan(maxRelativeDifference(im2col(x).values, reference), 2e-5, name)
        }
    }

    /// The fused epilogue and the maximum over the width (musicnn's timbral block) equal the same
    /// operations applied to the full map.
    func testMaxOverWidthIsTheEpilogueThenTheMaximum() {
        let (kw, cout, height, width) = (12, 20, 23, 30)
        let x = Tensor(shape: [2, height, width, 1], values: uniformFloats(2 * height * width, seed: 3))
        let kernel = uniformFloats(7 * kw * cout, seed: 4)
        let bias = uniformFloats(cout, seed: 5)
        let affine = ChannelAffine(scale: uniformFloats(cout, seed: 6), shift: uniformFloats(cout, seed: 7))
        let padding = Padding.explicit(top: 3, bottom: 3, left: 0, right: 0)
        let fused = Conv2D(hwio: kernel, kernelHeight: 7, kernelWidth: kw, inputChannels: 1, outputChannels: cout,
                           bias: bias, padding: padding, activation: .relu, postAffine: affine)
        let plain = Conv2D(hwio: kernel, kernelHeight: 7, kernelWidth: kw, inputChannels: 1, outputChannels: cout,
                           padding: padding)(x)
        let full = plain.values.enumerated().map { i, v in max(v + bias[i % cout], 0) * affine.scale[i % cout] + affine.shift[i % cout] }
        XCTAssertEqual(fused(x).values, full)
        let ow = width - kw + 1
        var expected = [Float](repeating: -.infinity, count: 2 * height * cout)
        for row in 0..<(2 * height) {
            for p in 0..<ow {
                for o in 0..<cout { expected[row * cout + o] = max(expected[row * cout + o], full[(row * ow + p) * cout + o]) }
            }
        }
        XCTAssertEqual(fused.maxOverWidth(x).values, expected)
    }

    /// A BatchNorm folded into the convolution reaches its transformed kernel too.
    func testFoldingUpdatesTheTransformedKernel() {
        let (kw, cout) = (20, 8)
        let x = Tensor(shape: [1, 9, 24, 1], values: uniformFloats(9 * 24, seed: 8))
        let kernel = uniformFloats(7 * kw * cout, seed: 9)
        let norm = BatchNorm(gamma: uniformFloats(cout, seed: 10), beta: uniformFloats(cout, seed: 11), mean: uniformFloats(cout, seed: 12),
                             variance: uniformFloats(cout, seed: 13).map { $0 * $0 + 0.1 }, epsilon: 1e-3)
        let folded = Conv2D(hwio: kernel, kernelHeight: 7, kernelWidth: kw, inputChannels: 1, outputChannels: cout,
                            padding: .explicit(top: 3, bottom: 3, left: 0, right: 0)).folding(norm)
        let a = norm.affine
        var scaled = kernel
        for i in scaled.indices { scaled[i] *= a.scale[i % cout] }
        let reference = direct(x, scaled, kw: kw, cin: 1, cout: cout, padTop: 3, oh: 9)
            .enumerated().map { i, v in v + Double(a.shift[i % cout]) }
        XCTAssertLessThan(maxRelativeDifference(folded(x).values, reference), 2e-5)
    }

    func testResultsDoNotDependOnThreadCount() {
        let x = Tensor(shape: [5, 37, 40, 1], values: uniformFloats(5 * 37 * 40, seed: 14))
        let conv = Conv2D(hwio: uniformFloats(7 * 30 * 16, seed: 15), kernelHeight: 7, kernelWidth: 30, inputChannels: 1,
                          outputChannels: 16, bias: uniformFloats(16, seed: 16),
                          padding: .explicit(top: 3, bottom: 3, left: 0, right: 0), activation: .relu)
        let one = BLAS.withKernelThreads(1) { (conv(x).values, conv.maxOverWidth(x).values) }
        for workers in [2, 3] {
            let many = BLAS.withKernelThreads(workers) { (conv(x).values, conv.maxOverWidth(x).values) }
            XCTAssertEqual(many.0, one.0, "\(workers) workers")
            XCTAssertEqual(many.1, one.1, "\(workers) workers")
        }
    }
}
