// PaSST (Koutini et al. 2022, "Efficient Training of Audio Transformers with Patchout"), the
// `passt_s_swa_p16_128_ap476` AudioSet tagger as hear21passt 0.0.26 runs it
// (`hear21passt/models/preprocess.py` AugmentMelSTFT, `hear21passt/models/passt.py` PaSST, in
// `hear21passt/wrapper.py` PasstBasicWrapper): its own 32 kHz log-mel front end, 16x16 patches at
// stride 10, separate frequency and time positional embeddings, a DeiT-style ViT-B (12 blocks,
// 768-d, 12 heads) with class and distillation tokens. No patchout at inference.
import Foundation
import FADArrays
import FADFeatures
import FADNN

/// PaSST-S on 32 kHz mono audio: one 768-d embedding and 527 AudioSet logits per window of at
/// most 10 s.
///
/// Front end, per window of n samples (hear21passt's AugmentMelSTFT in eval mode):
/// ```
/// y[i]    = x[i+1] - 0.97 x[i]                       (pre-emphasis, a valid conv: n - 1 samples)
/// P[t, k] = |sum_j w[j] y~[320 t - 400 + j] e^(-2 pi i k j / 1024)|^2,  t < 1 + (n - 1) / 320
///           (torch.stft, n_fft 1024, hop 320, symmetric Hann w of 800 centred in the frame,
///            y~ reflect-padded by 512 at both ends; k = 0 ... 512)
/// M[b, t] = sum_k K[b, k] P[t, k]                    (Kaldi mel banks, 128 bins, 0 - 15000 Hz)
/// S[b, t] = (log(M[b, t] + 1e-5) + 4.5) / 5
/// ```
/// Network: Conv2d(1, 768, 16, stride 10) over S seen as a [128, T] image (12 x (T - 16) / 10 + 1
/// patches), plus `freq_new_pos_embed[f] + time_new_pos_embed[t]`; tokens [cls + p0, dist + p1,
/// patches in frequency-major order]; 12 pre-norm blocks `x += attn(LN(x)); x += fc2(GELU(fc1(LN(x))))`
/// (LayerNorm eps 1e-6, exact GELU); `embedding = (LN(x)[0] + LN(x)[1]) / 2` and
/// `logits = head.1(LN_head(embedding))` (head LayerNorm eps 1e-5). The distillation head
/// `head_dist` is not used by the model's forward and is not imported.
public struct PaSST: Sendable {
    public static let sampleRate = 32_000
    /// The input length the model was trained on (10 s; hear21passt's 998 frames and audiocraft's
    /// `max_duration`): 99 time positions of the positional embedding.
    public static let windowSamples = 320_000
    /// audiocraft drops segments of 0.15 s or less (4800 samples), "too small segments that are
    /// breaking the model inference": 4801 samples are 16 frames, one patch column.
    public static let minimumSamples = 4801
    public static let embeddingSize = 768
    public static let classCount = 527
    public static let melBands = 128
    static let fftLength = 1024
    static let stftWindow = 800
    static let hop = 320
    static let bins = fftLength / 2 + 1
    static let depth = 12
    static let heads = 12
    static let patch = 16
    static let patchStride = 10
    static let frequencyPatches = (melBands - patch) / patchStride + 1
    static let timePositions = 99
    static let mlpSize = 3072

    struct Block: Sendable {
        var norm1: LayerNorm
        var attention: MultiHeadAttention
        var norm2: LayerNorm
        var fc1: Dense
        var fc2: Dense
    }

    /// [800, 2 x 513]: w[j] cos(2 pi k j / 1024) then -w[j] sin(...), per bin k.
    let dft: [Float]
    /// [513, 128]: the Kaldi mel banks, transposed (the Nyquist bin has weight 0).
    let melBanks: [Float]
    let patchEmbedding: Conv2D
    let positions: FrequencyTimePositionalEmbedding
    /// cls + new_pos_embed[0], dist + new_pos_embed[1]: [2, 768].
    let leadingTokens: [Float]
    let blocks: [Block]
    let norm: LayerNorm
    let headNorm: LayerNorm
    let head: Dense
    let gelu = GELU(approximation: .none)

