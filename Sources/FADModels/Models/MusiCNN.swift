// Port of musicnn's `build_musicnn` (musicnn/models.py, musicnn 0.1.0, ISC licence) for the
// released MTT_musicnn and MSD_musicnn checkpoints, inference only.
import Foundation
import FADArrays
import FADNN
import FADFeatures

/// Which training set a musicnn checkpoint comes from (MagnaTagATune or the Million Song Dataset).
public enum MusicnnDataset: String, Sendable, CaseIterable {
    case mtt = "MTT", msd = "MSD"
}

/// musicnn (Pons & Serra 2019): a musically motivated CNN over 3 s log-mel windows.
///
/// Front: BatchNorm over the single input channel; two timbral convolutions ([7, 38] and [7, 67]
/// -> 204, time zero-padded 3 + 3, valid in frequency) and three temporal ones ([128|64|32, 1] -> 51,
/// TF 'same'), each conv + ReLU + BatchNorm then max over frequency: [T, 561]. Mid: three
/// [7, channels] -> 64 convolutions over the zero-padded time axis, the 2nd and 3rd residual:
/// concatenated with the front to [T, 753]. Back: max and mean over time, INTERLEAVED
/// ([max0, mean0, max1, ...], TF's flatten of concat([max, mean], 2)), BatchNorm, dense 1506 -> 200
/// + ReLU, BatchNorm (= `penultimate`), dense 200 -> 50 = logits; sigmoid = tag probabilities.
/// BatchNorm epsilon 1e-3 (TF default).
///
/// BatchNorms after a ReLU run as per-channel affines fused into the conv epilogue (exact); the
/// back end's BatchNorm before the first dense layer is folded into it (exact); the input
/// BatchNorm is applied to the input because the zero padding that follows is not normalised.
public struct MusiCNN: Sendable {
    public static let windowFrames = 187
    public static let bands = 96
    static let epsilon: Float = 1e-3

    private let inputNorm: ChannelAffine
    private let timbral: [Conv2D]
    private let temporal: [Conv2D]
    private let midEnd: [Conv2D]
    private let penultimate: Dense
    private let output: Dense

    /// Builds the network from a released checkpoint's TF variable names (`conv2d_N/kernel`, ...).
    public init(weights: ModelWeights) throws {
        let eps = Self.epsilon
        func bn(_ index: Int, _ channels: Int) throws -> BatchNorm {
            try weights.tensorFlowBatchNorm(index == 0 ? "batch_normalization" : "batch_normalization_\(index)",
                                            channels: channels, epsilon: eps)
        }
        func conv(_ index: Int, _ kh: Int, _ kw: Int, _ cin: Int, _ cout: Int, padding: Padding,
                  norm: Int, storedShape: [Int]? = nil) throws -> Conv2D {
            let prefix = index == 0 ? "conv2d" : "conv2d_\(index)"
            return Conv2D(hwio: try weights.floats("\(prefix)/kernel", shape: storedShape ?? [kh, kw, cin, cout]),
                          kernelHeight: kh, kernelWidth: kw, inputChannels: cin, outputChannels: cout,
                          bias: try weights.floats("\(prefix)/bias", shape: [cout]), padding: padding,
                          activation: .relu, postAffine: try bn(norm, cout).affine)
        }
        let timePad = Padding.explicit(top: 3, bottom: 3, left: 0, right: 0)
        inputNorm = try bn(0, 1).affine
        timbral = [try conv(0, 7, 38, 1, 204, padding: timePad, norm: 1),
                   try conv(1, 7, 67, 1, 204, padding: timePad, norm: 2)]
        temporal = [try conv(2, 128, 1, 1, 51, padding: .same, norm: 3),
                    try conv(3, 64, 1, 1, 51, padding: .same, norm: 4),
                    try conv(4, 32, 1, 1, 51, padding: .same, norm: 5)]
        // TF convolves [T, C, 1] maps with [7, C] kernels (HWIO [7, C, 1, 64]); the same memory read
        // as [7, 1, C, 64] is a 7x1 convolution over [T, 1, C] channels-last maps.
        midEnd = [try conv(5, 7, 1, 561, 64, padding: timePad, norm: 6, storedShape: [7, 561, 1, 64]),
                  try conv(6, 7, 1, 64, 64, padding: timePad, norm: 7, storedShape: [7, 64, 1, 64]),
                  try conv(7, 7, 1, 64, 64, padding: timePad, norm: 8, storedShape: [7, 64, 1, 64])]
        penultimate = Dense(inOut: try weights.floats("dense/kernel", shape: [1506, 200]), inputs: 1506, outputs: 200,
                            bias: try weights.floats("dense/bias", shape: [200]), activation: .relu,
                            postAffine: try bn(10, 200).affine)
            .foldingPreceding(try bn(9, 1506).affine)
        output = Dense(inOut: try weights.floats("dense_1/kernel", shape: [200, 50]), inputs: 200, outputs: 50,
                       bias: try weights.floats("dense_1/bias", shape: [50]))
    }

