// PANNs CNN14 (Kong et al. 2020), as panns_inference 0.1.1 (`panns_inference/models.py`, `Cnn14`)
// defines it: BatchNorm over mel bins, six conv blocks, frequency mean, (time max + time mean),
// fc1 + ReLU = the 2048-d embedding, fc_audioset + sigmoid = 527 AudioSet probabilities.
import Foundation
import FADArrays
import FADFeatures
import FADNN

/// The CNN14 network on a log-mel spectrogram [T, 64] (torchlibrosa's front end: dB of a Slaney mel
/// power spectrogram). One output per input: the model pools over the whole clip.
public struct PANNsCNN14: Sendable {
    /// The two released front-end configurations (the network layers are the same).
    public enum Variant: String, Sendable, CaseIterable {
        /// `Cnn14_mAP=0.431.pth`: 32 kHz, window 1024, hop 320, 64 mels 50..14000 Hz.
        case khz32 = "panns-cnn14"
        /// `Cnn14_16k_mAP=0.438.pth`: 16 kHz, window 512, hop 160, 64 mels 50..8000 Hz.
        case khz16 = "panns-cnn14-16k"

        public var sampleRate: Int { self == .khz32 ? 32_000 : 16_000 }
        public var windowSize: Int { self == .khz32 ? 1024 : 512 }
        public var hopSize: Int { self == .khz32 ? 320 : 160 }
        public var maximumFrequency: Double { self == .khz32 ? 14_000 : 8_000 }
        public var minimumFrequency: Double { 50 }
        public var modelName: String { rawValue }
    }

    /// One clip's outputs.
    public struct Output: Sendable {
        /// relu(fc1(.)): the 2048-d embedding PANNs and audioldm_eval use.
        public var embedding: [Float]
        /// fc_audioset outputs, before the sigmoid.
        public var logits: [Float]
        /// sigmoid(logits): PANNs' `clipwise_output`, in AudioSet class order (see `audioSetLabels`).
        public var probabilities: [Float]
    }

    public static let melBands = 64
    public static let embeddingSize = 2048
    public static let classCount = 527
    static let channels = [64, 128, 256, 512, 1024, 2048]

    public let variant: Variant
    private let inputAffine: ChannelAffine
    private let convolutions: [(Conv2D, Conv2D)]
    private let fc1: Dense
    private let fcAudioSet: Dense

    /// Keys and shapes of the official checkpoints' `model` state dict. The STFT and mel kernels
    /// of torchlibrosa are ignored: fad computes the same front end itself.
    public static func importSpec(_ variant: Variant) -> TorchImportSpec {
        var tensors: [TorchImportSpec.Tensor] = []
        func bn(_ name: String, _ c: Int) {
            for p in ["weight", "bias", "running_mean", "running_var"] {
                tensors.append(.init(name: "\(name).\(p)", torchShape: [c], layout: .vector))
            }
        }
        bn("bn0", melBands)
        var inputs = 1
        for (b, c) in channels.enumerated() {
            let block = "conv_block\(b + 1)"
            tensors.append(.init(name: "\(block).conv1.weight", torchShape: [c, inputs, 3, 3], layout: .convolution))
            tensors.append(.init(name: "\(block).conv2.weight", torchShape: [c, c, 3, 3], layout: .convolution))
            bn("\(block).bn1", c)
            bn("\(block).bn2", c)
            inputs = c
        }
        tensors.append(.init(name: "fc1.weight", torchShape: [2048, 2048], layout: .dense))
        tensors.append(.init(name: "fc1.bias", torchShape: [2048], layout: .vector))
        tensors.append(.init(name: "fc_audioset.weight", torchShape: [classCount, 2048], layout: .dense))
        tensors.append(.init(name: "fc_audioset.bias", torchShape: [classCount], layout: .vector))
        return TorchImportSpec(modelName: variant.modelName, tensors: tensors,
                               ignoredPrefixes: ["spectrogram_extractor.", "logmel_extractor."])
    }

