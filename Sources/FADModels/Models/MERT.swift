// MERT-v1 (Li et al. 2023), as m-a-p's `MERTModel` (modeling_MERT.py, shipped with the
// checkpoints) runs it with MERT-v1's configs: no CQT branch, no deepnorm, hence transformers'
// HuBERT (`HubertFeatureEncoder`, `HubertPositionalConvEmbedding`, `HubertEncoder` for 95M,
// `HubertEncoderStableLayerNorm` for 330M) behind MERT's feature projection.
import Foundation
import FADArrays
import FADFeatures
import FADNN

/// MERT-v1-95M and MERT-v1-330M: every hidden state selectable as a layer ("0" ... "12" or
/// "0" ... "24", as the reference's `hidden_states[l]`).
///
/// ```
/// x  = (wave - mean) / sqrt(var + 1e-7)                  (the processor, over the whole clip)
/// f  = conv stack: Conv1d(1, 512, 10, 5) -> GroupNorm(512, 512) over the clip -> GELU,
///      then 6 x [Conv1d(512, 512, k, s) -> GELU], k = 3,3,3,3,2,2, s = 2 (no conv biases):
///      one 512-d frame per 320 samples (75 frames/s at 24 kHz), receptive field 400 samples
/// h  = Linear(512, D)(LayerNorm(f))
/// p  = GELU(weight-normalised Conv1d(D, D, 128, padding 64, groups 16)(h) without its last frame)
/// 95M  (post-LN): hidden[0] = LN(h + p); layer: h = LN1(h + attn(h)); h = LN2(h + FF(h))
/// 330M (pre-LN):  hidden[0] = h + p;     layer: h = h + attn(LN1(h)); h = h + FF(LN2(h));
///                 the last hidden state also passes the encoder's final LayerNorm
/// FF = Linear(4D, D)(GELU(Linear(D, 4D)))
/// ```
/// Attention is global and the first GroupNorm spans the whole clip, so a file is one pass (as
/// fadtk, kadtk and MAD run it), cut at fadtk's limit of 6 minutes. Memory stays bounded in
/// the file's length: the convolutions stream the samples in chunks (the GroupNorm statistics
/// in a first pass), and past the cap nothing grows.
public struct MERT: Sendable {
    public enum Size: String, Sendable, CaseIterable {
        case base = "mert-v1-95m"
        case large = "mert-v1-330m"

        public var hidden: Int { self == .base ? 768 : 1024 }
        public var layers: Int { self == .base ? 12 : 24 }
        public var heads: Int { self == .base ? 12 : 16 }
        public var intermediate: Int { 4 * hidden }
        /// HubertEncoderStableLayerNorm (`do_stable_layer_norm`).
        public var preLayerNorm: Bool { self == .large }

        /// The hub's `pytorch_model.bin`. m-a-p publishes no digest of its own (the hub's LFS
        /// object id is a property of that upload, not a pin).
        public var officialCheckpoint: OfficialCheckpoint {
            let repo = self == .base ? "MERT-v1-95M" : "MERT-v1-330M"
            return OfficialCheckpoint(file: "pytorch_model.bin", url: "https://huggingface.co/m-a-p/\(repo)/resolve/main/pytorch_model.bin",
                                      digest: nil)
        }
    }

    /// What one embedding row is.
    public enum Pooling: String, Sendable {
        /// One row per frame of the chosen hidden state (fadtk's `MERTModel`, MAD before its max).
        case frames
        /// kadtk's `postprocess_resoultion`: frames averaged over blocks of
        /// int(frames / (samples / 24000)) frames (about 1 s), the incomplete tail dropped.
        case seconds
    }

    public static let sampleRate = 24_000
    /// Samples per frame (product of the strides) and the receptive field of one frame.
    public static let hopLength = 320
    public static let receptiveField = 400
    static let convChannels = 512
    static let kernels = [10, 3, 3, 3, 3, 2, 2]
    static let strides = [5, 2, 2, 2, 2, 2, 2]
    static let positionalKernel = 128
    static let positionalGroups = 16
    static let epsilon: Float = 1e-5
    /// fadtk's and kadtk's `limit_minutes=6`: longer files are cut to their first 6 minutes.
    public static let defaultLimitSamples = 6 * 60 * sampleRate