    /// Keys and shapes of the official `passt-s-f128-p16-s10-ap.476-swa.pt` state dict, kept in
    /// PyTorch layouts (the FADNN layers take them). `head_dist` is trained but unused at inference.
    public static var importSpec: TorchImportSpec {
        let d = embeddingSize
        var tensors: [TorchImportSpec.Tensor] = [
            .init(name: "cls_token", torchShape: [1, 1, d], layout: .vector),
            .init(name: "dist_token", torchShape: [1, 1, d], layout: .vector),
            .init(name: "new_pos_embed", torchShape: [1, 2, d], layout: .vector),
            .init(name: "freq_new_pos_embed", torchShape: [1, d, frequencyPatches, 1], layout: .vector),
            .init(name: "time_new_pos_embed", torchShape: [1, d, 1, timePositions], layout: .vector),
            .init(name: "patch_embed.proj.weight", torchShape: [d, 1, patch, patch], layout: .vector),
            .init(name: "patch_embed.proj.bias", torchShape: [d], layout: .vector),
        ]
        for b in 0..<depth {
            let p = "blocks.\(b)."
            for (name, shape) in [("norm1.weight", [d]), ("norm1.bias", [d]),
                                  ("attn.qkv.weight", [3 * d, d]), ("attn.qkv.bias", [3 * d]),
                                  ("attn.proj.weight", [d, d]), ("attn.proj.bias", [d]),
                                  ("norm2.weight", [d]), ("norm2.bias", [d]),
                                  ("mlp.fc1.weight", [mlpSize, d]), ("mlp.fc1.bias", [mlpSize]),
                                  ("mlp.fc2.weight", [d, mlpSize]), ("mlp.fc2.bias", [d])] {
                tensors.append(.init(name: p + name, torchShape: shape, layout: .vector))
            }
        }
        for (name, shape) in [("norm.weight", [d]), ("norm.bias", [d]), ("head.0.weight", [d]), ("head.0.bias", [d]),
                              ("head.1.weight", [classCount, d]), ("head.1.bias", [classCount])] {
            tensors.append(.init(name: name, torchShape: shape, layout: .vector))
        }
        return TorchImportSpec(modelName: "passt", tensors: tensors, ignoredPrefixes: ["head_dist."],
                               strippedPrefixes: ["module."])
    }

    /// The official checkpoint, as hear21passt's `default_cfgs` names it (GitHub releases publish
    /// no digest).
    public static let officialCheckpoint = OfficialCheckpoint(
        file: "passt-s-f128-p16-s10-ap.476-swa.pt",
        url: "https://github.com/kkoutini/PaSST/releases/download/v0.0.1-audioset/passt-s-f128-p16-s10-ap.476-swa.pt",
        digest: nil)

    /// Builds the network from imported weights (PyTorch layouts, see ``importSpec``).
    public init(weights: WeightSource) throws {
        let d = Self.embeddingSize
        func tensor(_ name: String, _ shape: [Int]) throws -> FADNN.Tensor {
            FADNN.Tensor(shape: shape, values: try weights.floats(name, shape: shape))
        }
        func layerNorm(_ name: String, epsilon: Float) throws -> LayerNorm {
            try LayerNorm(weight: try tensor("\(name).weight", [d]), bias: try tensor("\(name).bias", [d]),
                          size: d, epsilon: epsilon, name: name)
        }
        let cls = try weights.floats("cls_token", shape: [1, 1, d])
        let dist = try weights.floats("dist_token", shape: [1, 1, d])
        let leading = try weights.floats("new_pos_embed", shape: [1, 2, d])
        leadingTokens = zip(cls + dist, leading).map { $0 + $1 }
        positions = try FrequencyTimePositionalEmbedding(
            frequency: try tensor("freq_new_pos_embed", [1, d, Self.frequencyPatches, 1]),
            time: try tensor("time_new_pos_embed", [1, d, 1, Self.timePositions]))
        patchEmbedding = Conv2D(oihw: try weights.floats("patch_embed.proj.weight", shape: [d, 1, Self.patch, Self.patch]),
                                outputChannels: d, inputChannels: 1, kernelHeight: Self.patch, kernelWidth: Self.patch,
                                bias: try weights.floats("patch_embed.proj.bias", shape: [d]),
                                stride: (Self.patchStride, Self.patchStride), padding: .valid)
        blocks = try (0..<Self.depth).map { b in
            let p = "blocks.\(b)."
            return Block(
                norm1: try layerNorm(p + "norm1", epsilon: 1e-6),
                attention: try MultiHeadAttention(
                    inProjWeight: try tensor(p + "attn.qkv.weight", [3 * d, d]), inProjBias: try tensor(p + "attn.qkv.bias", [3 * d]),
                    outWeight: try tensor(p + "attn.proj.weight", [d, d]), outBias: try tensor(p + "attn.proj.bias", [d]),
                    heads: Self.heads, name: p + "attn"),
                norm2: try layerNorm(p + "norm2", epsilon: 1e-6),
                fc1: Dense(outIn: try weights.floats(p + "mlp.fc1.weight", shape: [Self.mlpSize, d]), outputs: Self.mlpSize, inputs: d,
                           bias: try weights.floats(p + "mlp.fc1.bias", shape: [Self.mlpSize])),
                fc2: Dense(outIn: try weights.floats(p + "mlp.fc2.weight", shape: [d, Self.mlpSize]), outputs: d, inputs: Self.mlpSize,
                           bias: try weights.floats(p + "mlp.fc2.bias", shape: [d])))
        }
        norm = try layerNorm("norm", epsilon: 1e-6)
        // head = Sequential(nn.LayerNorm(768) (default eps 1e-5), nn.Linear(768, 527)).
        headNorm = try layerNorm("head.0", epsilon: 1e-5)
        head = Dense(outIn: try weights.floats("head.1.weight", shape: [Self.classCount, d]), outputs: Self.classCount, inputs: d,
                     bias: try weights.floats("head.1.bias", shape: [Self.classCount]))
        dft = Self.makeDFT()
        melBanks = Self.makeMelBanks()
    }

