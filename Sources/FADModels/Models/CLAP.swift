// CLAP-LAION's audio encoder (Wu, Chen et al. 2023), as laion_clap 1.1.7 computes
// `CLAP_Module.get_audio_embedding_from_data` for a non-fusion checkpoint: the int16 round trip,
// torchlibrosa's log-mel at 48 kHz, HTSAT (`clap_module/htsat.py`: a Swin transformer on the
// log-mel folded into a 256x256 image), the mean of its final tokens, the audio projection
// (Linear-ReLU-Linear, `clap_module/model.py`) and L2 normalisation.
import Foundation
import FADArrays
import FADFeatures
import FADNN

/// The CLAP-LAION audio encoder on 10 s windows of 48 kHz mono audio.
///
/// Per window of 480,000 samples:
/// ```
/// x      = trunc(clip(x, -1, 1) * 32767) / 32767                        (laion_clap's int16 round trip)
/// M      = 10 log10(max(mel(|STFT x|^2), 1e-10))                         [1001, 64]
/// M      = bn0(M) per mel bin; bicubic resize of time 1001 -> 1024 (A = -0.75, align_corners)
/// image  = M folded into 256 x 256: row = (t / 256) * 64 + f, column = t % 256
/// tokens = LayerNorm(conv 4x4 stride 4 (image))                          [64 x 64, C]
/// tokens = 4 Swin stages (window 8, shift 4 on odd blocks, patch merging between stages)
/// latent = mean over tokens of LayerNorm(tokens)                         [8 C]
/// e      = W2 relu(W1 latent + b1) + b2;  embedding = e / max(|e|, 1e-12)   [512]
/// ```
public struct CLAP: Sendable {
    /// The released non-fusion checkpoints fadtk evaluates with.
    public enum Variant: String, Sendable, CaseIterable {
        /// `music_audioset_epoch_15_esc_90.14.pt`: HTSAT-base (C = 128, depths 2-2-12-2), music +
        /// AudioSet; fadtk's `clap-laion-music`.
        case music = "clap-laion-music"
        /// `630k-audioset-best.pt`: HTSAT-tiny (C = 96, depths 2-2-6-2), LAION-Audio-630K +
        /// AudioSet; fadtk's `clap-laion-audio`.
        case audio = "clap-laion-audio"

        /// Channels of the first stage (doubled by each patch merging).
        public var embedDimension: Int { self == .music ? 128 : 96 }
        public var depths: [Int] { self == .music ? [2, 2, 12, 2] : [2, 2, 6, 2] }
        public var heads: [Int] { [4, 8, 16, 32] }
        /// Dimension of HTSAT's latent output (the projection's input): 8 C.
        public var latentDimension: Int { embedDimension * 8 }

        /// The official file, as laion_clap's hook and fadtk download it (no published digest).
        public var officialCheckpoint: OfficialCheckpoint {
            let file = self == .music ? "music_audioset_epoch_15_esc_90.14.pt" : "630k-audioset-best.pt"
            return OfficialCheckpoint(file: file, url: "https://huggingface.co/lukewys/laion_clap/resolve/main/\(file)", digest: nil)
        }
    }

    public static let sampleRate = 48_000
    /// laion_clap's `clip_samples`: 10 s.
    public static let windowSamples = 480_000
    /// fadtk's hop between windows: 1 s.
    public static let defaultHop = 48_000
    public static let melBands = 64
    /// Dimension of the joint audio-text space.
    public static let embeddingSize = 512
    /// HTSAT's input image side (`spec_size`) and the time frames it holds (`spec_size * freq_ratio`).
    static let imageSize = 256
    static let resizedFrames = 1024
    static let patch = 4
    static let window = 8

    /// torchlibrosa's `Spectrogram` + `LogmelFilterBank` as HTSAT configures them: FFT = window
    /// 1024 (periodic Hann), hop 480, centred reflect, power, 64 Slaney mel bands 50-14,000 Hz
    /// (Slaney norm), `10 log10(max(x, 1e-10))` without top_db.
    public static let frontEndConfiguration = FrontEndConfiguration(
        sampleRate: 48_000, fftLength: 1024, windowLength: 1024, hopLength: 480,
        centered: true, padMode: .reflect, spectrum: .power,
        mel: MelConfiguration(bands: 64, minimumFrequency: 50, maximumFrequency: 14_000),
        logarithm: .decibels(amin: 1e-10, reference: 1, topDB: nil))