    /// Outputs of one batch of windows.
    public struct Activations: Sendable {
        public var maxPool: Tensor      // [B, 753]
        public var meanPool: Tensor     // [B, 753]
        public var penultimate: Tensor  // [B, 200]
        public var logits: Tensor       // [B, 50]
    }

    /// The network on windows [B, T, 96, 1] of log-mel (T = 187 for the released models; the
    /// architecture accepts any T >= 1).
    public func forward(_ windows: Tensor) -> Activations {
        precondition(windows.rank == 4 && windows.shape[2] == Self.bands && windows.shape[3] == 1,
                     "MusiCNN: expected [B, T, 96, 1], got \(windows.shape)")
        var x = windows
        inputNorm.apply(to: &x)
        let front = Tensor.concatenatingLastAxis(timbral.map { $0.maxOverWidth(x) } + temporal.map { $0.maxOverWidth(x) })
        let b = front.shape[0], t = front.shape[1]
        let c1 = midEnd[0](front.reshaped([b, t, 1, 561]))
        let c2 = midEnd[1](c1) + c1
        let c3 = midEnd[2](c2) + c2
        let features = Tensor.concatenatingLastAxis([front, c1.reshaped([b, t, 64]), c2.reshaped([b, t, 64]),
                                                     c3.reshaped([b, t, 64])])
        let maxPool = features.reduced(over: 1, .max)
        let meanPool = features.reduced(over: 1, .mean)
        let interleaved = Tensor.concatenatingLastAxis([maxPool.reshaped([b, 753, 1]), meanPool.reshaped([b, 753, 1])])
            .reshaped([b, 1506])
        let hidden = penultimate(interleaved)
        return Activations(maxPool: maxPool, meanPool: meanPool, penultimate: hidden, logits: output(hidden))
    }

    /// FLOPs (2 per multiply-add) of the convolutions and dense layers for one window of T frames.
    public func flopsPerWindow(frames t: Int = windowFrames) -> Double {
        timbral.map { $0.flops(height: t, width: Self.bands) }.reduce(0, +)
            + temporal.map { $0.flops(height: t, width: Self.bands) }.reduce(0, +)
            + midEnd.map { $0.flops(height: t, width: 1) }.reduce(0, +)
            + penultimate.flops + output.flops
    }

}

extension MusiCNN: AudioNetwork {
    /// `msd-musicnn` and `mtt-musicnn`: the released checkpoints, shipped inside fad; 3 s windows
    /// (187 frames of musicnn's 16 kHz log-mel), not overlapping unless a hop is given.
    public static let specs: [ModelSpec] = MusicnnDataset.allCases.map { dataset in
        let base = "musicnn/\(dataset.rawValue)_musicnn"
        return ModelSpec(
            id: "\(dataset.rawValue.lowercased())-musicnn", sampleRate: 16_000, input: .logMel(.musicnn),
            windows: .sliding(length: windowFrames, hop: windowFrames),
            layers: [LayerDescriptor(name: "max_pool", dimension: 753), LayerDescriptor(name: "mean_pool", dimension: 753),
                     LayerDescriptor(name: "penultimate", dimension: 200)],
            // The FAD default is the 50 tag logits (the `logits` classifier output, which every
            // model with labels offers as a layer): the README's default-embedding study found
            // them monotonic under every degradation and the best at telling genres apart
            // (20.7x vs 8.1x for penultimate, 2.8x for max_pool).
            defaultLayer: "logits", labels: .file(base + ".labels.txt", count: 50), activation: .sigmoid,
            // ~1 MB of activations per window.
            weights: .shipped(base + ".safetensors"), batchSize: 32)
    }

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        try self.init(weights: weights)
    }

    public func forward(_ windows: Tensor, layers: Set<String>) throws -> NetworkOutput {
        let out = forward(windows)
        var outputs: [String: Tensor] = [:]
        if layers.contains("max_pool") { outputs["max_pool"] = out.maxPool }
        if layers.contains("mean_pool") { outputs["mean_pool"] = out.meanPool }
        if layers.contains("penultimate") { outputs["penultimate"] = out.penultimate }
        return NetworkOutput(layers: outputs, logits: out.logits)
    }
}