    struct Layer: Sendable {
        var attention: MultiHeadAttention
        var norm1: LayerNorm
        var intermediate: Dense
        var output: Dense
        var norm2: LayerNorm
    }

    public let size: Size
    let convolutions: [Conv1D]
    let groupNormWeight: [Float]
    let groupNormBias: [Float]
    let projectionNorm: LayerNorm
    let projection: Dense
    let positional: Conv1D
    let encoderNorm: LayerNorm
    let layers: [Layer]
    let gelu = GELU(approximation: .none)
    /// Frames per chunk of the convolution stack (bounds its activations: 256 frames are about
    /// 82,000 samples, 16,000 x 512 floats after the first convolution).
    var chunkFrames = 256
    /// Rows per feed-forward GEMM (bounds the 4D-wide intermediate).
    var feedForwardRows = 2048
    /// Samples kept from the start of a file.
    public var limitSamples = defaultLimitSamples

    /// Keys and shapes of the hub's `pytorch_model.bin` (transformers' HuBERT names, PyTorch
    /// layouts); `masked_spec_embed` (training-time masking) is expected and dropped.
    public static func importSpec(_ size: Size) -> TorchImportSpec {
        var tensors: [TorchImportSpec.Tensor] = []
        func add(_ name: String, _ shape: [Int]) { tensors.append(.init(name: name, torchShape: shape, layout: .vector)) }
        var input = 1
        for (l, k) in kernels.enumerated() {
            add("feature_extractor.conv_layers.\(l).conv.weight", [convChannels, input, k])
            input = convChannels
        }
        add("feature_extractor.conv_layers.0.layer_norm.weight", [convChannels])
        add("feature_extractor.conv_layers.0.layer_norm.bias", [convChannels])
        add("feature_projection.layer_norm.weight", [convChannels])
        add("feature_projection.layer_norm.bias", [convChannels])
        let d = size.hidden
        add("feature_projection.projection.weight", [d, convChannels])
        add("feature_projection.projection.bias", [d])
        let pos = "encoder.pos_conv_embed.conv"
        tensors.append(.init(name: "\(pos).weight", torchShape: [d, d / positionalGroups, positionalKernel], layout: .vector,
                             source: .weightNorm(g: "\(pos).weight_g", v: "\(pos).weight_v", dim: 2)))
        add("\(pos).bias", [d])
        add("encoder.layer_norm.weight", [d])
        add("encoder.layer_norm.bias", [d])
        for l in 0..<size.layers {
            let p = "encoder.layers.\(l)."
            for projection in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                add(p + "attention.\(projection).weight", [d, d])
                add(p + "attention.\(projection).bias", [d])
            }
            for norm in ["layer_norm", "final_layer_norm"] {
                add(p + "\(norm).weight", [d]); add(p + "\(norm).bias", [d])
            }
            add(p + "feed_forward.intermediate_dense.weight", [size.intermediate, d])
            add(p + "feed_forward.intermediate_dense.bias", [size.intermediate])
            add(p + "feed_forward.output_dense.weight", [d, size.intermediate])
            add(p + "feed_forward.output_dense.bias", [d])
        }
        return TorchImportSpec(modelName: size.rawValue, tensors: tensors, ignoredPrefixes: ["masked_spec_embed"])
    }

    /// Builds the network from imported weights (`importSpec`'s names and PyTorch shapes).
    public init(weights: any WeightSource, size: Size) throws {
        self.size = size
        func tensor(_ name: String, _ shape: [Int]) throws -> FADNN.Tensor {
            FADNN.Tensor(shape: shape, values: try weights.floats(name, shape: shape))
        }
        var convolutions: [Conv1D] = []
        var input = 1
        for (l, k) in Self.kernels.enumerated() {
            let name = "feature_extractor.conv_layers.\(l).conv"
            convolutions.append(try Conv1D(weight: try tensor("\(name).weight", [Self.convChannels, input, k]), bias: nil,
                                           stride: Self.strides[l], name: name))
            input = Self.convChannels
        }
        self.convolutions = convolutions
        groupNormWeight = try weights.floats("feature_extractor.conv_layers.0.layer_norm.weight", shape: [Self.convChannels])
        groupNormBias = try weights.floats("feature_extractor.conv_layers.0.layer_norm.bias", shape: [Self.convChannels])
        projectionNorm = try LayerNorm(weight: try tensor("feature_projection.layer_norm.weight", [Self.convChannels]),
                                       bias: try tensor("feature_projection.layer_norm.bias", [Self.convChannels]),
                                       size: Self.convChannels, epsilon: Self.epsilon, name: "feature_projection.layer_norm")
        let d = size.hidden
        projection = try Dense(linearWeight: try tensor("feature_projection.projection.weight", [d, Self.convChannels]),
                               bias: try tensor("feature_projection.projection.bias", [d]), name: "feature_projection.projection")
        let pos = "encoder.pos_conv_embed.conv"
        positional = try Conv1D(weight: try tensor("\(pos).weight", [d, d / Self.positionalGroups, Self.positionalKernel]),
                                bias: try tensor("\(pos).bias", [d]), groups: Self.positionalGroups,
                                padding: .symmetric(Self.positionalKernel / 2), name: pos)
        encoderNorm = try LayerNorm(weight: try tensor("encoder.layer_norm.weight", [d]), bias: try tensor("encoder.layer_norm.bias", [d]),
                                    size: d, epsilon: Self.epsilon, name: "encoder.layer_norm")
        layers = try (0..<size.layers).map { l in
            let p = "encoder.layers.\(l)."
            func linear(_ name: String, _ outputs: Int, _ inputs: Int) throws -> Dense {
                try Dense(linearWeight: try tensor(p + name + ".weight", [outputs, inputs]), bias: try tensor(p + name + ".bias", [outputs]),
                          name: p + name)
            }
            func norm(_ name: String) throws -> LayerNorm {
                try LayerNorm(weight: try tensor(p + name + ".weight", [d]), bias: try tensor(p + name + ".bias", [d]),
                              size: d, epsilon: Self.epsilon, name: p + name)
            }
            let a = p + "attention."
            return Layer(
                attention: try MultiHeadAttention(
                    queryWeight: try tensor(a + "q_proj.weight", [d, d]), queryBias: try tensor(a + "q_proj.bias", [d]),
                    keyWeight: try tensor(a + "k_proj.weight", [d, d]), keyBias: try tensor(a + "k_proj.bias", [d]),
                    valueWeight: try tensor(a + "v_proj.weight", [d, d]), valueBias: try tensor(a + "v_proj.bias", [d]),
                    outWeight: try tensor(a + "out_proj.weight", [d, d]), outBias: try tensor(a + "out_proj.bias", [d]),
                    heads: size.heads, name: p + "attention"),
                norm1: try norm("layer_norm"),
                intermediate: try linear("feed_forward.intermediate_dense", size.intermediate, d),
                output: try linear("feed_forward.output_dense", d, size.intermediate),
                norm2: try norm("final_layer_norm"))
        }
    }

    /// Loads an imported `mert-v1-95m.safetensors` / `mert-v1-330m.safetensors`.
    public init(contentsOf url: URL, size: Size) throws {
        try self.init(weights: try SafetensorsFile(contentsOf: url), size: size)
    }

    /// Frames of a clip of `samples` samples (0 below one receptive field): each valid
    /// convolution maps n to (n - k) / s + 1.
    public static func frames(samples: Int) -> Int {
        var n = samples
        for (k, s) in zip(kernels, strides) {
            guard n >= k else { return 0 }
            n = (n - k) / s + 1
        }
        return n
    }

    // MARK: Convolution stack, streamed

    /// The processor's normalisation constants over the whole clip: mean and
    /// 1 / sqrt(population variance + 1e-7), in double precision.
    static func normalization(_ samples: ArraySlice<Float>) -> (mean: Double, inverse: Double) {
        var sum = 0.0
        for x in samples { sum += Double(x) }
        let mean = sum / Double(samples.count)
        var squares = 0.0
        for x in samples { let c = Double(x) - mean; squares += c * c }
        return (mean, 1 / (squares / Double(samples.count) + 1e-7).squareRoot())
    }

    /// Normalised samples `range` of the clip as a [1, count, 1] tensor.
    private static func normalized(_ samples: ArraySlice<Float>, _ range: Range<Int>, _ n: (mean: Double, inverse: Double)) -> FADNN.Tensor {
        let base = samples.startIndex
        var values = [Float](repeating: 0, count: range.count)
        for i in range { values[i - range.lowerBound] = Float((Double(samples[base + i]) - n.mean) * n.inverse) }
        return FADNN.Tensor(shape: [1, range.count, 1], values: values)
    }

    /// The 512-d conv features of every frame, [1, frames, 512]. The first convolution's
    /// GroupNorm (one group per channel, statistics over the whole clip) needs its output over
    /// the clip before anything else: a first pass streams it in chunks and keeps only per-channel
    /// means and squared deviations (combined chunk by chunk, Chan et al.); the second pass runs
    /// the stack chunk by chunk. A chunk of frames f0..<f1 reads samples 320 f0 ..< 320 (f1 - 1) +
    /// 400, and every layer's offset is a multiple of its stride, so each chunk's valid
    /// convolutions give exactly the whole clip's frames.
    func convolutionFeatures(_ samples: ArraySlice<Float>) -> FADNN.Tensor {
        let frames = Self.frames(samples: samples.count)
        let c = Self.convChannels
        guard frames > 0 else { return FADNN.Tensor(shape: [1, 0, c]) }
        let norm = Self.normalization(samples)
        // Pass 1: per-channel statistics of conv 0 over its (n - 10) / 5 + 1 outputs.
        let first = convolutions[0]
        let positions = (samples.count - Self.kernels[0]) / Self.strides[0] + 1
        let positionsPerChunk = chunkFrames * Self.hopLength / Self.strides[0]
        var count = 0.0
        var mean = [Double](repeating: 0, count: c), m2 = mean
        var p0 = 0
        while p0 < positions {
            let p1 = min(positions, p0 + positionsPerChunk)
            let y = first(Self.normalized(samples, (p0 * 5) ..< ((p1 - 1) * 5 + Self.kernels[0]), norm))
            let n = Double(p1 - p0)
            var chunkMean = [Double](repeating: 0, count: c), chunkM2 = chunkMean
            y.values.withUnsafeBufferPointer { v in
                for t in 0..<(p1 - p0) { for j in 0..<c { chunkMean[j] += Double(v[t * c + j]) } }
                for j in 0..<c { chunkMean[j] /= n }
                for t in 0..<(p1 - p0) { for j in 0..<c { let d = Double(v[t * c + j]) - chunkMean[j]; chunkM2[j] += d * d } }
            }
            let total = count + n
            for j in 0..<c {
                let delta = chunkMean[j] - mean[j]
                mean[j] += delta * n / total
                m2[j] += chunkM2[j] + delta * delta * count * n / total
            }
            count = total
            p0 = p1
        }
        let scale = (0..<c).map { Float(Double(groupNormWeight[$0]) / (m2[$0] / count + Double(Self.epsilon)).squareRoot()) }
        let shift = (0..<c).map { groupNormBias[$0] - Float(mean[$0]) * scale[$0] }
        // Pass 2: the stack, a chunk of frames at a time.
        var out = [Float]()
        out.reserveCapacity(frames * c)
        var f0 = 0
        while f0 < frames {
            let f1 = min(frames, f0 + chunkFrames)
            var x = first(Self.normalized(samples, (f0 * Self.hopLength) ..< ((f1 - 1) * Self.hopLength + Self.receptiveField), norm))
            x.values.withUnsafeMutableBufferPointer { v in
                for t in 0..<(v.count / c) { for j in 0..<c { v[t * c + j] = v[t * c + j] * scale[j] + shift[j] } }
            }
            gelu.apply(to: &x)
            for conv in convolutions.dropFirst() {
                x = conv(x)
                gelu.apply(to: &x)
            }
            precondition(x.shape[1] == f1 - f0, "MERT: chunk of \(f1 - f0) frames gave \(x.shape[1])")
            out += x.values
            f0 = f1
        }
        return FADNN.Tensor(shape: [1, frames, c], values: out)
    }

    // MARK: Transformer

    static func add(_ y: FADNN.Tensor, to x: inout FADNN.Tensor) {
        x.values.withUnsafeMutableBufferPointer { a in
            y.values.withUnsafeBufferPointer { b in for i in 0..<a.count { a[i] += b[i] } }
        }
    }

    /// The feed-forward block on [1, L, D], `feedForwardRows` rows at a time.
    func feedForward(_ layer: Layer, _ x: FADNN.Tensor) -> FADNN.Tensor {
        let d = size.hidden, l = x.shape[1]
        var out = [Float](repeating: 0, count: l * d)
        var r0 = 0
        while r0 < l {
            let r1 = min(l, r0 + feedForwardRows)
            var h = layer.intermediate(FADNN.Tensor(shape: [r1 - r0, d], values: Array(x.values[(r0 * d) ..< (r1 * d)])))
            gelu.apply(to: &h)
            let y = layer.output(h)
            out.replaceSubrange((r0 * d) ..< (r1 * d), with: y.values)
            r0 = r1
        }
        return FADNN.Tensor(shape: [1, l, d], values: out)
    }

    /// `hidden_states[l]` for each l in `wanted` (0...layers), each [frames, D], of one clip
    /// (already cut to the limit). Layers past the deepest wanted one are not run.
    public func hiddenStates(_ samples: ArraySlice<Float>, wanted: Set<Int>) -> [Int: FADNN.Tensor] {
        precondition(wanted.allSatisfy { (0...size.layers).contains($0) }, "MERT: layers \(wanted.sorted()) outside 0...\(size.layers)")
        let d = size.hidden
        let features = convolutionFeatures(samples)
        let l = features.shape[1]
        var out: [Int: FADNN.Tensor] = [:]
        guard l > 0, let deepest = wanted.max() else {
            for w in wanted { out[w] = FADNN.Tensor(shape: [0, d]) }
            return out
        }
        var x = projectionNorm(features)
        x = projection.applied(toLastAxis: x)
        var p = positional(x)
        p = FADNN.Tensor(shape: [1, l, d], values: Array(p.values[0 ..< (l * d)]))  // HubertSamePadLayer: drop the last frame
        gelu.apply(to: &p)
        Self.add(p, to: &x)
        if !size.preLayerNorm { encoderNorm.apply(to: &x) }
        func keep(_ index: Int, _ h: FADNN.Tensor) {
            guard wanted.contains(index) else { return }
            var h = h
            if size.preLayerNorm && index == size.layers { encoderNorm.apply(to: &h) }
            out[index] = h.reshaped([l, d])
        }
        keep(0, x)
        for (index, layer) in layers.prefix(deepest).enumerated() {
            if size.preLayerNorm {
                Self.add(layer.attention(layer.norm1(x)), to: &x)
                Self.add(feedForward(layer, layer.norm2(x)), to: &x)
            } else {
                Self.add(layer.attention(x), to: &x)
                layer.norm1.apply(to: &x)
                Self.add(feedForward(layer, x), to: &x)
                layer.norm2.apply(to: &x)
            }
            keep(index + 1, x)
        }
        return out
    }

    /// FLOPs (2 per multiply-add) for one clip of `samples` samples, through every layer.
    public func flops(samples: Int) -> Double {
        var flops = 0.0, length = samples
        for conv in convolutions { flops += conv.flops(inputLength: length); length = conv.outputLength(length) }
        let l = Double(length), d = Double(size.hidden)
        flops += 2 * l * Double(Self.convChannels) * d + positional.flops(inputLength: length)
        for layer in layers { flops += layer.attention.flops(length: length) + 2 * 2 * l * d * Double(size.intermediate) }
        return flops
    }

    // MARK: Pooling

    /// kadtk's block length in frames for a clip of `samples` samples and `frames` frames:
    /// int(frames / (samples / 24000)), the division in double precision as numpy does it.
    public static func blockFrames(samples: Int, frames: Int) -> Int {
        Int((Double(frames) / (Double(samples) / Double(sampleRate))).rounded(.towardZero))
    }
}

