/// Checked arithmetic for sizes read from files: every parser of outside bytes (`.npy`, PyTorch
/// zip and pickle, safetensors, `.fadstats`, cache entries) sizes its buffers through these, so
/// that a shape whose product overflows, or a strided view whose extent wraps around, is an error
/// and never a short buffer or a read out of bounds.
///
/// Each function returns nil when the answer does not fit an `Int` or an input is negative; the
/// caller turns nil into its own error naming the file.
public enum CheckedSize {
    /// The product of `shape` (1 for a scalar), or nil on a negative dimension or overflow.
    public static func elementCount<S: Sequence>(_ shape: S) -> Int? where S.Element == Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// `count * elementSize`, or nil on a negative input or overflow.
    public static func byteCount(elements count: Int, elementSize: Int) -> Int? {
        guard count >= 0, elementSize >= 0 else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        return overflow ? nil : bytes
    }

    /// The byte count of an array of `shape` whose elements take `elementSize` bytes, or nil.
    public static func byteCount<S: Sequence>(shape: S, elementSize: Int) -> Int? where S.Element == Int {
        elementCount(shape).flatMap { byteCount(elements: $0, elementSize: elementSize) }
    }

    /// `a + b` for non-negative sizes, or nil.
    public static func sum(_ a: Int, _ b: Int) -> Int? {
        guard a >= 0, b >= 0 else { return nil }
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : total
    }

    /// The number of storage elements a strided view needs: one past the largest element index
    /// it reads, `offset + Σ (size - 1) · stride + 1`, or 0 for a view of no elements. Nil when
    /// the ranks differ, a size, stride or the offset is negative, or the sum overflows.
    ///
    /// A view is inside a storage of `n` elements exactly when the result is at most `n`.
    public static func viewExtent(offset: Int, shape: [Int], strides: [Int]) -> Int? {
        guard shape.count == strides.count, offset >= 0,
              shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else { return nil }
        if shape.contains(0) { return 0 }
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            guard !overflow, let next = sum(last, step) else { return nil }
            last = next
        }
        return sum(last, 1)
    }

    /// Whether `count` bytes starting at `offset` lie inside a buffer of `available` bytes.
    public static func fits(offset: Int, count: Int, in available: Int) -> Bool {
        guard offset >= 0, count >= 0, available >= 0, offset <= available else { return false }
        return count <= available - offset
    }
}
