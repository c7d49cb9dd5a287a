import XCTest
import FADNN
import _FADTestSupport

/// FADNN primitives against TensorFlow (Tests/Fixtures/scripts/musicnn_nn_ops.py) and against
/// their own definitions.
final class LayerTests: XCTestCase {
    private func input() throws -> Tensor {
        Tensor(shape: [2, 9, 8, 3], values: try Fixtures.npy("nn/x.npy").floats)
    }

    func testConvolutionMatchesTensorFlowPaddingAndStrides() throws {
        let x = try input()
        let cases: [(String, (Int, Int, Int, Int), (Int, Int), Padding)] = [
            ("same_even", (4, 3, 3, 5), (1, 1), .same),
            ("same_stride", (3, 2, 3, 5), (2, 3), .same),
            ("valid_stride", (3, 3, 3, 5), (2, 2), .valid),
            ("explicit", (3, 3, 3, 5), (1, 2), .explicit(top: 1, bottom: 2, left: 0, right: 1)),
            ("pointwise", (1, 1, 3, 5), (1, 1), .valid),
            ("tall_same", (8, 1, 3, 5), (1, 1), .same),
        ]
        for (name, k, stride, padding) in cases {
            let conv = Conv2D(hwio: try Fixtures.npy("nn/conv_\(name).kernel.npy").floats,
                              kernelHeight: k.0, kernelWidth: k.1, inputChannels: k.2, outputChannels: k.3,
                              bias: try Fixtures.npy("nn/conv_\(name).bias.npy").floats,
                              stride: stride, padding: padding)
            let expectedShape = try Fixtures.npy("nn/conv_\(name).shape.npy").values.map { Int($0) }
            let reference = try Fixtures.npy("nn/conv_\(name).out.npy").floats
            let y = conv(x)
            XCTAssertEqual(y.shape, expectedShape, name)
            // float32 sums of <= 96 products of unit-variance values: ~1e-6 rounding.
            XCTAssertLessThan(maxAbsDifference(y.values, reference), 1e-5, name)
            // A tiny chunk forces many chunks (and partial ones): same result up to GEMM rounding.
            var chunked = conv
            chunked.chunkFloats = 1
            XCTAssertLessThan(maxAbsDifference(chunked(x).values, y.values), 1e-5, name)
        }
    }

    func testPoolingMatchesTensorFlow() throws {
        let x = try input()
        let maxPooled = Pool2D.max(x, window: (4, 1), stride: (2, 2))
        XCTAssertEqual(maxPooled.shape, try Fixtures.npy("nn/maxpool_4x1_s2.shape.npy").values.map { Int($0) })
        XCTAssertEqual(maxPooled.values, try Fixtures.npy("nn/maxpool_4x1_s2.npy").floats)  // max is exact
        let averaged = Pool2D.average(x, window: (2, 2), stride: (2, 2))
        XCTAssertEqual(averaged.shape, try Fixtures.npy("nn/avgpool_2x2.shape.npy").values.map { Int($0) })
        XCTAssertLessThan(maxAbsDifference(averaged.values, try Fixtures.npy("nn/avgpool_2x2.npy").floats), 1e-6)
    }

    private func norm(_ c: Int, seed: UInt64) -> BatchNorm {
        BatchNorm(gamma: uniformFloats(c, seed: seed), beta: uniformFloats(c, seed: seed + 1), mean: uniformFloats(c, seed: seed + 2),
                  variance: uniformFloats(c, seed: seed + 3).map { $0 * $0 + 0.1 }, epsilon: 1e-3)
    }

    func testOIHWKernelsMatchHWIO() {
        let (o, i, h, w) = (4, 3, 2, 5)
        let oihw = uniformFloats(o * i * h * w, seed: 1)
        var hwio = [Float](repeating: 0, count: oihw.count)
        for a in 0..<o { for b in 0..<i { for c in 0..<h { for d in 0..<w {
            hwio[((c * w + d) * i + b) * o + a] = oihw[((a * i + b) * h + c) * w + d]
        }}}}
        let x = Tensor(shape: [1, 6, 7, 3], values: uniformFloats(126, seed: 2))
        let a = Conv2D(oihw: oihw, outputChannels: o, inputChannels: i, kernelHeight: h, kernelWidth: w, padding: .same)
        let b = Conv2D(hwio: hwio, kernelHeight: h, kernelWidth: w, inputChannels: i, outputChannels: o, padding: .same)
        XCTAssertEqual(a(x).values, b(x).values)
        let dense = Dense(outIn: [1, 2, 3, 4, 5, 6], outputs: 2, inputs: 3)
        XCTAssertEqual(dense(Tensor(shape: [1, 3], values: [1, 1, 2])).values, [9, 21])
    }