    public let variant: Variant
    let frontEnd: LogMelFrontEnd
    let melAffine: ChannelAffine
    let resize: BicubicResize
    let patchEmbedding: Dense
    let patchNorm: LayerNorm
    let stages: [SwinStage]
    let finalNorm: LayerNorm
    let projection1: Dense
    let projection2: Dense

    /// Checkpoint keys (after `module.` is stripped) and shapes of a non-fusion CLAP training
    /// checkpoint: the audio branch without its classifier (`tscam_conv`, `head`) and STFT/mel
    /// kernels (computed by fad), and the audio projection. The text branch, the unused
    /// `audio_transform`, the logit scales and the Swin buffers (`attn_mask`,
    /// `relative_position_index`, recomputed here) are ignored.
    public static func importSpec(_ variant: Variant) -> TorchImportSpec {
        var tensors: [TorchImportSpec.Tensor] = []
        func add(_ name: String, _ shape: [Int]) { tensors.append(.init(name: name, torchShape: shape, layout: .vector)) }
        func norm(_ name: String, _ size: Int) { add("\(name).weight", [size]); add("\(name).bias", [size]) }
        func linear(_ name: String, _ outputs: Int, _ inputs: Int, bias: Bool = true) {
            add("\(name).weight", [outputs, inputs])
            if bias { add("\(name).bias", [outputs]) }
        }
        for p in ["weight", "bias", "running_mean", "running_var"] { add("audio_branch.bn0.\(p)", [melBands]) }
        let c = variant.embedDimension
        add("audio_branch.patch_embed.proj.weight", [c, 1, patch, patch])
        add("audio_branch.patch_embed.proj.bias", [c])
        norm("audio_branch.patch_embed.norm", c)
        for (stage, depth) in variant.depths.enumerated() {
            let d = c << stage, heads = variant.heads[stage]
            for block in 0..<depth {
                let prefix = "audio_branch.layers.\(stage).blocks.\(block)"
                norm("\(prefix).norm1", d)
                add("\(prefix).attn.relative_position_bias_table", [(2 * window - 1) * (2 * window - 1), heads])
                linear("\(prefix).attn.qkv", 3 * d, d)
                linear("\(prefix).attn.proj", d, d)
                norm("\(prefix).norm2", d)
                linear("\(prefix).mlp.fc1", 4 * d, d)
                linear("\(prefix).mlp.fc2", d, 4 * d)
            }
            if stage < variant.depths.count - 1 {
                norm("audio_branch.layers.\(stage).downsample.norm", 4 * d)
                linear("audio_branch.layers.\(stage).downsample.reduction", 2 * d, 4 * d, bias: false)
            }
        }
        norm("audio_branch.norm", variant.latentDimension)
        linear("audio_projection.0", embeddingSize, variant.latentDimension)
        linear("audio_projection.2", embeddingSize, embeddingSize)
        return TorchImportSpec(
            modelName: variant.rawValue, tensors: tensors,
            ignoredPrefixes: ["text_branch.", "text_transform.", "text_projection.", "audio_transform.",
                              "logit_scale_a", "logit_scale_t", "audio_branch.spectrogram_extractor.",
                              "audio_branch.logmel_extractor.", "audio_branch.tscam_conv.", "audio_branch.head."],
            ignoredSuffixes: ["num_batches_tracked", ".attn_mask", ".relative_position_index"],
            strippedPrefixes: ["module."])
    }