    /// Builds the network from imported weights (see `TorchImporter`); BatchNorms that follow a
    /// convolution are folded into it (eps 1e-5, PyTorch's default).
    public init(weights: WeightSource, variant: Variant) throws {
        self.variant = variant
        func bn(_ name: String, _ c: Int) throws -> BatchNorm {
            BatchNorm(gamma: try weights.floats("\(name).weight", shape: [c]),
                      beta: try weights.floats("\(name).bias", shape: [c]),
                      mean: try weights.floats("\(name).running_mean", shape: [c]),
                      variance: try weights.floats("\(name).running_var", shape: [c]), epsilon: 1e-5)
        }
        // bn0 normalises each mel bin; it precedes a zero-padded conv, so it cannot be folded.
        inputAffine = try bn("bn0", Self.melBands).affine
        var inputs = 1
        var convs: [(Conv2D, Conv2D)] = []
        for (b, c) in Self.channels.enumerated() {
            let block = "conv_block\(b + 1)"
            func conv(_ name: String, _ cin: Int, _ norm: BatchNorm) throws -> Conv2D {
                // conv (no bias) then BatchNorm: scale each output channel's kernel, shift = bias.
                var kernel = try weights.floats("\(block).\(name).weight", shape: [3, 3, cin, c])
                let affine = norm.affine
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
                              bias: affine.shift, padding: .explicit(top: 1, bottom: 1, left: 1, right: 1),
                              activation: .relu)
            }
            convs.append((try conv("conv1", inputs, try bn("\(block).bn1", c)),
                          try conv("conv2", c, try bn("\(block).bn2", c))))
            inputs = c
        }
        convolutions = convs
        fc1 = Dense(inOut: try weights.floats("fc1.weight", shape: [2048, 2048]), inputs: 2048, outputs: 2048,
                    bias: try weights.floats("fc1.bias", shape: [2048]), activation: .relu)
        fcAudioSet = Dense(inOut: try weights.floats("fc_audioset.weight", shape: [2048, Self.classCount]),
                           inputs: 2048, outputs: Self.classCount,
                           bias: try weights.floats("fc_audioset.bias", shape: [Self.classCount]))
    }

    /// Loads an imported `panns-cnn14.safetensors` / `panns-cnn14-16k.safetensors`.
    public init(contentsOf url: URL, variant: Variant) throws {
        try self.init(weights: try SafetensorsFile(contentsOf: url), variant: variant)
    }

    /// The smallest number of log-mel frames the network accepts (five 2x2 average pools).
    public static let minimumFrames = 32

    /// Runs the network on a batch of equally long log-mel spectrograms [N, T, 64] (T >= 32).
    public func callAsFunction(logMel: FADNN.Tensor) -> [Output] {
        precondition(logMel.rank == 3 && logMel.shape[2] == Self.melBands && logMel.shape[1] >= Self.minimumFrames,
                     "PANNsCNN14: expected [N, T >= 32, 64] log-mel, got \(logMel.shape)")
        var x = logMel
        inputAffine.apply(to: &x)
        x = x.reshaped(x.shape + [1])
        for (b, (conv1, conv2)) in convolutions.enumerated() {
            x = conv2(conv1(x))
            if b < 5 { x = Pool2D.average(x, window: (2, 2), stride: (2, 2)) }
        }
        // [N, T', F', 2048]: mean over frequency, then max + mean over time.
        let overFrequency = x.reduced(over: 2, .mean)
        let pooled = overFrequency.reduced(over: 1, .max) + overFrequency.reduced(over: 1, .mean)
        let embedding = fc1(pooled)
        let logits = fcAudioSet(embedding)
        let probabilities = sigmoid(logits)
        return (0..<logMel.shape[0]).map { i in
            Output(embedding: Array(embedding.values[i * 2048 ..< (i + 1) * 2048]),
                   logits: Array(logits.values[i * Self.classCount ..< (i + 1) * Self.classCount]),
                   probabilities: Array(probabilities.values[i * Self.classCount ..< (i + 1) * Self.classCount]))
        }
    }

    /// The front end the weights expect.
    public var frontEndConfiguration: FrontEndConfiguration { variant.frontEndConfiguration }

    /// FLOPs (2 per multiply-add) of one clip of `frames` log-mel frames.
    public static func flops(frames: Int) -> Double {
        var flops = 0.0
        var h = frames, w = melBands, inputs = 1
        for (b, c) in channels.enumerated() {
            flops += 2 * Double(h * w * 9) * Double(inputs * c + c * c)
            inputs = c
            if b < 5 { h /= 2; w /= 2 }
        }
        return flops + 2 * Double(2048 * 2048 + 2048 * classCount)
    }
}

extension PANNsCNN14.Variant {
    /// The front end the weights expect.
    public var frontEndConfiguration: FrontEndConfiguration { self == .khz32 ? .pannsCNN14 : .pannsCNN14_16k }

    /// The official checkpoint (Zenodo record 3987831, which lists an MD5 per file; the same
    /// MD5s are pinned by independent downstream code that verifies its downloads).
    public var officialCheckpoint: OfficialCheckpoint {
        self == .khz32
            ? OfficialCheckpoint(file: "Cnn14_mAP=0.431.pth",
                                 url: "https://zenodo.org/record/3987831/files/Cnn14_mAP%3D0.431.pth?download=1",
                                 digest: .md5("541141fa2ee191a88f24a3219fff024e"))
            : OfficialCheckpoint(file: "Cnn14_16k_mAP=0.438.pth",
                                 url: "https://zenodo.org/record/3987831/files/Cnn14_16k_mAP%3D0.438.pth?download=1",
                                 digest: .md5("362fc5ff18f1d6ad2f6d464b45893f2c"))
    }
}

extension PANNsCNN14: AudioNetwork {
    /// `panns-cnn14` and `panns-cnn14-16k`: the whole clip in one pass (PANNs' inference and
    /// audioldm_eval), at least 32 frames; a window hop cuts 10 s windows (1000 frames at both rates).
    public static let specs: [ModelSpec] = Variant.allCases.map { variant in
        ModelSpec(id: variant.modelName, sampleRate: variant.sampleRate, input: .logMel(variant.frontEndConfiguration),
                  windows: .wholeClip(length: 1000, minimum: minimumFrames),
                  layers: [LayerDescriptor(name: "embedding", dimension: embeddingSize)], defaultLayer: "embedding",
                  labels: .file("audioset/labels.txt", count: classCount), activation: .sigmoid,
                  weights: .imported(variant.officialCheckpoint, importSpec(variant)), batchSize: 8)
    }

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        guard let variant = Variant(rawValue: spec.id) else {
            throw ModelError(path: spec.id, kind: .unknownModel, reason: "not a CNN14 id")
        }
        try self.init(weights: weights, variant: variant)
    }

    /// [N, T, 64, 1] log-mel -> the 2048-d embedding and the 527 AudioSet logits.
    public func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput {
        let outputs = self(logMel: windows.reshaped(Array(windows.shape.prefix(3))))
        let n = outputs.count
        return NetworkOutput(
            layers: ["embedding": FADNN.Tensor(shape: [n, Self.embeddingSize], values: outputs.flatMap(\.embedding))],
            logits: FADNN.Tensor(shape: [n, Self.classCount], values: outputs.flatMap(\.logits)))
    }
}
