// PANNs Wavegram-Logmel-CNN14 (Kong et al. 2020), as qiuqiangkong/audioset_tagging_cnn
// (`pytorch/models.py`, `Wavegram_Logmel_Cnn14`) defines it: a learnt "wavegram" from the raw
// waveform (strided Conv1d, three dilated Conv1d blocks with max pooling, folded into a 32-bin
// 2-D map and one 2-D conv block) beside CNN14's log-mel branch after its first conv block; the
// two are concatenated along channels and run through CNN14's blocks 2..6 and head.
import Foundation
import FADArrays
import FADFeatures
import FADNN

/// Wavegram-Logmel-CNN14 on 32 kHz waveforms; one 2048-d embedding and 527 AudioSet logits per
/// input (the network pools over the whole clip). Both branches read the waveform, so the model's
/// input is the waveform and the log-mel (FADFeatures' `.pannsCNN14` front end, the same as
/// `panns-cnn14`) is computed inside the forward pass.
///
/// Time lengths, for an input of L samples: the wavegram branch has
/// Tw = floor(ceil(L / 5) / 128) frames after its last block (stride 5, three max pools of 4, one
/// average pool of 2); the log-mel branch has Tm = floor((floor(L / 320) + 1) / 2) after
/// conv_block1. Tm = Tw + 1 when L mod 640 is in 320..<636, where the reference's `torch.cat`
/// raises; fad then drops the log-mel branch's last frame (Tw <= Tm always), which changes nothing
/// wherever the reference runs.
public struct PANNsWavegramLogmelCNN14: Sendable {
    /// The registry id and import name.
    public static let modelName = "panns-wavegram-logmel"
    public static let sampleRate = 32_000
    public static let melBands = 64
    public static let embeddingSize = 2048
    public static let classCount = 527
    /// The smallest input: 16 frames in both branches after conv_block1, which the four 2x2 pools
    /// of blocks 2..5 need (Tw = floor(2048 / 128) = 16, Tm = floor(33 / 2) = 16). Shorter clips
    /// are zero-padded to it.
    public static let minimumSamples = 10_240
    /// A `--window-hop` cuts windows of 10 s (the length the model was trained on).
    public static let windowSamples = 320_000

    /// Conv1d blocks of the wavegram branch: (input, output) channels.
    static let waveBlocks = [(64, 64), (64, 128), (128, 128)]
    /// CNN14's conv blocks 2..6 after the concatenation: (input, output) channels.
    static let blocks = [(128, 128), (128, 256), (256, 512), (512, 1024), (1024, 2048)]

    private let frontEnd = LogMelFrontEnd(.pannsCNN14)
    private let preConv0: Conv1D
    private let preBlocks: [(Conv1D, Conv1D)]
    private let preBlock4: (Conv2D, Conv2D)
    private let inputAffine: ChannelAffine
    private let convBlock1: (Conv2D, Conv2D)
    private let convolutions: [(Conv2D, Conv2D)]
    private let fc1: Dense
    private let fcAudioSet: Dense