/// Layer names are the hidden-state indices.
extension MERT {
    static func layerIndex(_ name: String, size: Size) -> Int? {
        guard let index = Int(name), (0...size.layers).contains(index), String(index) == name else { return nil }
        return index
    }
}

/// One file's requested hidden states, computed on the first batch the runner asks for.
private final class MERTFileBox: @unchecked Sendable {
    private let lock = NSLock()
    private let compute: @Sendable (Set<String>) throws -> [String: FADNN.Tensor]
    private var cache: [String: FADNN.Tensor] = [:]

    init(_ compute: @escaping @Sendable (Set<String>) throws -> [String: FADNN.Tensor]) { self.compute = compute }

    func rows(_ range: Range<Int>, layers: Set<String>) throws -> NetworkOutput {
        lock.lock(); defer { lock.unlock() }
        let missing = layers.subtracting(cache.keys)
        if !missing.isEmpty {
            // Recomputing the shared prefix is cheaper than keeping every layer of a long file.
            for (name, tensor) in try compute(missing) { cache[name] = tensor }
        }
        var out: [String: FADNN.Tensor] = [:]
        for layer in layers {
            let t = cache[layer]!
            let d = t.shape[1]
            out[layer] = FADNN.Tensor(shape: [range.count, d], values: Array(t.values[(range.lowerBound * d) ..< (range.upperBound * d)]))
        }
        return NetworkOutput(layers: out)
    }
}