    /// Builds the encoder from imported weights (PyTorch layouts, see ``importSpec(_:)``).
    public init(weights: WeightSource, variant: Variant) throws {
        self.variant = variant
        func tensor(_ name: String, _ shape: [Int]) throws -> FADNN.Tensor {
            FADNN.Tensor(shape: shape, values: try weights.floats(name, shape: shape))
        }
        func layerNorm(_ name: String, _ size: Int) throws -> LayerNorm {
            try LayerNorm(weight: try tensor("\(name).weight", [size]), bias: try tensor("\(name).bias", [size]), size: size, name: name)
        }
        func linear(_ name: String, _ outputs: Int, _ inputs: Int, bias: Bool = true, activation: Activation = .identity) throws -> Dense {
            try Dense(linearWeight: try tensor("\(name).weight", [outputs, inputs]),
                      bias: bias ? try tensor("\(name).bias", [outputs]) : nil, activation: activation, name: name)
        }
        frontEnd = LogMelFrontEnd(Self.frontEndConfiguration)
        // bn0 (BatchNorm2d over the mel bins, eps 1e-5) in inference mode: an affine per bin.
        melAffine = BatchNorm(gamma: try weights.floats("audio_branch.bn0.weight", shape: [Self.melBands]),
                              beta: try weights.floats("audio_branch.bn0.bias", shape: [Self.melBands]),
                              mean: try weights.floats("audio_branch.bn0.running_mean", shape: [Self.melBands]),
                              variance: try weights.floats("audio_branch.bn0.running_var", shape: [Self.melBands]),
                              epsilon: 1e-5).affine
        resize = BicubicResize(from: Self.frontEndConfiguration.frameCount(samples: Self.windowSamples), to: Self.resizedFrames)
        let c = variant.embedDimension
        // The 4x4 stride-4 convolution on one channel is a GEMM on the 16 pixels of each patch:
        // the PyTorch kernel [C, 1, 4, 4] is already the [out, in] matrix of that GEMM.
        patchEmbedding = try Dense(linearWeight: try tensor("audio_branch.patch_embed.proj.weight", [c, 1, Self.patch, Self.patch])
                                       .reshaped([c, Self.patch * Self.patch]),
                                   bias: try tensor("audio_branch.patch_embed.proj.bias", [c]), name: "audio_branch.patch_embed.proj")
        patchNorm = try layerNorm("audio_branch.patch_embed.norm", c)
        var stages: [SwinStage] = []
        var side = Self.imageSize / Self.patch
        for (stage, depth) in variant.depths.enumerated() {
            let d = c << stage
            let heads = variant.heads[stage]
            // Swin shrinks the window to the resolution (and drops the shift) once they meet.
            let window = min(Self.window, side)
            let shift = side <= Self.window ? 0 : Self.window / 2
            let geometry = SwinGeometry(side: side, window: window)
            let shiftedGeometry = shift > 0 ? SwinGeometry(side: side, window: window, shift: shift) : geometry
            var blocks: [SwinBlock] = []
            for block in 0..<depth {
                let prefix = "audio_branch.layers.\(stage).blocks.\(block)"
                let table = try tensor("\(prefix).attn.relative_position_bias_table", [(2 * Self.window - 1) * (2 * Self.window - 1), heads])
                let attention = try MultiHeadAttention(
                    inProjWeight: try tensor("\(prefix).attn.qkv.weight", [3 * d, d]), inProjBias: try tensor("\(prefix).attn.qkv.bias", [3 * d]),
                    outWeight: try tensor("\(prefix).attn.proj.weight", [d, d]), outBias: try tensor("\(prefix).attn.proj.bias", [d]),
                    heads: heads, name: "\(prefix).attn")
                blocks.append(SwinBlock(
                    norm1: try layerNorm("\(prefix).norm1", d), attention: attention,
                    positionBias: try AttentionBias.swinRelativePosition(table: table, windowHeight: window, windowWidth: window,
                                                                         name: "\(prefix).attn.relative_position_bias_table"),
                    geometry: block % 2 == 1 ? shiftedGeometry : geometry,
                    norm2: try layerNorm("\(prefix).norm2", d),
                    fc1: try linear("\(prefix).mlp.fc1", 4 * d, d), fc2: try linear("\(prefix).mlp.fc2", d, 4 * d)))
            }
            var merging: PatchMerging?
            if stage < variant.depths.count - 1 {
                merging = PatchMerging(norm: try layerNorm("audio_branch.layers.\(stage).downsample.norm", 4 * d),
                                       reduction: try linear("audio_branch.layers.\(stage).downsample.reduction", 2 * d, 4 * d, bias: false))
            }
            stages.append(SwinStage(side: side, dimension: d, blocks: blocks, merging: merging))
            side /= 2
        }
        self.stages = stages
        finalNorm = try layerNorm("audio_branch.norm", variant.latentDimension)
        projection1 = try linear("audio_projection.0", Self.embeddingSize, variant.latentDimension, activation: .relu)
        projection2 = try linear("audio_projection.2", Self.embeddingSize, Self.embeddingSize)
    }

    /// laion_clap's int16 round trip (`int16_to_float32(float32_to_int16(x))`): clip to [-1, 1],
    /// scale by 32767 in float32, truncate toward zero, divide by 32767 in double, round to float.
    public static func quantised(_ samples: [Float]) -> [Float] {
        samples.map { x in
            // NaN (never in decoded audio) becomes silence rather than an undefined cast.
            let scaled = x.isNaN ? 0 : min(max(x, -1), 1) * 32767
            return Float(Double(scaled.rounded(.towardZero)) / 32767)
        }
    }

