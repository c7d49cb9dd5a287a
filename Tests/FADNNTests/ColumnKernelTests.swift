import XCTest
import FADNN
import _FADTestSupport

/// [kh, 1] kernels over one input channel (musicnn's temporal convolutions) build their im2col
/// matrix transposed, from whole input rows. Checked against the definition in Double, with
/// TF 'same' padding (uneven: 7 before and 8 after for kh = 16), several
/// items and several GEMM tiles, through both sinks (full map and maximum over the width).
final class ColumnKernelTests: XCTestCase {
    func testMatchesTheDefinition() {
        let (n, h, w, kh, cout) = (3, 45, 96, 16, 7)
        var state: UInt64 = 99
        func random(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(state >> 40) / Float(1 << 24) * 2 - 1
            }
        }
        let x = Tensor(shape: [n, h, w, 1], values: random(n * h * w))
        let kernel = random(kh * cout), bias = random(cout)
        var conv = Conv2D(hwio: kernel, kernelHeight: kh, kernelWidth: 1, inputChannels: 1, outputChannels: cout,
                          bias: bias, padding: .same, activation: .relu)
        conv.chunkFloats = 1 << 14  // 1024 positions per tile: 10 rows, 14 tiles over 135 rows
        let padTop = (kh - 1) / 2
        var reference = [Double](repeating: 0, count: n * h * w * cout)
        for item in 0..<n {
            for y in 0..<h {
                for f in 0..<w {
                    for o in 0..<cout {
                        var s = Double(bias[o])
                        for k in 0..<kh {
                            let iy = y - padTop + k
                            if iy >= 0 && iy < h { s += Double(x.values[(item * h + iy) * w + f]) * Double(kernel[k * cout + o]) }
                        }
                        reference[((item * h + y) * w + f) * cout + o] = max(s, 0)
                    }
                }
            }
        }
        let full = conv(x)
        XCTAssertEqual(full.shape, [n, h, w, cout])
        XCTAssertLessThan(maxRelativeDifference(full.values, reference), 1e-6)
        var maxima = [Double](repeating: -.infinity, count: n * h * cout)
        for r in 0..<(n * h) { for f in 0..<w { for o in 0..<cout {
            maxima[r * cout + o] = max(maxima[r * cout + o], reference[(r * w + f) * cout + o])
        }}}
        XCTAssertLessThan(maxRelativeDifference(conv.maxOverWidth(x).values, maxima), 1e-6)
    }
}
