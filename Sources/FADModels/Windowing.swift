import FADArrays
import FADNN

/// Cuts a [frames, bands] log-mel into model windows.
///
/// Windows of `length` frames start at 0, hop, 2 hop, ... while a whole window fits; the tail
/// that does not fill a window is dropped, as musicnn's extractor does. A clip SHORTER than one
/// window (where musicnn's extractor fails) is zero-padded at the end to exactly one window:
/// for musicnn's log10(1 + 10000 x) compression a zero frame is digital silence.
public struct Windowing: Sendable, Hashable {
    public let length: Int
    public let hop: Int

    public init(length: Int, hop: Int) throws {
        guard length > 0 else { throw ModelError(path: "<windowing>", kind: .invalidInput, reason: "window length \(length) must be positive") }
        guard hop > 0 else { throw ModelError(path: "<windowing>", kind: .invalidInput, reason: "window hop \(hop) must be positive") }
        self.length = length; self.hop = hop
    }

    /// First frame of each window for a clip of `frames` frames (one window at 0 when shorter).
    public func starts(frames: Int) -> [Int] {
        frames <= length ? [0] : Array(stride(from: 0, through: frames - length, by: hop))
    }

    /// Windows `starts[range]` as a tensor [count, length, bands, 1].
    public func batch(_ logMel: Matrix<Float>, starts: ArraySlice<Int>) -> Tensor {
        let bands = logMel.columns
        var values = [Float](repeating: 0, count: starts.count * length * bands)
        for (i, start) in starts.enumerated() {
            let frames = min(length, logMel.rows - start)
            guard frames > 0 else { continue }
            let src = start * bands
            values.replaceSubrange(i * length * bands ..< i * length * bands + frames * bands,
                                   with: logMel.values[src ..< src + frames * bands])
        }
        return Tensor(shape: [starts.count, length, bands, 1], values: values)
    }
}