    /// The network's log-mel input for one window of exactly 480,000 samples, as HTSAT computes
    /// it before `bn0`: [1001, 64] decibels (after the int16 round trip).
    public func logMel(window samples: [Float]) throws -> Matrix<Float> {
        precondition(samples.count == Self.windowSamples, "CLAP: a window holds \(Self.windowSamples) samples, got \(samples.count)")
        return try frontEnd(Self.quantised(samples))
    }

    /// One batch of windows [N, 480,000] -> (latent [N, 8C], embedding [N, 512]).
    public func callAsFunction(windows: FADNN.Tensor) throws -> (latent: FADNN.Tensor, embedding: FADNN.Tensor) {
        precondition(windows.count % Self.windowSamples == 0 && windows.shape.first.map { $0 * Self.windowSamples } == windows.count,
                     "CLAP: expected [N, \(Self.windowSamples)(, 1)] windows, got \(windows.shape)")
        let n = windows.shape[0]
        let side = Self.imageSize / Self.patch, pixels = Self.patch * Self.patch
        // Patches [N * 64 * 64, 16] straight from the resized log-mel of each window.
        var patches = FADNN.Tensor(shape: [n * side * side, pixels])
        for item in 0..<n {
            let samples = Array(windows.values[item * Self.windowSamples ..< (item + 1) * Self.windowSamples])
            var mel = try logMel(window: samples)
            mel.values.withUnsafeMutableBufferPointer { v in
                for t in 0..<mel.rows { for f in 0..<Self.melBands {
                    v[t * Self.melBands + f] = v[t * Self.melBands + f] * melAffine.scale[f] + melAffine.shift[f]
                } }
            }
            let resized = resize(mel)   // [1024, 64]
            patches.values.withUnsafeMutableBufferPointer { p in
                resized.values.withUnsafeBufferPointer { r in
                    let base = item * side * side * pixels
                    for row in 0..<Self.imageSize {
                        // Image row = (t / 256) * 64 + f, column = t % 256.
                        let chunk = row / Self.melBands, f = row % Self.melBands
                        for column in 0..<Self.imageSize {
                            let t = chunk * Self.imageSize + column
                            let token = (row / Self.patch) * side + column / Self.patch
                            p[base + token * pixels + (row % Self.patch) * Self.patch + column % Self.patch] = r[t * Self.melBands + f]
                        }
                    }
                }
            }
        }
        var x = patchEmbedding(patches)
        patchNorm.apply(to: &x)
        x = x.reshaped([n, side * side, variant.embedDimension])
        for stage in stages { x = stage(x) }
        finalNorm.apply(to: &x)
        let tokens = x.shape[1], d = x.shape[2]
        var latent = FADNN.Tensor(shape: [n, d])
        x.values.withUnsafeBufferPointer { v in
            latent.values.withUnsafeMutableBufferPointer { out in
                for item in 0..<n {
                    var sums = [Double](repeating: 0, count: d)
                    for token in 0..<tokens { for c in 0..<d { sums[c] += Double(v[(item * tokens + token) * d + c]) } }
                    for c in 0..<d { out[item * d + c] = Float(sums[c] / Double(tokens)) }
                }
            }
        }
        var embedding = projection2(projection1(latent))
        embedding.values.withUnsafeMutableBufferPointer { e in
            for item in 0..<n {
                var squares = 0.0
                for c in 0..<Self.embeddingSize { squares += Double(e[item * Self.embeddingSize + c]) * Double(e[item * Self.embeddingSize + c]) }
                let inverse = Float(1 / max(squares.squareRoot(), 1e-12))
                for c in 0..<Self.embeddingSize { e[item * Self.embeddingSize + c] *= inverse }
            }
        }
        return (latent, embedding)
    }

    /// FLOPs (2 per multiply-add) of the network on one window (front end excluded).
    public var flopsPerWindow: Double {
        var flops = 2.0 * Double(64 * 64 * 16 * variant.embedDimension)
        for stage in stages {
            let l = Double(stage.side * stage.side), d = Double(stage.dimension)
            for block in stage.blocks {
                let w = Double(block.geometry.window * block.geometry.window)
                flops += 2 * l * d * 4 * d + 2 * 2 * l * w * d + 2 * l * d * 8 * d
            }
            if stage.merging != nil { flops += 2 * (l / 4) * 4 * d * 2 * d }
        }
        return flops + 2 * Double(variant.latentDimension * Self.embeddingSize + Self.embeddingSize * Self.embeddingSize)
    }
}

