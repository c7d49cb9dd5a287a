// The Swin transformer stages of HTSAT (`clap_module/htsat.py`: `SwinTransformerBlock`,
// `PatchMerging`, `BasicLayer`), which follow Microsoft's Swin Transformer on a square token grid.
import Foundation
import FADNN

/// Where each token of a square grid goes when the grid is (cyclically shifted and) cut into
/// windows, and the mask that keeps a shifted window from attending across the seams.
struct SwinGeometry: Sendable {
    let side: Int
    let window: Int
    let shift: Int
    /// Windowed position k (window-major, row-major inside a window) -> token index of the grid:
    /// `torch.roll(x, -shift)` then `window_partition`; the same map undoes both.
    let source: [Int]
    /// For a shifted grid: [windows, L, L] of 0 (same region) or -100 (Swin's `attn_mask`).
    let mask: AttentionBias?

    init(side: Int, window: Int, shift: Int = 0) {
        precondition(side % window == 0 && shift < window, "SwinGeometry: side \(side), window \(window), shift \(shift)")
        self.side = side; self.window = window; self.shift = shift
        let perRow = side / window, tokens = window * window
        var source = [Int](repeating: 0, count: side * side)
        var labels = [Int](repeating: 0, count: side * side)
        // Swin's regions of the shifted grid: [0, side - window), [side - window, side - shift), [side - shift, side).
        func region(_ x: Int) -> Int { x < side - window ? 0 : (x < side - shift ? 1 : 2) }
        for wh in 0..<perRow { for ww in 0..<perRow { for i in 0..<window { for j in 0..<window {
            let k = (wh * perRow + ww) * tokens + i * window + j
            let h = wh * window + i, w = ww * window + j
            source[k] = ((h + shift) % side) * side + (w + shift) % side
            labels[k] = region(h) * 3 + region(w)
        } } } }
        self.source = source
        if shift > 0 {
            let windows = perRow * perRow
            var values = [Float](repeating: 0, count: windows * tokens * tokens)
            for n in 0..<windows { for a in 0..<tokens { for b in 0..<tokens {
                if labels[n * tokens + a] != labels[n * tokens + b] { values[(n * tokens + a) * tokens + b] = -100 }
            } } }
            mask = AttentionBias.perItem(FADNN.Tensor(shape: [windows, tokens, tokens], values: values))
        } else {
            mask = nil
        }
    }
}

/// One Swin block on [N, side * side, D] tokens:
/// `x += reverse(W-MSA(partition(roll(LN1(x)))))`, then `x += fc2(GELU(fc1(LN2(x))))`, where
/// W-MSA is multi-head attention inside each window with the relative position bias (and the
/// shifted-window mask). Every window of the batch goes through one attention call.
struct SwinBlock: Sendable {
    let norm1: LayerNorm
    let attention: MultiHeadAttention
    let positionBias: AttentionBias
    let geometry: SwinGeometry
    let norm2: LayerNorm
    let fc1: Dense
    let fc2: Dense

    func callAsFunction(_ x: inout FADNN.Tensor) {
        let n = x.shape[0], l = x.shape[1], d = x.shape[2]
        precondition(l == geometry.side * geometry.side, "SwinBlock: \(l) tokens for a \(geometry.side)-wide grid")
        let tokens = geometry.window * geometry.window
        let normed = norm1(x)
        var windows = FADNN.Tensor(shape: [n * l / tokens, tokens, d])
        geometry.source.withUnsafeBufferPointer { source in
            normed.values.withUnsafeBufferPointer { from in
                windows.values.withUnsafeMutableBufferPointer { to in
                    for item in 0..<n { for k in 0..<l {
                        let src = from.baseAddress! + (item * l + source[k]) * d
                        (to.baseAddress! + (item * l + k) * d).update(from: src, count: d)
                    } }
                }
            }
        }
        let biases = geometry.mask.map { [positionBias, $0] } ?? [positionBias]
        let attended = attention(windows, biases: biases)
        geometry.source.withUnsafeBufferPointer { source in
            attended.values.withUnsafeBufferPointer { from in
                x.values.withUnsafeMutableBufferPointer { to in
                    for item in 0..<n { for k in 0..<l {
                        let src = from.baseAddress! + (item * l + k) * d
                        let dst = to.baseAddress! + (item * l + source[k]) * d
                        for c in 0..<d { dst[c] += src[c] }
                    } }
                }
            }
        }
        var hidden = fc1(norm2(x).reshaped([n * l, d]))
        GELU().apply(to: &hidden)
        let mlp = fc2(hidden)
        x.values.withUnsafeMutableBufferPointer { to in
            mlp.values.withUnsafeBufferPointer { from in
                for i in 0..<to.count { to[i] += from[i] }
            }
        }
    }
}

/// Swin's patch merging on [N, side * side, D]: each 2x2 neighbourhood concatenated in the order
/// (even row, even column), (odd, even), (even, odd), (odd, odd) -> LayerNorm(4D) -> Linear 4D -> 2D
/// without bias: [N, side/2 * side/2, 2D].
struct PatchMerging: Sendable {
    let norm: LayerNorm
    let reduction: Dense

    func callAsFunction(_ x: FADNN.Tensor, side: Int) -> FADNN.Tensor {
        let n = x.shape[0], d = x.shape[2], half = side / 2
        var merged = FADNN.Tensor(shape: [n * half * half, 4 * d])
        x.values.withUnsafeBufferPointer { from in
            merged.values.withUnsafeMutableBufferPointer { to in
                for item in 0..<n { for h in 0..<half { for w in 0..<half {
                    let out = to.baseAddress! + ((item * half + h) * half + w) * 4 * d
                    for (part, (dh, dw)) in [(0, 0), (1, 0), (0, 1), (1, 1)].enumerated() {
                        let src = from.baseAddress! + (item * side * side + (2 * h + dh) * side + 2 * w + dw) * d
                        (out + part * d).update(from: src, count: d)
                    }
                } } }
            }
        }
        norm.apply(to: &merged)
        return reduction(merged).reshaped([n, half * half, 2 * d])
    }
}

/// One HTSAT stage (`BasicLayer`): its Swin blocks, then patch merging except in the last stage.
struct SwinStage: Sendable {
    let side: Int
    let dimension: Int
    let blocks: [SwinBlock]
    let merging: PatchMerging?

    func callAsFunction(_ input: FADNN.Tensor) -> FADNN.Tensor {
        var x = input
        for block in blocks { block(&x) }
        return merging.map { $0(x, side: side) } ?? x
    }
}
