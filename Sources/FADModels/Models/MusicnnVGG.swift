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
public final class MusicnnVGG: AudioEmbeddingModel {
    public static let windowFrames = 187
    public static let bands = 96

    public let descriptor: ModelDescriptor
    public let batchSize = 16
    public let frontEnd: (@Sendable ([Float]) throws -> Matrix<Float>)?

    private let inputNorm: ChannelAffine
    private let blocks: [Conv2D]
    private let output: Dense
    private static let pools: [(window: (Int, Int), stride: (Int, Int))] =
        [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]

    public convenience init(_ dataset: MusicnnDataset, store: ModelStore = .default,
                            frontEnd: (@Sendable ([Float]) throws -> Matrix<Float>)? = defaultMusicnnFrontEnd) throws {
        let base = "musicnn/\(dataset.rawValue)_vgg"
        try self.init(name: "\(dataset.rawValue.lowercased())-vgg", weights: try store.file(base + ".safetensors"),
                      labels: try store.file(base + ".labels.txt"), frontEnd: frontEnd)
    }

    /// Loads a checkpoint from files on disk.
    public convenience init(name: String, weights: URL, labels: URL,
                            frontEnd: (@Sendable ([Float]) throws -> Matrix<Float>)? = defaultMusicnnFrontEnd) throws {
        try self.init(name: name, weights: ModelStore.File(url: weights), labels: ModelStore.File(url: labels), frontEnd: frontEnd)
    }

    init(name: String, weights: ModelStore.File, labels: ModelStore.File,
         frontEnd: (@Sendable ([Float]) throws -> Matrix<Float>)?) throws {
        let reader = try WeightReader(weights)
        inputNorm = try reader.batchNorm("batch_normalization", channels: 1, epsilon: 1e-3).affine
        blocks = try (1...5).map { i in
            let cin = i == 1 ? 1 : 128
            return Conv2D(hwio: try reader.floats("\(i)CNN/kernel", [3, 3, cin, 128]), kernelHeight: 3, kernelWidth: 3,
                          inputChannels: cin, outputChannels: 128, bias: try reader.floats("\(i)CNN/bias", [128]),
                          padding: .same, activation: .relu,
                          postAffine: try reader.batchNorm("batch_normalization_\(i)", channels: 128, epsilon: 1e-3).affine)
        }
        output = Dense(inOut: try reader.floats("dense/kernel", [256, 50]), inputs: 256, outputs: 50,
                       bias: try reader.floats("dense/bias", [50]))
        try reader.finish()
        self.frontEnd = frontEnd
        descriptor = ModelDescriptor(
            name: name, sampleRate: 16000, frontEnd: .musicnn, windowFrames: Self.windowFrames,
            frameHop: 256, layers: [LayerDescriptor(name: "pool5", dimension: 256)], defaultLayer: "pool5",
            labels: try readLabels(labels, count: 50), weightsDigest: reader.digest)
    }

    /// (pool5 [B, 256], logits [B, 50]) of windows [B, 187, 96, 1].
    public func forward(_ windows: Tensor) -> (pool5: Tensor, logits: Tensor) {
        precondition(windows.rank == 4 && windows.shape[1] == Self.windowFrames && windows.shape[2] == Self.bands
                     && windows.shape[3] == 1, "MusicnnVGG: expected [B, 187, 96, 1], got \(windows.shape)")
        var x = windows
        inputNorm.apply(to: &x)
        for (conv, pool) in zip(blocks, Self.pools) {
            x = Pool2D.max(conv(x), window: pool.window, stride: pool.stride)
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

    public func analyze(logMel: Matrix<Float>, layers: Set<String>, windowHop: Int? = nil) throws -> ModelOutput {
        for layer in layers { _ = try descriptor.layer(layer) }
        guard logMel.columns == Self.bands else {
            throw ModelError(path: descriptor.name, kind: .invalidInput, reason: "log-mel has \(logMel.columns) bands, expected 96")
        }
        guard logMel.rows > 0 else {
            throw ModelError(path: descriptor.name, kind: .invalidInput, reason: "empty input (no log-mel frames)")
        }
        let windowing = try Windowing(length: Self.windowFrames, hop: windowHop ?? Self.windowFrames)
        let starts = windowing.starts(frames: logMel.rows)
        var pool5: [Float] = [], logits: [Float] = []
        var first = 0
        while first < starts.count {
            let count = min(batchSize, starts.count - first)
            let out = forward(windowing.batch(logMel, starts: starts[first ..< first + count]))
            if layers.contains("pool5") { pool5 += out.pool5.values }
            logits += out.logits.values
            first += count
        }
        let n = starts.count
        let logitMatrix = Matrix(rows: n, columns: 50, values: logits)
        return ModelOutput(embeddings: layers.contains("pool5") ? ["pool5": Matrix(rows: n, columns: 256, values: pool5)] : [:],
                           logits: logitMatrix, probabilities: sigmoid(Tensor(logitMatrix)).matrix, windowStarts: starts)
    }

    public func analyze(samples: [Float], layers: Set<String>, windowHop: Int?) throws -> ModelOutput {
        try analyze(logMel: try musicnnLogMel(samples, frontEnd: frontEnd, model: descriptor.name),
                    layers: layers, windowHop: windowHop)
    }
}