extension CLAP: AudioNetwork {
    /// `clap-laion-music` and `clap-laion-audio`: 10 s windows every second, as fadtk cuts them
    /// (every start before the end of the file, the last windows zero-padded to 10 s); layers
    /// `embedding` (the L2-normalised 512-d joint-space vector fadtk uses) and `latent` (HTSAT's
    /// pooled tokens before the projection, 1024-d for music / 768-d for audio).
    public static let specs: [ModelSpec] = Variant.allCases.map { variant in
        ModelSpec(id: variant.rawValue, sampleRate: sampleRate, input: .waveform,
                  windows: .sliding(length: windowSamples, hop: defaultHop),
                  layers: [LayerDescriptor(name: "embedding", dimension: embeddingSize),
                           LayerDescriptor(name: "latent", dimension: variant.latentDimension)],
                  defaultLayer: "embedding",
                  weights: .imported(variant.officialCheckpoint, importSpec(variant)), batchSize: 4)
    }

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        guard let variant = Variant(rawValue: spec.id) else {
            throw ModelError(path: spec.id, kind: .unknownModel, reason: "not a CLAP id")
        }
        try self.init(weights: weights, variant: variant)
    }

    /// fadtk's framing (`CLAPLaionModel._get_embedding`): a window starts at every multiple of
    /// the hop before the end of the file (so ceil(samples / hop) windows), each 10 s long and
    /// zero-padded past the end. A clip shorter than 10 s is one zero-padded window (laion_clap
    /// alone would repeat it instead; fadtk pads it first).
    public func windows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows {
        let windowing = try Windowing(length: Self.windowSamples, hop: hop ?? Self.defaultHop)
        let starts = Array(stride(from: 0, to: max(samples.count, 1), by: windowing.hop))
        return ModelWindows.cutting(Matrix(rows: samples.count, columns: 1, values: samples), length: Self.windowSamples,
                                    starts: starts, itemShape: [1])
    }

    /// [N, 480,000, 1] waveform windows -> `embedding` [N, 512] and `latent` [N, 8C].
    public func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput {
        let (latent, embedding) = try self(windows: windows)
        return NetworkOutput(layers: ["embedding": embedding, "latent": latent])
    }
}

/// PyTorch's bicubic interpolation (`F.interpolate(mode="bicubic", align_corners=True)`, A = -0.75)
/// along the rows of a matrix: output row i samples input row `i (in - 1) / (out - 1)` from the
/// four rows around it (indices clamped at the borders).
struct BicubicResize: Sendable {
    let inputs: Int
    let outputs: Int
    /// Per output row: the first of four input rows (before clamping) and their weights.
    let first: [Int]
    let weights: [(Float, Float, Float, Float)]

    init(from inputs: Int, to outputs: Int) {
        self.inputs = inputs; self.outputs = outputs
        let scale = outputs > 1 ? Double(inputs - 1) / Double(outputs - 1) : 0
        let a = -0.75
        func near(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        var first: [Int] = [], weights: [(Float, Float, Float, Float)] = []
        for i in 0..<outputs {
            let real = scale * Double(i)
            let index = Int(real.rounded(.down))
            let t = real - Double(index)
            first.append(index - 1)
            weights.append((Float(far(t + 1)), Float(near(t)), Float(near(1 - t)), Float(far(2 - t))))
        }
        self.first = first; self.weights = weights
    }

    func callAsFunction(_ input: Matrix<Float>) -> Matrix<Float> {
        precondition(input.rows == inputs, "BicubicResize: expected \(inputs) rows, got \(input.rows)")
        let columns = input.columns
        var out = [Float](repeating: 0, count: outputs * columns)
        input.values.withUnsafeBufferPointer { v in
            for i in 0..<outputs {
                let w = weights[i]
                let rows = (0..<4).map { min(max(first[i] + $0, 0), inputs - 1) * columns }
                for c in 0..<columns {
                    out[i * columns + c] = v[rows[0] + c] * w.0 + v[rows[1] + c] * w.1 + v[rows[2] + c] * w.2 + v[rows[3] + c] * w.3
                }
            }
        }
        return Matrix(rows: outputs, columns: columns, values: out)
    }
}
