// Port of musicnn's `vgg` baseline (musicnn/models.py, musicnn 0.1.0, ISC licence) for the
// released MTT_vgg and MSD_vgg checkpoints, inference only.
import Foundation
import FADArrays
import FADNN
import FADFeatures

/// The VGG-like baseline of musicnn: input BatchNorm, then five blocks of conv 3x3 'same' -> 128 +
/// ReLU, BatchNorm, max-pool (valid) with windows/strides [4,1]/[2,2], [2,2]/[2,2] x3, [4,4]/[4,4]:
/// [187, 96] -> [2, 1, 128]; flattened (t * 128 + c) = `pool5` (256); dense 256 -> 50 = logits;
/// sigmoid = tag probabilities. Fixed input of 187 frames.
public struct MusicnnVGG: Sendable {
    public static let windowFrames = 187
    public static let bands = 96

    private let inputNorm: ChannelAffine
    private let blocks: [Conv2D]
    private let output: Dense
    private static let pools: [(window: (Int, Int), stride: (Int, Int))] =
        [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]

    /// Builds the network from a released checkpoint's TF variable names (`1CNN/kernel`, ...).
    public init(weights: ModelWeights) throws {
        inputNorm = try weights.tensorFlowBatchNorm("batch_normalization", channels: 1, epsilon: 1e-3).affine
        blocks = try (1...5).map { i in
            let cin = i == 1 ? 1 : 128
            return Conv2D(hwio: try weights.floats("\(i)CNN/kernel", shape: [3, 3, cin, 128]), kernelHeight: 3, kernelWidth: 3,
                          inputChannels: cin, outputChannels: 128, bias: try weights.floats("\(i)CNN/bias", shape: [128]),
                          padding: .same, activation: .relu,
                          postAffine: try weights.tensorFlowBatchNorm("batch_normalization_\(i)", channels: 128, epsilon: 1e-3).affine)
        }
        output = Dense(inOut: try weights.floats("dense/kernel", shape: [256, 50]), inputs: 256, outputs: 50,
                       bias: try weights.floats("dense/bias", shape: [50]))
    }

    /// (pool5 [B, 256], logits [B, 50]) of windows [B, 187, 96, 1].
    public func forward(_ windows: Tensor) -> (pool5: Tensor, logits: Tensor) {
        precondition(windows.rank == 4 && windows.shape[1] == Self.windowFrames && windows.shape[2] == Self.bands
                     && windows.shape[3] == 1, "MusicnnVGG: expected [B, 187, 96, 1], got \(windows.shape)")
        var x = windows
        inputNorm.apply(to: &x)
        for (conv, pool) in zip(blocks, Self.pools) {
            x = conv.maxPooled(x, window: pool.window, stride: pool.stride)
        }
        let pool5 = x.flattened()
        return (pool5, output(pool5))
    }

    public func flopsPerWindow() -> Double {
        var (h, w) = (Self.windowFrames, Self.bands)
        var total = 0.0
        for (conv, pool) in zip(blocks, Self.pools) {
            total += conv.flops(height: h, width: w)
            h = (h - pool.window.0) / pool.stride.0 + 1
            w = (w - pool.window.1) / pool.stride.1 + 1
        }
        return total + output.flops
    }

}

extension MusicnnVGG: AudioNetwork {
    /// `msd-vgg` and `mtt-vgg`: musicnn's VGG baselines, shipped inside fad; fixed 187-frame windows.
    public static let specs: [ModelSpec] = MusicnnDataset.allCases.map { dataset in
        let base = "musicnn/\(dataset.rawValue)_vgg"
        return ModelSpec(
            id: "\(dataset.rawValue.lowercased())-vgg", sampleRate: 16_000, input: .logMel(.musicnn),
            windows: .sliding(length: windowFrames, hop: windowFrames),
            layers: [LayerDescriptor(name: "pool5", dimension: 256)], defaultLayer: "pool5",
            labels: .file(base + ".labels.txt", count: 50), activation: .sigmoid,
            weights: .shipped(base + ".safetensors"), batchSize: 16)
    }

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        try self.init(weights: weights)
    }

    public func forward(_ windows: Tensor, layers: Set<String>) throws -> NetworkOutput {
        let out = forward(windows)
        return NetworkOutput(layers: layers.contains("pool5") ? ["pool5": out.pool5] : [:], logits: out.logits)
    }
}