    func testBatchNormFoldingIsExactUpToRounding() {
        let x = Tensor(shape: [2, 10, 6, 3], values: uniformFloats(360, seed: 3))
        let conv = Conv2D(hwio: uniformFloats(3 * 3 * 3 * 4, seed: 4), kernelHeight: 3, kernelWidth: 3, inputChannels: 3,
                          outputChannels: 4, bias: uniformFloats(4, seed: 5), padding: .same)
        let bn = norm(4, seed: 6)
        var unfolded = conv(x)
        bn.affine.apply(to: &unfolded)
        XCTAssertLessThan(maxAbsDifference(conv.folding(bn)(x).values, unfolded.values), 1e-5)

        // A BatchNorm after the ReLU, applied as the epilogue's affine, equals relu then BN.
        var epilogue = conv
        epilogue.activation = .relu
        epilogue.postAffine = bn.affine
        var reference = relu(conv(x))
        bn.affine.apply(to: &reference)
        XCTAssertEqual(epilogue(x).values, reference.values)
        // ... and the fused max over the width equals the full map reduced.
        XCTAssertEqual(epilogue.maxOverWidth(x).values, epilogue(x).reduced(over: 2, .max).values)

        // BatchNorm before a dense layer folds into it.
        let dense = Dense(inOut: uniformFloats(12, seed: 7), inputs: 4, outputs: 3, bias: uniformFloats(3, seed: 8))
        let features = Tensor(shape: [5, 4], values: uniformFloats(20, seed: 9))
        var normalised = features
        bn.affine.apply(to: &normalised)
        XCTAssertLessThan(maxAbsDifference(dense.foldingPreceding(bn.affine)(features).values, dense(normalised).values), 1e-5)
        let bn3 = norm(3, seed: 10)
        var after = dense(features)
        bn3.affine.apply(to: &after)
        XCTAssertLessThan(maxAbsDifference(dense.folding(bn3)(features).values, after.values), 1e-5)
    }

    func testReductionsConcatenationAndActivations() {
        let t = Tensor(shape: [2, 3, 2], values: [1, -2, 3, 4, -5, 6, 0, 0, 9, -1, 2, 2])
        XCTAssertEqual(t.reduced(over: 1, .max).values, [3, 6, 9, 2])
        XCTAssertEqual(t.reduced(over: 1, .mean).values, [Float(-1.0 / 3), Float(8.0 / 3), Float(11.0 / 3), Float(1.0 / 3)])
        XCTAssertEqual(t.reduced(over: 2, .max).shape, [2, 3])
        XCTAssertEqual(t.reduced(over: 0, .max).values, [1, 0, 9, 4, 2, 6])
        let c = Tensor.concatenatingLastAxis([Tensor(shape: [2, 1], values: [1, 2]), Tensor(shape: [2, 2], values: [3, 4, 5, 6])])
        XCTAssertEqual(c.values, [1, 3, 4, 2, 5, 6])
        XCTAssertEqual(softmax(Tensor(shape: [1, 2], values: [0, 0])).values, [0.5, 0.5])
        XCTAssertEqual(sigmoid(Tensor(shape: [1], values: [0])).values, [0.5])
        XCTAssertEqual((Tensor(shape: [2], values: [1, 2]) + Tensor(shape: [2], values: [3, 4])).values, [4, 6])
    }

    /// FADNN splits GEMM rows between its own workers over a serial OpenBLAS (whose own threading
    /// changes the K blocking, hence the bits). Results must be bit-identical for any worker count.
    /// Shapes are the models' (musicnn timbral conv [7, 38] -> 204 over a batch of 3 s windows;
    /// a 3x3x128 conv; a wide dense).
    func testResultsDoNotDependOnThreadCount() {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        let x = Tensor(shape: [2, 193, 96, 1], values: uniformFloats(2 * 193 * 96, seed: 11))
        let timbral = Conv2D(hwio: uniformFloats(7 * 38 * 204, seed: 12), kernelHeight: 7, kernelWidth: 38, inputChannels: 1,
                             outputChannels: 204, bias: uniformFloats(204, seed: 13), activation: .relu)
        let deep = Conv2D(hwio: uniformFloats(9 * 128 * 128, seed: 14), kernelHeight: 3, kernelWidth: 3, inputChannels: 128,
                          outputChannels: 128, padding: .same)
        let y = Tensor(shape: [2, 46, 24, 128], values: uniformFloats(2 * 46 * 24 * 128, seed: 15))
        let dense = Dense(inOut: uniformFloats(1506 * 200, seed: 16), inputs: 1506, outputs: 200)
        let z = Tensor(shape: [64, 1506], values: uniformFloats(64 * 1506, seed: 17))
        func run() -> [[Float]] { [timbral.maxOverWidth(x).values, deep(y).values, dense(z).values] }
        BLAS.threads = 1
        let one = run()
        for workers in [2, 3] {
            BLAS.threads = workers
            XCTAssertEqual(BLAS.threads, workers)
            let other = run()
            for (i, name) in ["timbral conv", "3x3x128 conv", "dense"].enumerated() {
                XCTAssertTrue(one[i] == other[i], "\(name), \(workers) workers: differs by \(maxAbsDifference(one[i], other[i]))")
            }
        }
    }

    /// Why FADNN tiles instead of splitting rows: with OpenBLAS, a row of C may depend on how the
    /// rows are split between calls. Documents the premise; if a BLAS makes rows split-invariant
    /// this still passes (it only asserts that one fixed call sequence is reproducible).
    func testGEMMTileSequenceIsReproducible() {
        let (m, n, k) = (3000, 51, 32)
        let a = uniformFloats(m * k, seed: 20), b = uniformFloats(k * n, seed: 21)
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                BLAS.parallelSgemm(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
            }}}
            return c
        }
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 1
        let one = product()
        BLAS.threads = 2
        XCTAssertTrue(one == product())
        var reference = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { var s: Double = 0; for l in 0..<k { s += Double(a[i * k + l]) * Double(b[l * n + j]) }; reference[i * n + j] = Float(s) } }
        XCTAssertLessThan(maxAbsDifference(one, reference), 1e-4)
    }
}
