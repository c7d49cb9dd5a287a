import XCTest
import FADNN
import _FADTestSupport

/// `Conv2D.maxPooled` (convolution + epilogue + 'valid' max pool, fused) against the unfused
/// composition `Pool2D.max(conv(x))`, on musicnn-VGG's shapes and on edge cases: windows that skip
/// columns, overlapping windows, odd output sizes, tiles that split an item, negative affine
/// scales (the max must see the epilogue's output), and 1-3 worker threads.
final class FusedPoolingTests: XCTestCase {
    private func conv(_ kh: Int, _ kw: Int, _ cin: Int, _ cout: Int, stride: (Int, Int) = (1, 1), padding: Padding,
                      seed: UInt64) -> Conv2D {
        Conv2D(hwio: uniformFloats(kh * kw * cin * cout, seed: seed), kernelHeight: kh, kernelWidth: kw, inputChannels: cin,
               outputChannels: cout, bias: uniformFloats(cout, seed: seed + 1), stride: stride, padding: padding, activation: .relu,
               postAffine: ChannelAffine(scale: uniformFloats(cout, seed: seed + 2), shift: uniformFloats(cout, seed: seed + 3)))
    }

    /// The im2col path (one input channel, musicnn-VGG's first block, and other geometries):
    /// equal to the unfused composition up to SGEMM rounding. The GEMMs have other row counts, so
    /// OpenBLAS may round differently: sums of at most 75 products of magnitude <= 1 in float32 are
    /// within ~1e-5 of each other; a wrong tap, column or window is off by > 1e-2.
    func testIm2colPathMatchesConvolutionThenPooling() {
        let cases: [(name: String, x: [Int], conv: Conv2D, window: (Int, Int), stride: (Int, Int))] = [
            ("musicnn-vgg block 1", [2, 187, 96, 1], conv(3, 3, 1, 128, padding: .same, seed: 1), (4, 1), (2, 2)),
            ("overlapping 3x3 / 2", [3, 23, 17, 2], conv(3, 3, 2, 8, padding: .same, seed: 5), (3, 3), (2, 2)),
            ("strided conv, wide window", [2, 30, 31, 3], conv(5, 5, 3, 16, stride: (2, 1), padding: .valid, seed: 9), (2, 3), (3, 4)),
            ("column kernel", [2, 40, 12, 1], conv(8, 1, 1, 24, padding: .same, seed: 13), (1, 12), (1, 12)),
        ]
        for c in cases {
            let x = Tensor(shape: c.x, values: uniformFloats(c.x.reduce(1, *), seed: 99))
            let fused = c.conv.maxPooled(x, window: c.window, stride: c.stride)
            let unfused = Pool2D.max(c.conv(x), window: c.window, stride: c.stride)
            XCTAssertEqual(fused.shape, unfused.shape, c.name)
            let error = maxAbsDifference(fused.values, unfused.values)
            XCTAssertLessThan(error, 1e-5, "\(c.name): \(error)")
        }
    }

    /// Winograd with 2x2 / 2 pooling pools each chunk's rows from scratch: the same transforms and
    /// GEMMs as the unfused layer, hence the same bits. Odd output sizes (a half tile row and
    /// column, dropped by the pool) and several chunks with a boundary inside an item.
    func testWinogradPathIsTheUnfusedCompositionExactly() {
        let x = Tensor(shape: [6, 41, 9, 32], values: uniformFloats(6 * 41 * 9 * 32, seed: 21))
        let layer = conv(3, 3, 32, 24, padding: .same, seed: 22)
        XCTAssertTrue(layer.usesWinograd)
        for (window, stride) in [((2, 2), (2, 2)), ((4, 4), (4, 4)), ((3, 2), (1, 2))] {
            let fused = layer.maxPooled(x, window: window, stride: stride)
            let unfused = Pool2D.max(layer(x), window: window, stride: stride)
            XCTAssertEqual(fused.shape, unfused.shape)
            XCTAssertTrue(fused.values == unfused.values, "window \(window): \(maxAbsDifference(fused.values, unfused.values))")
        }
    }

    /// Bit-identical results for 1, 2 and 3 workers, on both paths.
    func testResultsDoNotDependOnThreadCount() {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        let first = conv(3, 3, 1, 128, padding: .same, seed: 31)
        let deep = conv(3, 3, 128, 128, padding: .same, seed: 35)
        let x = Tensor(shape: [3, 187, 96, 1], values: uniformFloats(3 * 187 * 96, seed: 39))
        let y = Tensor(shape: [2, 46, 24, 128], values: uniformFloats(2 * 46 * 24 * 128, seed: 40))
        func run() -> [[Float]] {
            [first.maxPooled(x, window: (4, 1), stride: (2, 2)).values, deep.maxPooled(y, window: (2, 2), stride: (2, 2)).values]
        }
        BLAS.threads = 1
        let one = run()
        for workers in [2, 3] {
            BLAS.threads = workers
            let other = run()
            for i in one.indices {
                XCTAssertTrue(one[i] == other[i], "path \(i), \(workers) workers: \(maxAbsDifference(one[i], other[i]))")
            }
        }
    }
}