    /// Loads an imported `passt.safetensors`.
    public init(contentsOf url: URL) throws {
        try self.init(weights: try SafetensorsFile(contentsOf: url))
    }

    // MARK: - Front end

    /// Frames of an n-sample window: torch.stft (center=True) of the n - 1 pre-emphasised samples.
    public static func frames(samples: Int) -> Int { 1 + (samples - 1) / hop }

    /// Time patches of a window of `frames` frames.
    static func timePatches(frames: Int) -> Int { (frames - patch) / patchStride + 1 }

    static func makeDFT() -> [Float] {
        let n = stftWindow
        var basis = [Float](repeating: 0, count: n * 2 * bins)
        for j in 0..<n {
            // torch.hann_window(800, periodic=False). The window's offset of 112 samples in the
            // 1024-point frame only turns the phase, which the power discards.
            let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(j) / Double(n - 1))
            for k in 0..<bins {
                let angle = 2 * Double.pi * Double((k * j) % fftLength) / Double(fftLength)
                basis[j * 2 * bins + k] = Float(w * cos(angle))
                basis[j * 2 * bins + bins + k] = Float(-w * sin(angle))
            }
        }
        return basis
    }

    /// torchaudio.compliance.kaldi.get_mel_banks(128, 1024, 32000, 0, 15000, ...) without VTLN
    /// warping (factor 1): triangles on the mel scale 1127 ln(1 + f / 700), 129 equal steps from
    /// 0 to mel(15000), evaluated at the FFT bins k 31.25 Hz (k < 512), transposed to [513, 128].
    /// hear21passt's `fmax=None` gives 16000 - 2000 / 2 = 15000 Hz at inference.
    static func makeMelBanks() -> [Float] {
        func mel(_ f: Double) -> Double { 1127 * log(1 + f / 700) }
        let high = mel(15_000), low = mel(0)
        let delta = (high - low) / Double(melBands + 1)
        var banks = [Float](repeating: 0, count: bins * melBands)
        for b in 0..<melBands {
            let left = low + Double(b) * delta, center = low + Double(b + 1) * delta, right = low + Double(b + 2) * delta
            for k in 0..<(fftLength / 2) {
                let m = mel(Double(sampleRate) / Double(fftLength) * Double(k))
                let weight = max(0, min((m - left) / (center - left), (right - m) / (right - center)))
                banks[k * melBands + b] = Float(weight)
            }
        }
        return banks
    }

    /// The normalised log-mel of equally long windows [N, n] (n >= ``minimumSamples``):
    /// [N, 128, T], T = ``frames(samples:)``, as AugmentMelSTFT returns it.
    public func logMel(_ windows: FADNN.Tensor) -> FADNN.Tensor {
        precondition(windows.rank == 2 && windows.shape[1] >= Self.minimumSamples,
                     "PaSST.logMel: expected [N, n >= \(Self.minimumSamples)] samples, got \(windows.shape)")
        let count = windows.shape[0], n = windows.shape[1], m = n - 1
        let t = Self.frames(samples: n), width = Self.stftWindow, bins = Self.bins
        // Pre-emphasised, reflect-padded frames [N T, 800]: element j of frame f is
        // y[320 f - 400 + j] (index 112 + j of the 1024-point frame at 320 f - 512).
        var frames = [Float](repeating: 0, count: count * t * width)
        windows.values.withUnsafeBufferPointer { x in
        frames.withUnsafeMutableBufferPointer { out in
            BLAS.forEachTile(count: count * t, tile: 64) { rows, _ in
                for row in rows {
                    let item = row / t, f = row % t
                    let base = x.baseAddress! + item * n, o = out.baseAddress! + row * width
                    for j in 0..<width {
                        var q = f * Self.hop - width / 2 + j
                        if q < 0 { q = -q } else if q >= m { q = 2 * (m - 1) - q }
                        o[j] = base[q + 1] - 0.97 * base[q]
                    }
                }
            }
        }}
        // Real and imaginary parts [N T, 2 x 513] in one GEMM, then the power.
        var spectrum = [Float](repeating: 0, count: count * t * 2 * bins)
        frames.withUnsafeBufferPointer { a in
        dft.withUnsafeBufferPointer { b in
        spectrum.withUnsafeMutableBufferPointer { c in
            BLAS.parallelSgemm(m: count * t, n: 2 * bins, k: width, a: a.baseAddress!, lda: width,
                               b: b.baseAddress!, ldb: 2 * bins, c: c.baseAddress!, ldc: 2 * bins)
        }}}
        var power = [Float](repeating: 0, count: count * t * bins)
        spectrum.withUnsafeBufferPointer { s in
        power.withUnsafeMutableBufferPointer { p in
            for row in 0..<(count * t) {
                let src = s.baseAddress! + row * 2 * bins, dst = p.baseAddress! + row * bins
                for k in 0..<bins { dst[k] = src[k] * src[k] + src[bins + k] * src[bins + k] }
            }
        }}
        var melFrames = [Float](repeating: 0, count: count * t * Self.melBands)
        power.withUnsafeBufferPointer { a in
        melBanks.withUnsafeBufferPointer { b in
        melFrames.withUnsafeMutableBufferPointer { c in
            BLAS.parallelSgemm(m: count * t, n: Self.melBands, k: bins, a: a.baseAddress!, lda: bins,
                               b: b.baseAddress!, ldb: Self.melBands, c: c.baseAddress!, ldc: Self.melBands)
        }}}
        // [N, T, 128] -> [N, 128, T], log and the "fast normalization".
        var out = [Float](repeating: 0, count: count * Self.melBands * t)
        melFrames.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for item in 0..<count {
                for f in 0..<t {
                    let s = src.baseAddress! + (item * t + f) * Self.melBands
                    let d = dst.baseAddress! + item * Self.melBands * t + f
                    for b in 0..<Self.melBands { d[b * t] = (Foundation.log(s[b] + 1e-5) + 4.5) / 5 }
                }
            }
        }}
        return FADNN.Tensor(shape: [count, Self.melBands, t], values: out)
    }

    // MARK: - Network

    /// Embeddings [N, 768] and logits [N, 527] of equally long windows [N, n] of samples.
    public func callAsFunction(samples windows: FADNN.Tensor) throws -> (embedding: FADNN.Tensor, logits: FADNN.Tensor) {
        guard windows.rank == 2, windows.shape[1] >= Self.minimumSamples else {
            throw ModelError(path: "passt", kind: .invalidInput,
                             reason: "windows of \(windows.shape.dropFirst()) samples, the network needs at least \(Self.minimumSamples)")
        }
        let frames = Self.frames(samples: windows.shape[1])
        guard Self.timePatches(frames: frames) <= Self.timePositions else {
            throw ModelError(path: "passt", kind: .invalidInput,
                             reason: "windows of \(windows.shape[1]) samples are longer than the \(Self.windowSamples) (10 s) the positional embedding covers")
        }
        return callAsFunction(logMel: logMel(windows))
    }

    /// Embeddings [N, 768] and logits [N, 527] of normalised log-mels [N, 128, T], 16 <= T <= 1005.
    public func callAsFunction(logMel: FADNN.Tensor) -> (embedding: FADNN.Tensor, logits: FADNN.Tensor) {
        let count = logMel.shape[0], frames = logMel.shape[2], d = Self.embeddingSize
        let times = Self.timePatches(frames: frames)
        precondition(logMel.rank == 3 && logMel.shape[1] == Self.melBands && frames >= Self.patch && times <= Self.timePositions,
                     "PaSST: expected [N, 128, 16...1005] log-mel, got \(logMel.shape)")
        let patches = Self.frequencyPatches * times, length = patches + 2
        // [N, 128, T, 1] -> [N, 12, times, 768]: tokens in frequency-major order.
        let embedded = positions(patchEmbedding(logMel.reshaped(logMel.shape + [1])).reshaped([count, patches, d]), times: times)
        var tokens = [Float](repeating: 0, count: count * length * d)
        for item in 0..<count {
            tokens.replaceSubrange(item * length * d ..< (item * length + 2) * d, with: leadingTokens)
            tokens.replaceSubrange((item * length + 2) * d ..< (item + 1) * length * d,
                                   with: embedded.values[item * patches * d ..< (item + 1) * patches * d])
        }
        var x = FADNN.Tensor(shape: [count, length, d], values: tokens)
        for block in blocks {
            Self.add(block.attention(block.norm1(x)), to: &x)
            var hidden = block.fc1(block.norm2(x).reshaped([count * length, d]))
            gelu.apply(to: &hidden)
            Self.add(block.fc2(hidden).reshaped([count, length, d]), to: &x)
        }
        // Only the class and distillation tokens are read: normalise those two.
        var leading = [Float](repeating: 0, count: count * 2 * d)
        for item in 0..<count {
            leading.replaceSubrange(item * 2 * d ..< (item + 1) * 2 * d, with: x.values[item * length * d ..< (item * length + 2) * d])
        }
        let normalised = norm(FADNN.Tensor(shape: [count * 2, d], values: leading)).values
        var embedding = [Float](repeating: 0, count: count * d)
        for item in 0..<count {
            for i in 0..<d { embedding[item * d + i] = (normalised[item * 2 * d + i] + normalised[(item * 2 + 1) * d + i]) / 2 }
        }
        let features = FADNN.Tensor(shape: [count, d], values: embedding)
        return (features, head(headNorm(features)))
    }

    /// x += y, element-wise over the whole tensor.
    static func add(_ y: FADNN.Tensor, to x: inout FADNN.Tensor) {
        precondition(x.shape == y.shape, "PaSST: residual shapes \(x.shape) and \(y.shape)")
        y.values.withUnsafeBufferPointer { src in
        x.values.withUnsafeMutableBufferPointer { dst in
            let s = src.baseAddress!, o = dst.baseAddress!
            BLAS.forEachTile(count: dst.count, tile: 1 << 15) { range, _ in
                for i in range { o[i] += s[i] }
            }
        }}
    }

    /// FLOPs (2 per multiply-add) of one window of `samples` samples: the DFT and mel GEMMs,
    /// the patch convolution, the 12 blocks and the head.
    public static func flops(samples: Int) -> Double {
        let t = frames(samples: samples), times = timePatches(frames: t)
        let patches = Double(frequencyPatches * times), l = patches + 2, d = Double(embeddingSize)
        let frontEnd = 2 * Double(t) * Double(stftWindow * 2 * bins + bins * melBands)
        let embed = 2 * patches * Double(patch * patch) * d
        let block = 2 * l * d * 3 * d + 2 * l * d * d + 2 * 2 * l * l * d + 2 * 2 * l * d * Double(mlpSize)
        return frontEnd + embed + Double(depth) * block + 2 * d * Double(classCount)
    }

    // MARK: - Windows

    /// The windows of a clip of `samples` samples, as (first sample, length), following audiocraft's
    /// `PasstKLDivergenceMetric._process_audio`: windows of at most 10 s every `hop` samples, the
    /// first at 0; a later window is cut while it reaches past the end of the one before it
    /// (`start + 10 s - hop < samples`), and a window that the clip's end cuts short runs as it is,
    /// unpadded, unless it has 0.15 s (4800 samples) or less, which is dropped. With the default
    /// hop of 10 s these are audiocraft's `torch.split` segments; with a 5 s hop the starts are
    /// stable-audio-metrics' `range(0, max(step, len - step), step)` (which, unlike this, pads a
    /// short last window to 10 s with zeros). A clip shorter than ``minimumSamples`` is one window
    /// zero-padded to that length (audiocraft would have no segment at all).
    public static func windows(samples: Int, hop: Int) -> [(start: Int, count: Int)] {
        precondition(samples > 0 && hop > 0, "PaSST.windows: \(samples) samples, hop \(hop)")
        var out = [(start: 0, count: max(minimumSamples, min(windowSamples, samples)))]
        var start = hop
        while start < samples && start + max(0, windowSamples - hop) < samples {
            let count = min(windowSamples, samples - start)
            if count >= minimumSamples { out.append((start, count)) }
            start += hop
        }
        return out
    }
}

