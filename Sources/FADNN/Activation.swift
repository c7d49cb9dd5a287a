import Foundation

/// An element-wise activation applied in a layer's epilogue.
public enum Activation: String, Sendable, Hashable {
    case identity, relu, sigmoid
}

/// A per-channel affine map `x * scale[c] + shift[c]`: an inference-mode BatchNorm that could not be
/// folded into a neighbouring linear layer (e.g. musicnn's BatchNorm after a ReLU).
public struct ChannelAffine: Sendable, Equatable {
    public let scale: [Float]
    public let shift: [Float]
    public var channels: Int { scale.count }

    public init(scale: [Float], shift: [Float]) {
        precondition(scale.count == shift.count, "ChannelAffine: \(scale.count) scales, \(shift.count) shifts")
        self.scale = scale
        self.shift = shift
    }

    /// Applies the map in place to a channels-last buffer.
    public func apply(to tensor: inout Tensor) {
        precondition(tensor.shape.last == channels, "ChannelAffine: \(channels) channels, tensor \(tensor.shape)")
        let c = channels
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { t in
                tensor.values.withUnsafeMutableBufferPointer { v in
                    var i = 0
                    while i < v.count {
                        for j in 0..<c { v[i + j] = v[i + j] * s[j] + t[j] }
                        i += c
                    }
                }
            }
        }
    }
}

/// Logistic sigmoid, element-wise.
public func sigmoid(_ tensor: Tensor) -> Tensor {
    Tensor(shape: tensor.shape, values: tensor.values.map { 1 / (1 + Foundation.exp(-$0)) })
}

/// ReLU, element-wise.
public func relu(_ tensor: Tensor) -> Tensor {
    Tensor(shape: tensor.shape, values: tensor.values.map { max($0, 0) })
}

/// Softmax over the last axis, stabilised by subtracting each row's maximum.
public func softmax(_ tensor: Tensor) -> Tensor {
    guard let c = tensor.shape.last, c > 0 else { return tensor }
    var out = tensor.values
    var i = 0
    while i < out.count {
        var m = -Float.infinity
        for j in i..<(i + c) { m = max(m, out[j]) }
        var sum: Float = 0
        for j in i..<(i + c) { out[j] = Foundation.exp(out[j] - m); sum += out[j] }
        for j in i..<(i + c) { out[j] /= sum }
        i += c
    }
    return Tensor(shape: tensor.shape, values: out)
}