    /// Keys and shapes of the official checkpoint's `model` state dict. Conv1d weights stay in
    /// PyTorch's [out, in, kernel] (FADNN's `Conv1D` converts them); torchlibrosa's STFT and mel
    /// kernels are ignored: fad computes the same front end itself.
    public static var importSpec: TorchImportSpec {
        var tensors: [TorchImportSpec.Tensor] = []
        func bn(_ name: String, _ c: Int) {
            for p in ["weight", "bias", "running_mean", "running_var"] {
                tensors.append(.init(name: "\(name).\(p)", torchShape: [c], layout: .vector))
            }
        }
        func block2D(_ name: String, _ cin: Int, _ c: Int) {
            tensors.append(.init(name: "\(name).conv1.weight", torchShape: [c, cin, 3, 3], layout: .convolution))
            tensors.append(.init(name: "\(name).conv2.weight", torchShape: [c, c, 3, 3], layout: .convolution))
            bn("\(name).bn1", c)
            bn("\(name).bn2", c)
        }
        tensors.append(.init(name: "pre_conv0.weight", torchShape: [64, 1, 11], layout: .vector))
        bn("pre_bn0", 64)
        for (b, (cin, c)) in waveBlocks.enumerated() {
            tensors.append(.init(name: "pre_block\(b + 1).conv1.weight", torchShape: [c, cin, 3], layout: .vector))
            tensors.append(.init(name: "pre_block\(b + 1).conv2.weight", torchShape: [c, c, 3], layout: .vector))
            bn("pre_block\(b + 1).bn1", c)
            bn("pre_block\(b + 1).bn2", c)
        }
        block2D("pre_block4", 4, 64)
        bn("bn0", melBands)
        block2D("conv_block1", 1, 64)
        for (b, (cin, c)) in blocks.enumerated() { block2D("conv_block\(b + 2)", cin, c) }
        tensors.append(.init(name: "fc1.weight", torchShape: [2048, 2048], layout: .dense))
        tensors.append(.init(name: "fc1.bias", torchShape: [2048], layout: .vector))
        tensors.append(.init(name: "fc_audioset.weight", torchShape: [classCount, 2048], layout: .dense))
        tensors.append(.init(name: "fc_audioset.bias", torchShape: [classCount], layout: .vector))
        return TorchImportSpec(modelName: modelName, tensors: tensors,
                               ignoredPrefixes: ["spectrogram_extractor.", "logmel_extractor."])
    }

    /// The official checkpoint (Zenodo record 3987831, which publishes an MD5 per file).
    public static let officialCheckpoint = OfficialCheckpoint(
        file: "Wavegram_Logmel_Cnn14_mAP=0.439.pth",
        url: "https://zenodo.org/record/3987831/files/Wavegram_Logmel_Cnn14_mAP%3D0.439.pth?download=1", digest: nil)

    /// Builds the network from imported weights (see `TorchImporter`). Every BatchNorm (eps 1e-5)
    /// follows a bias-free convolution and is folded into it, except bn0, which normalises each
    /// mel bin before a zero-padded convolution.
    public init(weights: WeightSource) throws {
        func bn(_ name: String, _ c: Int) throws -> ChannelAffine {
            BatchNorm(gamma: try weights.floats("\(name).weight", shape: [c]),
                      beta: try weights.floats("\(name).bias", shape: [c]),
                      mean: try weights.floats("\(name).running_mean", shape: [c]),
                      variance: try weights.floats("\(name).running_var", shape: [c]), epsilon: 1e-5).affine
        }
        // conv1d (no bias) + BatchNorm + ReLU: each output channel's kernel row scaled, shift = bias.
        func conv1D(_ name: String, _ norm: String, _ cin: Int, _ c: Int, kernel: Int, stride: Int = 1,
                    dilation: Int = 1, padding: Int) throws -> Conv1D {
            var weight = try weights.floats("\(name).weight", shape: [c, cin, kernel])
            let affine = try bn(norm, c)
            let row = cin * kernel
            weight.withUnsafeMutableBufferPointer { w in
                for o in 0..<c { for i in 0..<row { w[o * row + i] *= affine.scale[o] } }
            }
            return try Conv1D(weight: FADNN.Tensor(shape: [c, cin, kernel], values: weight),
                              bias: FADNN.Tensor(shape: [c], values: affine.shift), stride: stride, dilation: dilation,
                              padding: .symmetric(padding), activation: .relu, name: name)
        }
        // conv2d 3x3 (no bias) + BatchNorm + ReLU, the HWIO kernel scaled per output channel.
        func conv2D(_ name: String, _ norm: String, _ cin: Int, _ c: Int) throws -> Conv2D {
            var kernel = try weights.floats("\(name).weight", shape: [3, 3, cin, c])
            let affine = try bn(norm, c)
            affine.scale.withUnsafeBufferPointer { scale in
                kernel.withUnsafeMutableBufferPointer { w in
                    var i = 0
                    while i < w.count {
                        for o in 0..<c { w[i + o] *= scale[o] }
                        i += c
                    }
                }
            }
            return Conv2D(hwio: kernel, kernelHeight: 3, kernelWidth: 3, inputChannels: cin, outputChannels: c,
                          bias: affine.shift, padding: .explicit(top: 1, bottom: 1, left: 1, right: 1), activation: .relu)
        }
        func block2D(_ name: String, _ cin: Int, _ c: Int) throws -> (Conv2D, Conv2D) {
            (try conv2D("\(name).conv1", "\(name).bn1", cin, c), try conv2D("\(name).conv2", "\(name).bn2", c, c))
        }
        preConv0 = try conv1D("pre_conv0", "pre_bn0", 1, 64, kernel: 11, stride: 5, padding: 5)
        preBlocks = try Self.waveBlocks.enumerated().map { b, channels in
            let name = "pre_block\(b + 1)"
            return (try conv1D("\(name).conv1", "\(name).bn1", channels.0, channels.1, kernel: 3, padding: 1),
                    try conv1D("\(name).conv2", "\(name).bn2", channels.1, channels.1, kernel: 3, dilation: 2, padding: 2))
        }
        preBlock4 = try block2D("pre_block4", 4, 64)
        inputAffine = try bn("bn0", Self.melBands)
        convBlock1 = try block2D("conv_block1", 1, 64)
        convolutions = try Self.blocks.enumerated().map { b, channels in try block2D("conv_block\(b + 2)", channels.0, channels.1) }
        fc1 = Dense(inOut: try weights.floats("fc1.weight", shape: [2048, 2048]), inputs: 2048, outputs: 2048,
                    bias: try weights.floats("fc1.bias", shape: [2048]), activation: .relu)
        fcAudioSet = Dense(inOut: try weights.floats("fc_audioset.weight", shape: [2048, Self.classCount]),
                           inputs: 2048, outputs: Self.classCount,
                           bias: try weights.floats("fc_audioset.bias", shape: [Self.classCount]))
    }