extension PaSST: AudioNetwork {
    /// `passt`: `.waveform` input (the front end runs per window inside the forward pass, as both
    /// audiocraft and stable-audio-metrics run hear21passt per 10 s segment), so a `--hop` is in
    /// samples at 32 kHz: the default 320000 is audiocraft's non-overlapping 10 s, 160000 is
    /// stable-audio-metrics' 5 s hop. `probabilities` are the softmax of the logits: PaSST was
    /// trained as a multi-label (sigmoid) tagger, but audiocraft's KLD (`torch.softmax(logits)`)
    /// and stable-audio-metrics (`F.softmax` of the mean logits) both take the softmax for KL.
    public static let specs: [ModelSpec] = [
        ModelSpec(id: "passt", sampleRate: sampleRate, input: .waveform,
                  windows: .sliding(length: windowSamples, hop: windowSamples),
                  layers: [LayerDescriptor(name: "embedding", dimension: embeddingSize)], defaultLayer: "embedding",
                  labels: .file("audioset/labels.txt", count: classCount), activation: .softmax,
                  weights: .imported(officialCheckpoint, importSpec), batchSize: 4),
    ]

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        guard spec.id == "passt" else { throw ModelError(path: spec.id, kind: .unknownModel, reason: "not a PaSST id") }
        try self.init(weights: weights)
    }

    /// ``windows(samples:hop:)`` of the clip. Windows shorter than the longest one of a batch are
    /// padded with NaN, which marks their end for ``forward(_:layers:)``: audio samples are
    /// finite (checked here), so the marker cannot be confused with audio.
    public func windows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows {
        guard samples.allSatisfy(\.isFinite) else {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "audio contains NaN or infinite samples")
        }
        let windows = Self.windows(samples: samples.count, hop: hop ?? Self.windowSamples)
        return ModelWindows(starts: windows.map(\.start)) { range in
            let longest = windows[range].map(\.count).max() ?? 0
            var values = [Float](repeating: .nan, count: range.count * longest)
            for (i, window) in windows[range].enumerated() {
                let real = min(window.count, samples.count - window.start)
                values.replaceSubrange(i * longest ..< i * longest + real, with: samples[window.start ..< window.start + real])
                // A clip shorter than the minimum: zeros up to it.
                for j in real ..< window.count { values[i * longest + j] = 0 }
            }
            return FADNN.Tensor(shape: [range.count, longest, 1], values: values)
        }
    }

    /// [N, n, 1] windows (each ending at its first NaN) -> the embedding and the logits. Windows of
    /// the same length run as one batch.
    public func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput {
        guard windows.rank == 3, windows.shape[2] == 1 else {
            throw ModelError(path: "passt", kind: .invalidInput, reason: "expected [windows, samples, 1], got \(windows.shape)")
        }
        let count = windows.shape[0], n = windows.shape[1], d = Self.embeddingSize
        let lengths = (0..<count).map { item in
            windows.values[item * n ..< (item + 1) * n].firstIndex { $0.isNaN }.map { $0 - item * n } ?? n
        }
        var embedding = [Float](repeating: 0, count: count * d)
        var logits = [Float](repeating: 0, count: count * Self.classCount)
        for length in Set(lengths).sorted() {
            let items = (0..<count).filter { lengths[$0] == length }
            let batch = FADNN.Tensor(shape: [items.count, length],
                                     values: items.flatMap { windows.values[$0 * n ..< $0 * n + length] })
            let out = try self(samples: batch)
            for (i, item) in items.enumerated() {
                embedding.replaceSubrange(item * d ..< (item + 1) * d, with: out.embedding.values[i * d ..< (i + 1) * d])
                logits.replaceSubrange(item * Self.classCount ..< (item + 1) * Self.classCount,
                                       with: out.logits.values[i * Self.classCount ..< (i + 1) * Self.classCount])
            }
        }
        return NetworkOutput(layers: ["embedding": FADNN.Tensor(shape: [count, d], values: embedding)],
                             logits: FADNN.Tensor(shape: [count, Self.classCount], values: logits))
    }
}
