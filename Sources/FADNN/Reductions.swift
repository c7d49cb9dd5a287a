/// Reductions over one axis, concatenation and element-wise sums of tensors.
public enum Reduction: Sendable { case max, mean }

extension Tensor {
    /// Reduces `axis` away: shape [a..., L, b...] -> [a..., b...]. Means accumulate in Double in
    /// index order (deterministic; within ~1 ulp of any float32 summation order).
    public func reduced(over axis: Int, _ kind: Reduction) -> Tensor {
        precondition(axis >= 0 && axis < rank, "Tensor.reduced: axis \(axis) of \(shape)")
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        precondition(length > 0, "Tensor.reduced: empty axis \(axis) of \(shape)")
        var out = [Float](repeating: 0, count: outer * inner)
        var sums = [Double](repeating: 0, count: inner)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for o in 0..<outer {
                    let base = x.baseAddress! + o * length * inner
                    let dst = y.baseAddress! + o * inner
                    switch kind {
                    case .max:
                        for i in 0..<inner { dst[i] = base[i] }
                        for l in 1..<length {
                            let src = base + l * inner
                            for i in 0..<inner where src[i] > dst[i] { dst[i] = src[i] }
                        }
                    case .mean:
                        for i in 0..<inner { sums[i] = 0 }
                        for l in 0..<length {
                            let src = base + l * inner
                            for i in 0..<inner { sums[i] += Double(src[i]) }
                        }
                        for i in 0..<inner { dst[i] = Float(sums[i] / Double(length)) }
                    }
                }
            }
        }
        var newShape = shape
        newShape.remove(at: axis)
        return Tensor(shape: newShape, values: out)
    }

    /// Concatenates tensors along their last axis; all other axes must agree.
    public static func concatenatingLastAxis(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "Tensor.concatenatingLastAxis: nothing to concatenate")
        let lead = Array(parts[0].shape.dropLast())
        precondition(parts.allSatisfy { Array($0.shape.dropLast()) == lead },
                     "Tensor.concatenatingLastAxis: shapes \(parts.map(\.shape))")
        let widths = parts.map { $0.shape.last! }
        let total = widths.reduce(0, +)
        let positions = lead.reduce(1, *)
        var out = [Float](repeating: 0, count: positions * total)
        out.withUnsafeMutableBufferPointer { y in
            var offset = 0
            for (part, width) in zip(parts, widths) {
                part.values.withUnsafeBufferPointer { x in
                    for p in 0..<positions {
                        (y.baseAddress! + p * total + offset).update(from: x.baseAddress! + p * width, count: width)
                    }
                }
                offset += width
            }
        }
        return Tensor(shape: lead + [total], values: out)
    }

    /// Element-wise sum (residual connections).
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "Tensor +: shapes \(lhs.shape) and \(rhs.shape)")
        var out = lhs
        out.values.withUnsafeMutableBufferPointer { y in
            rhs.values.withUnsafeBufferPointer { x in for i in 0..<y.count { y[i] += x[i] } }
        }
        return out
    }
}