    /// Loads an imported `panns-wavegram-logmel.safetensors`.
    public init(contentsOf url: URL) throws {
        try self.init(weights: try SafetensorsFile(contentsOf: url))
    }

    /// Wavegram frames after pre_block4 for `samples` input samples (see the type's documentation).
    public static func wavegramFrames(samples: Int) -> Int { (samples + 4) / 5 / 128 }

    /// Log-mel frames after conv_block1 for `samples` input samples.
    public static func logMelFrames(samples: Int) -> Int { (samples / 320 + 1) / 2 }

    /// Runs the network on a batch of equally long waveforms [N, samples] (or [N, samples, 1]),
    /// samples >= `minimumSamples`. Returns the embeddings [N, 2048] and logits [N, 527].
    public func callAsFunction(waveforms: FADNN.Tensor) throws -> (embedding: FADNN.Tensor, logits: FADNN.Tensor) {
        guard (waveforms.rank == 2 || (waveforms.rank == 3 && waveforms.shape[2] == 1)),
              waveforms.shape[1] >= Self.minimumSamples else {
            throw ModelError(path: Self.modelName, kind: .invalidInput,
                             reason: "expected [N, samples >= \(Self.minimumSamples)] mono waveforms, got \(waveforms.shape)")
        }
        let n = waveforms.shape[0], samples = waveforms.shape[1]

        // Wavegram: [N, L, 1] -> [N, ceil(L/5), 64] -> three blocks with max pools of 4 -> [N, T, 128].
        var wave = preConv0(waveforms.reshaped([n, samples, 1]))
        for (conv1, conv2) in preBlocks {
            wave = conv2(conv1(wave))
            let (t, c) = (wave.shape[1], wave.shape[2])
            wave = Pool2D.max(wave.reshaped([n, t, 1, c]), window: (4, 1), stride: (4, 1))
            wave = wave.reshaped([n, wave.shape[1], c])
        }
        // PyTorch reshapes [N, 128, T] to [N, 4, 32, T] (channel 32g + f -> group g, bin f) and
        // swaps the last two axes: channels-last [N, T, 4, 32] -> [N, T, 32, 4].
        let t3 = wave.shape[1]
        var wavegram = wave.reshaped([n, t3, 4, 32]).permuted([0, 1, 3, 2])
        wavegram = preBlock4.1(preBlock4.0(wavegram))
        wavegram = Pool2D.average(wavegram, window: (2, 1), stride: (2, 1))

        // Log-mel branch: each waveform through the front end, bn0, conv_block1.
        var frames = 0
        var logMelValues: [Float] = []
        for i in 0..<n {
            let logMel = try frontEnd(Array(waveforms.values[i * samples ..< (i + 1) * samples]))
            frames = logMel.rows
            logMelValues += logMel.values
        }
        var x = FADNN.Tensor(shape: [n, frames, Self.melBands], values: logMelValues)
        inputAffine.apply(to: &x)
        x = convBlock1.1(convBlock1.0(x.reshaped([n, frames, Self.melBands, 1])))
        x = Pool2D.average(x, window: (2, 2), stride: (2, 2))

        // The log-mel branch is at most one frame longer: cut it to the wavegram's length.
        let time = wavegram.shape[1]
        precondition(x.shape[1] >= time && x.shape[2] == wavegram.shape[2],
                     "PANNsWavegramLogmelCNN14: branches \(x.shape) and \(wavegram.shape)")
        if x.shape[1] > time { x = x.slice(time: time) }
        x = FADNN.Tensor.concatenatingLastAxis([x, wavegram])

        for (b, (conv1, conv2)) in convolutions.enumerated() {
            x = conv2(conv1(x))
            if b < 4 { x = Pool2D.average(x, window: (2, 2), stride: (2, 2)) }
        }
        // [N, T', F', 2048]: mean over frequency, then max + mean over time.
        let overFrequency = x.reduced(over: 2, .mean)
        let pooled = overFrequency.reduced(over: 1, .max) + overFrequency.reduced(over: 1, .mean)
        let embedding = fc1(pooled)
        return (embedding, fcAudioSet(embedding))
    }