extension MERT: AudioNetwork {
    /// `mert-v1-95m` / `mert-v1-330m`: one row per frame (fadtk); `-kadtk`: one row per ~1 s
    /// block (kadtk). The default layer is the last (fadtk's default `MERT-v1-95M` is layer 12;
    /// MAD uses the 330M's 24).
    public static let specs: [ModelSpec] = Size.allCases.flatMap { size in
        [Pooling.frames, .seconds].map { pooling in
            var spec = ModelSpec(id: size.rawValue + (pooling == .frames ? "" : "-kadtk"), sampleRate: sampleRate, input: .waveform,
                                 // What a row stands for (reported as the window): a 320-sample frame, or kadtk's ~1 s block.
                                 windows: pooling == .frames ? .sliding(length: hopLength, hop: hopLength)
                                                             : .sliding(length: sampleRate, hop: sampleRate),
                                 layers: (0...size.layers).map { LayerDescriptor(name: String($0), dimension: size.hidden) },
                                 defaultLayer: String(size.layers), weights: .imported(size.officialCheckpoint, importSpec(size)),
                                 batchSize: 750)
            spec.framing = pooling == .frames
                ? "the file (first 6 min, as fadtk) in one pass; one row per 320-sample frame (75/s) of hidden state --layer 0...\(size.layers)"
                : "the file (first 6 min, as kadtk) in one pass; frames averaged over blocks of int(frames / seconds) frames (~1 s), as kadtk"
            return spec
        }
    }

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        guard let size = Size.allCases.first(where: { spec.id == $0.rawValue || spec.id == $0.rawValue + "-kadtk" }) else {
            throw ModelError(path: spec.id, kind: .unknownModel, reason: "not a MERT id")
        }
        try self.init(weights: weights, size: size)
    }

    /// [N, T, 1] waveform clips, each a whole clip: every clip's frames as rows of each layer.
    public func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput {
        guard windows.rank == 3, windows.shape[2] == 1, windows.shape[1] > 0 else {
            throw ModelError(path: size.rawValue, kind: .invalidInput, reason: "expected [N, T > 0, 1] waveforms, got \(windows.shape)")
        }
        let indices = try Self.indices(layers, size: size)
        let t = windows.shape[1]
        var values: [String: [Float]] = [:]
        for item in 0..<windows.shape[0] {
            let states = hiddenStates(windows.values[(item * t) ..< ((item + 1) * t)], wanted: Set(indices.values))
            for (name, index) in indices { values[name, default: []] += states[index]!.values }
        }
        return NetworkOutput(layers: values.mapValues { FADNN.Tensor(shape: [$0.count / size.hidden, size.hidden], values: $0) })
    }

    static func indices(_ layers: Set<String>, size: Size) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for name in layers {
            guard let index = layerIndex(name, size: size) else {
                throw ModelError(path: size.rawValue, kind: .invalidInput, reason: "no layer '\(name)': MERT's layers are 0...\(size.layers)")
            }
            out[name] = index
        }
        return out
    }

    /// The file, cut to `limitSamples`, runs once (on the runner's first batch); rows are its
    /// frames or kadtk's blocks.
    public func windows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows {
        if let hop, hop != Self.hopLength {
            throw ModelError(path: spec.id, kind: .invalidInput,
                             reason: "MERT's frames are fixed at \(Self.hopLength) samples; a window hop of \(hop) does not apply")
        }
        let kept = samples.prefix(limitSamples)
        let frames = Self.frames(samples: kept.count)
        guard frames > 0 else {
            throw ModelError(path: spec.id, kind: .invalidInput,
                             reason: "\(samples.count) samples are shorter than one MERT frame (\(Self.receptiveField) samples at 24 kHz)")
        }
        let pooled = spec.id.hasSuffix("-kadtk")
        let block = pooled ? Self.blockFrames(samples: kept.count, frames: frames) : 1
        let rows = block > 0 ? frames / block : 0
        if pooled {
            guard rows > 0 else {
                throw ModelError(path: spec.id, kind: .invalidInput,
                                 reason: "\(kept.count) samples are shorter than kadtk's 1 s pooling block")
            }
        }
        let network = self, size = size, hidden = size.hidden
        let box = MERTFileBox { names in
            let indices = try Self.indices(names, size: size)
            let states = network.hiddenStates(kept, wanted: Set(indices.values))
            var out: [String: FADNN.Tensor] = [:]
            for (name, index) in indices {
                let h = states[index]!
                guard pooled else { out[name] = h; continue }
                var values = [Float](repeating: 0, count: rows * hidden)
                for r in 0..<rows {
                    for j in 0..<hidden {
                        var sum = 0.0
                        for f in (r * block) ..< ((r + 1) * block) { sum += Double(h.values[f * hidden + j]) }
                        values[r * hidden + j] = Float(sum / Double(block))
                    }
                }
                out[name] = FADNN.Tensor(shape: [rows, hidden], values: values)
            }
            return out
        }
        let starts = (0..<rows).map { $0 * block * Self.hopLength }
        return ModelWindows(starts: starts, batch: { range in
            // The samples the rows cover (for inspection); the runner uses `outputs`.
            let first = starts[range.lowerBound]
            let last = min(kept.count, starts[range.upperBound - 1] + (block - 1) * Self.hopLength + Self.receptiveField)
            return FADNN.Tensor(shape: [1, last - first, 1], values: Array(kept[(kept.startIndex + first) ..< (kept.startIndex + last)]))
        }, outputs: { range, layers in
            try box.rows(range, layers: layers)
        })
    }
}
