/// Pooling over the spatial axes of an NHWC tensor, 'valid' (no padding): the output has
/// floor((input - window) / stride) + 1 positions per axis, as TF `max_pooling2d(padding="valid")`
/// and PyTorch `MaxPool2d`/`AvgPool2d` without padding.
public enum Pool2D {
    public enum Kind: Sendable { case max, average }

    public static func max(_ input: Tensor, window: (Int, Int), stride: (Int, Int)) -> Tensor {
        pool(input, window: window, stride: stride, kind: .max)
    }

    public static func average(_ input: Tensor, window: (Int, Int), stride: (Int, Int)) -> Tensor {
        pool(input, window: window, stride: stride, kind: .average)
    }

    public static func pool(_ input: Tensor, window: (Int, Int), stride: (Int, Int), kind: Kind) -> Tensor {
        precondition(input.rank == 4, "Pool2D: expected NHWC, got \(input.shape)")
        precondition(window.0 > 0 && window.1 > 0 && stride.0 > 0 && stride.1 > 0, "Pool2D: invalid geometry")
        let n = input.shape[0], h = input.shape[1], w = input.shape[2], c = input.shape[3]
        let oh = h >= window.0 ? (h - window.0) / stride.0 + 1 : 0
        let ow = w >= window.1 ? (w - window.1) / stride.1 + 1 : 0
        // Every element is written below: no zero fill.
        let count = n * oh * ow * c
        var output = Tensor(shape: [n, oh, ow, c], values: [Float](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        })
        let scale = 1 / Float(window.0 * window.1)
        input.values.withUnsafeBufferPointer { x in
            output.values.withUnsafeMutableBufferPointer { y in
                var dst = y.baseAddress!
                for item in 0..<n {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let first = x.baseAddress! + ((item * h + oy * stride.0) * w + ox * stride.1) * c
                            dst.update(from: first, count: c)
                            // One branch-free loop per kind (the compiler vectorises it); the
                            // window is visited in the same order for both, first element first.
                            for dy in 0..<window.0 {
                                for dx in 0..<window.1 where dy != 0 || dx != 0 {
                                    let src = first + (dy * w + dx) * c
                                    switch kind {
                                    case .max: for o in 0..<c { dst[o] = src[o] > dst[o] ? src[o] : dst[o] }
                                    case .average: for o in 0..<c { dst[o] += src[o] }
                                    }
                                }
                            }
                            if kind == .average { for o in 0..<c { dst[o] *= scale } }
                            dst += c
                        }
                    }
                }
            }
        }
        return output
    }
}