    /// FLOPs (2 per multiply-add) of one clip of `samples` samples (convolutions and head; the
    /// front end's FFTs are not counted).
    public static func flops(samples: Int) -> Double {
        var flops = 0.0
        var t = (samples + 4) / 5
        flops += 2 * Double(t * 11 * 64)
        for (cin, c) in waveBlocks {
            flops += 2 * Double(t * 3) * Double(cin * c + c * c)
            t /= 4
        }
        flops += 2 * Double(t * 32 * 9) * Double(4 * 64 + 64 * 64)
        var h = samples / 320 + 1, w = melBands
        flops += 2 * Double(h * w * 9) * Double(1 * 64 + 64 * 64)
        h = min(h / 2, t / 2); w /= 2
        for (b, (cin, c)) in blocks.enumerated() {
            flops += 2 * Double(h * w * 9) * Double(cin * c + c * c)
            if b < 4 { h /= 2; w /= 2 }
        }
        return flops + 2 * Double(2048 * 2048 + 2048 * classCount)
    }
}

private extension FADNN.Tensor {
    /// The first `time` steps of axis 1 of an [N, T, ...] tensor.
    func slice(time: Int) -> FADNN.Tensor {
        let n = shape[0], inner = shape[2...].reduce(1, *), length = shape[1]
        var values: [Float] = []
        values.reserveCapacity(n * time * inner)
        for i in 0..<n { values += self.values[i * length * inner ..< (i * length + time) * inner] }
        return FADNN.Tensor(shape: [n, time] + Array(shape[2...]), values: values)
    }
}

extension PANNsWavegramLogmelCNN14: AudioNetwork {
    /// `panns-wavegram-logmel`: the whole clip in one pass (as PANNs' inference), zero-padded to
    /// at least `minimumSamples`; a window hop (in samples) cuts 10 s windows.
    public static let specs: [ModelSpec] = [
        ModelSpec(id: modelName, sampleRate: sampleRate, input: .waveform,
                  windows: .wholeClip(length: windowSamples, minimum: minimumSamples),
                  layers: [LayerDescriptor(name: "embedding", dimension: embeddingSize)], defaultLayer: "embedding",
                  labels: .file("audioset/labels.txt", count: classCount), activation: .sigmoid,
                  weights: .imported(officialCheckpoint, importSpec), batchSize: 8),
    ]

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        guard spec.id == Self.modelName else {
            throw ModelError(path: spec.id, kind: .unknownModel, reason: "not the Wavegram-Logmel-CNN14 id")
        }
        try self.init(weights: weights)
    }

    /// [N, samples, 1] waveform -> the 2048-d embedding and the 527 AudioSet logits.
    public func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput {
        let output = try self(waveforms: windows)
        return NetworkOutput(layers: ["embedding": output.embedding], logits: output.logits)
    }
}
