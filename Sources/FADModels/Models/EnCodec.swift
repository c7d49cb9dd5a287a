// EnCodec's SEANet encoder (Défossez et al. 2022) as the `encodec` package 0.1.1 defines it
// (`encodec/modules/seanet.py` `SEANetEncoder`, `conv.py` `SConv1d`, `lstm.py` `SLSTM`,
// `model.py` `EncodecModel`): the 128-d latent at 75 frames/s before the quantiser, which fadtk
// embeds as `encodec-emb`.
import Foundation
import FADArrays
import FADFeatures
import FADNN

/// The EnCodec encoder: conv(channels -> 32, k7); four stages of [residual block, ELU, strided
/// conv (kernel 2r, stride r, r = 2, 4, 5, 8) doubling the width]; a two-layer LSTM(512) with a
/// skip (`lstm(x) + x`); ELU; conv(512 -> 128, k7). A residual block is
/// `shortcut(x) + conv_1x1(ELU(conv_k3(ELU(x))))`, the shortcut a 1x1 conv, the inner width half.
/// Every convolution is EnCodec's `SConv1d`: reflect padding of `(k - 1) d - (s - 1)` samples,
/// all on the left (24 kHz, causal) or split with the odd one on the left (48 kHz), plus the
/// right padding that fills the last stride (`Conv1DPadding.streaming`).
///
/// - `encodec-24k`: mono 24 kHz, weight-normalised convolutions (folded at import), causal, the
///   whole file in one pass (fadtk's `encodec-emb`, the package's `encode`).
/// - `encodec-48k`: stereo 48 kHz, each convolution followed by `GroupNorm(1, C)` (eps 1e-5),
///   non-causal; the package's `encode`: segments of 48,000 samples every int(0.99 * 48,000) =
///   47,520, each divided by `scale = 1e-8 + sqrt(mean(mono^2))` (mono = the channel mean) and
///   encoded on its own; the latent is every segment's frames in order (segments overlap by
///   480 samples, so rows at a boundary overlap in time). fadtk's `encodec-emb-48k` instead cuts
///   non-overlapping 1 s segments without the scale: not this model.
public struct EnCodec: Sendable {
    public enum Variant: String, Sendable, CaseIterable {
        case khz24 = "encodec-24k"
        case khz48 = "encodec-48k"

        public var sampleRate: Int { self == .khz24 ? 24_000 : 48_000 }
        public var channels: Int { self == .khz24 ? 1 : 2 }
        public var causal: Bool { self == .khz24 }
        public var modelName: String { rawValue }

        /// The file the `encodec` package fetches (model.py `encodec_model_24khz/48khz`); the hex
        /// in the name is the SHA-256 prefix torch.hub's `check_hash` verifies.
        public var officialCheckpoint: OfficialCheckpoint {
            let file = self == .khz24 ? "encodec_24khz-d7cc33bc.th" : "encodec_48khz-7e698e3e.th"
            return OfficialCheckpoint(file: file, url: "https://dl.fbaipublicfiles.com/encodec/v0/\(file)",
                                      digest: .sha256Prefix(self == .khz24 ? "d7cc33bc" : "7e698e3e"))
        }
    }

    /// Latent channels.
    public static let dimension = 128
    /// Downsampling ratios of the encoder's stages, in order (the package's [8, 5, 4, 2] reversed).
    public static let ratios = [2, 4, 5, 8]
    /// Samples per latent frame (the product of the ratios): 75 frames/s at 24 kHz, 150 at 48 kHz.
    public static let hopLength = 320
    static let filters = 32
    static let lstmIndex = 13
    /// Segment length and stride of the 48 kHz model's `encode` (1 s, overlap 0.01).
    static let segmentLength = 48_000
    static let segmentStride = 47_520
    /// Latent frames of left context each chunk of a long 24 kHz file is encoded with and then
    /// drops. The causal convolutions before the LSTM reach 797 samples back (sum of
    /// (k - 1) d times the stride before each layer: 6 + 2 + 3 + 4 + 14 + 16 + 72 + 80 + 600),
    /// under 3 frames; 8 frames also cover the reflect padding at the chunk's left edge.
    static let contextFrames = 8

    /// One `SConv1d`: the convolution and, at 48 kHz, its GroupNorm(1, C).
    struct Unit: Sendable {
        var conv: Conv1D
        var norm: GroupNorm?

        func callAsFunction(_ x: FADNN.Tensor) -> FADNN.Tensor {
            var y = conv(x)
            norm?.apply(to: &y)
            return y
        }
    }

    struct ResidualBlock: Sendable {
        var inner: Unit
        var outer: Unit
        var shortcut: Unit
    }

    public let variant: Variant
    let stem: Unit
    let stages: [(block: ResidualBlock, down: Unit)]
    let lstm: LSTM
    let head: Unit
    private let elu = ELU()
    /// Latent frames per chunk when a 24 kHz file is streamed (10 s).
    public var chunkFrames = 750

    /// Every SConv1d of the encoder: (module index path, in, out, kernel, stride, dilation).
    static var convolutions: [(name: String, input: Int, output: Int, kernel: Int, stride: Int)] {
        var out: [(String, Int, Int, Int, Int)] = []
        var index = 0, width = filters
        out.append(("encoder.model.0", 0, width, 7, 1))  // input channels set per variant
        index = 1
        for ratio in ratios {
            out.append(("encoder.model.\(index).block.1", width, width / 2, 3, 1))
            out.append(("encoder.model.\(index).block.3", width / 2, width, 1, 1))
            out.append(("encoder.model.\(index).shortcut", width, width, 1, 1))
            out.append(("encoder.model.\(index + 2)", width, 2 * width, 2 * ratio, ratio))
            index += 3; width *= 2
        }
        out.append(("encoder.model.\(index + 2)", width, dimension, 7, 1))
        return out
    }

    /// Keys and shapes of the official `.th` state dict's encoder; the decoder and the
    /// quantiser's codebooks are dropped.
    public static func importSpec(_ variant: Variant) -> TorchImportSpec {
        var tensors: [TorchImportSpec.Tensor] = []
        for c in convolutions {
            let input = c.input == 0 ? variant.channels : c.input
            let prefix = "\(c.name).conv"
            let shape = [c.output, input, c.kernel]
            if variant == .khz24 {
                tensors.append(.init(name: "\(prefix).conv.weight", torchShape: shape, layout: .vector,
                                     source: .weightNorm(g: "\(prefix).conv.weight_g", v: "\(prefix).conv.weight_v", dim: 0)))
            } else {
                tensors.append(.init(name: "\(prefix).conv.weight", torchShape: shape, layout: .vector))
                tensors.append(.init(name: "\(prefix).norm.weight", torchShape: [c.output], layout: .vector))
                tensors.append(.init(name: "\(prefix).norm.bias", torchShape: [c.output], layout: .vector))
            }
            tensors.append(.init(name: "\(prefix).conv.bias", torchShape: [c.output], layout: .vector))
        }
        let hidden = filters << ratios.count
        for l in 0..<2 {
            let p = "encoder.model.\(lstmIndex).lstm"
            tensors.append(.init(name: "\(p).weight_ih_l\(l)", torchShape: [4 * hidden, hidden], layout: .vector))
            tensors.append(.init(name: "\(p).weight_hh_l\(l)", torchShape: [4 * hidden, hidden], layout: .vector))
            tensors.append(.init(name: "\(p).bias_ih_l\(l)", torchShape: [4 * hidden], layout: .vector))
            tensors.append(.init(name: "\(p).bias_hh_l\(l)", torchShape: [4 * hidden], layout: .vector))
        }
        return TorchImportSpec(modelName: variant.modelName, tensors: tensors, ignoredPrefixes: ["decoder.", "quantizer."])
    }

    /// Builds the encoder from imported weights (`importSpec`'s names and PyTorch shapes).
    public init(weights: any WeightSource, variant: Variant) throws {
        self.variant = variant
        func unit(_ c: (name: String, input: Int, output: Int, kernel: Int, stride: Int)) throws -> Unit {
            let input = c.input == 0 ? variant.channels : c.input
            let prefix = "\(c.name).conv"
            let shape = [c.output, input, c.kernel]
            let conv = try Conv1D(weight: FADNN.Tensor(shape: shape, values: try weights.floats("\(prefix).conv.weight", shape: shape)),
                                  bias: FADNN.Tensor(shape: [c.output], values: try weights.floats("\(prefix).conv.bias", shape: [c.output])),
                                  stride: c.stride, padding: .streaming(causal: variant.causal), paddingMode: .reflect,
                                  name: "\(prefix).conv")
            guard variant == .khz48 else { return Unit(conv: conv, norm: nil) }
            let norm = try GroupNorm(weight: FADNN.Tensor(shape: [c.output], values: try weights.floats("\(prefix).norm.weight", shape: [c.output])),
                                     bias: FADNN.Tensor(shape: [c.output], values: try weights.floats("\(prefix).norm.bias", shape: [c.output])),
                                     groups: 1, channels: c.output, epsilon: 1e-5, name: "\(prefix).norm")
            return Unit(conv: conv, norm: norm)
        }
        let all = Self.convolutions
        stem = try unit(all[0])
        var stages: [(ResidualBlock, Unit)] = []
        for s in 0..<Self.ratios.count {
            let base = 1 + 4 * s
            stages.append((ResidualBlock(inner: try unit(all[base]), outer: try unit(all[base + 1]), shortcut: try unit(all[base + 2])),
                           try unit(all[base + 3])))
        }
        self.stages = stages
        head = try unit(all[all.count - 1])
        let hidden = Self.filters << Self.ratios.count
        let p = "encoder.model.\(Self.lstmIndex).lstm"
        lstm = try LSTM(layers: (0..<2).map { l in
            LSTM.TorchLayer(
                weightIH: FADNN.Tensor(shape: [4 * hidden, hidden], values: try weights.floats("\(p).weight_ih_l\(l)", shape: [4 * hidden, hidden])),
                weightHH: FADNN.Tensor(shape: [4 * hidden, hidden], values: try weights.floats("\(p).weight_hh_l\(l)", shape: [4 * hidden, hidden])),
                biasIH: FADNN.Tensor(shape: [4 * hidden], values: try weights.floats("\(p).bias_ih_l\(l)", shape: [4 * hidden])),
                biasHH: FADNN.Tensor(shape: [4 * hidden], values: try weights.floats("\(p).bias_hh_l\(l)", shape: [4 * hidden])))
        }, name: p)
    }

    /// Loads an imported `encodec-24k.safetensors` / `encodec-48k.safetensors`.
    public init(contentsOf url: URL, variant: Variant) throws {
        try self.init(weights: try SafetensorsFile(contentsOf: url), variant: variant)
    }

    /// Latent frames of a clip of `samples` samples: ceil(samples / 320) (the extra right
    /// padding fills every stride).
    public static func frames(samples: Int) -> Int { (samples + hopLength - 1) / hopLength }

    /// The convolutions before the LSTM: [N, T, channels] -> [N, ceil(T / 320), 512].
    func convolutionStack(_ input: FADNN.Tensor) -> FADNN.Tensor {
        var x = stem(input)
        for (block, down) in stages {
            var branch = elu(x)
            branch = block.inner(branch)
            elu.apply(to: &branch)
            branch = block.outer(branch)
            x = block.shortcut(x)
            x.values.withUnsafeMutableBufferPointer { y in
                branch.values.withUnsafeBufferPointer { b in for i in 0..<y.count { y[i] += b[i] } }
            }
            elu.apply(to: &x)
            x = down(x)
        }
        return x
    }

    /// The LSTM with its skip, then ELU, from `state` (leaving the final state in it).
    func recurrent(_ x: FADNN.Tensor, state: inout LSTM.State?) -> FADNN.Tensor {
        var y = lstm(x, state: &state)
        y.values.withUnsafeMutableBufferPointer { out in
            x.values.withUnsafeBufferPointer { skip in for i in 0..<out.count { out[i] += skip[i] } }
        }
        elu.apply(to: &y)
        return y
    }

    /// The encoder on each item of [N, T, channels] as one clip (the package's
    /// `model.encoder(x)`): [N, ceil(T / 320), 128]. Activations grow with T; long files go
    /// through `latent(of:)`.
    public func encode(_ input: FADNN.Tensor) -> FADNN.Tensor {
        precondition(input.rank == 3 && input.shape[2] == variant.channels && input.shape[1] > 0,
                     "EnCodec: expected [N, T > 0, \(variant.channels)], got \(input.shape)")
        var state: LSTM.State?
        return head(recurrent(convolutionStack(input), state: &state))
    }

    /// The latent of one file (interleaved channels), [frames, 128] row-major, as the package's
    /// `encode` computes it, in bounded memory.
    ///
    /// 24 kHz: the file goes through in chunks of `chunkFrames` frames. Each chunk's convolutions
    /// run on its samples plus `contextFrames` frames before it (dropped after), which covers
    /// their receptive field, and chunk lengths are multiples of 320 but for the last, so no
    /// chunk-edge padding reaches a kept frame; the LSTM carries its state from chunk to chunk
    /// and the final k7 convolution sees the last 6 frames of the previous chunk. The result is
    /// the whole-file pass (as fadtk runs it) up to float rounding, with activations bounded by
    /// one chunk.
    /// 48 kHz: one 1 s segment at a time (see the type's documentation).
    public func latent(of samples: [Float]) throws -> [Float] {
        var stream = try Stream(network: self, samples: samples)
        var out: [Float] = []
        out.reserveCapacity(stream.frames * Self.dimension)
        while stream.nextFrame < stream.frames {
            out += try stream.next(upTo: min(stream.frames, stream.nextFrame + chunkFrames))
        }
        return out
    }

    /// FLOPs (2 per multiply-add) of the encoder on one clip of `samples` samples per channel.
    public func flops(samples: Int) -> Double {
        var flops = 0.0
        var length = samples
        flops += stem.conv.flops(inputLength: length)
        for (block, down) in stages {
            flops += block.inner.conv.flops(inputLength: length) + block.outer.conv.flops(inputLength: length)
                + block.shortcut.conv.flops(inputLength: length) + down.conv.flops(inputLength: length)
            length = down.conv.outputLength(length)
        }
        let hidden = Double(lstm.hiddenSize)
        flops += 2 * Double(lstm.layers.count) * Double(length) * 2 * 4 * hidden * hidden
        return flops + head.conv.flops(inputLength: length)
    }

    /// One file's latent frames computed in order, a chunk at a time.
    struct Stream {
        let network: EnCodec
        let samples: [Float]
        let channels: Int
        /// Samples per channel.
        let length: Int
        let frames: Int
        /// The first frame the next call returns.
        private(set) var nextFrame = 0
        // 24 kHz: the LSTM state and the last (up to 6) ELU(LSTM + skip) frames before nextFrame.
        private var state: LSTM.State?
        private var tail = FADNN.Tensor(shape: [1, 0, 512])
        /// 48 kHz: (first frame, sample offset, samples) of each segment.
        let segments: [(frame: Int, offset: Int, length: Int)]

        init(network: EnCodec, samples: [Float]) throws {
            let channels = network.variant.channels
            guard !samples.isEmpty, samples.count % channels == 0 else {
                throw ModelError(path: network.variant.modelName, kind: .invalidInput,
                                 reason: "\(samples.count) samples are not a whole, non-zero number of \(channels)-channel frames")
            }
            self.network = network; self.samples = samples; self.channels = channels
            length = samples.count / channels
            if network.variant == .khz24 {
                segments = []
                frames = EnCodec.frames(samples: length)
            } else {
                var segments: [(Int, Int, Int)] = []
                var frame = 0
                for offset in stride(from: 0, to: length, by: EnCodec.segmentStride) {
                    let count = min(EnCodec.segmentLength, length - offset)
                    segments.append((frame, offset, count))
                    frame += EnCodec.frames(samples: count)
                }
                self.segments = segments
                frames = frame
            }
        }

        /// Where each frame starts in the file, in samples.
        var starts: [Int] {
            if segments.isEmpty { return (0..<frames).map { $0 * EnCodec.hopLength } }
            return segments.flatMap { s in (0..<EnCodec.frames(samples: s.length)).map { s.offset + $0 * EnCodec.hopLength } }
        }

        /// The frames nextFrame..<end, [end - nextFrame, 128] row-major.
        mutating func next(upTo end: Int) throws -> [Float] {
            precondition(end > nextFrame && end <= frames, "EnCodec.Stream: frames \(nextFrame)..<\(end) of \(frames)")
            defer { nextFrame = end }
            return segments.isEmpty ? chunk24(upTo: end) : try segments48(upTo: end)
        }

        private mutating func chunk24(upTo end: Int) -> [Float] {
            let hop = EnCodec.hopLength
            let context = min(nextFrame, EnCodec.contextFrames)
            let first = (nextFrame - context) * hop, last = min(end * hop, length)
            let input = FADNN.Tensor(shape: [1, last - first, 1], values: Array(samples[first ..< last]))
            let features = network.convolutionStack(input)
            let kept = FADNN.Tensor(shape: [1, end - nextFrame, 512], values: Array(features.values[(context * 512)...]))
            let recurrent = network.recurrent(kept, state: &state)
            // The head (k7, causal) needs the 6 frames before this chunk; at the file start it
            // reflects, as the whole-file pass does.
            let previous = tail.shape[1]
            let joined = FADNN.Tensor(shape: [1, previous + recurrent.shape[1], 512], values: tail.values + recurrent.values)
            let latent = network.head(joined)
            let keep = min(6, joined.shape[1])
            tail = FADNN.Tensor(shape: [1, keep, 512], values: Array(joined.values[((joined.shape[1] - keep) * 512)...]))
            return Array(latent.values[(previous * EnCodec.dimension)...])
        }

        private var cachedSegment: (index: Int, latent: [Float])?

        private mutating func segments48(upTo end: Int) throws -> [Float] {
            var out: [Float] = []
            var frame = nextFrame
            while frame < end {
                let index = segments.lastIndex { $0.frame <= frame }!
                if cachedSegment?.index != index { cachedSegment = (index, encodeSegment(index)) }
                let segment = segments[index]
                let segmentEnd = min(end, segment.frame + EnCodec.frames(samples: segment.length))
                out += cachedSegment!.latent[((frame - segment.frame) * EnCodec.dimension) ..< ((segmentEnd - segment.frame) * EnCodec.dimension)]
                frame = segmentEnd
            }
            return out
        }

        /// One segment divided by 1e-8 + the RMS of its channel mean, encoded as a clip.
        private func encodeSegment(_ index: Int) -> [Float] {
            let s = segments[index]
            let values = Array(samples[(s.offset * channels) ..< ((s.offset + s.length) * channels)])
            var power = 0.0
            for t in 0..<s.length {
                var mono = 0.0
                for c in 0..<channels { mono += Double(values[t * channels + c]) }
                mono /= Double(channels)
                power += mono * mono
            }
            let scale = 1e-8 + (power / Double(s.length)).squareRoot()
            let scaled = values.map { Float(Double($0) / scale) }
            return network.encode(FADNN.Tensor(shape: [1, s.length, channels], values: scaled)).values
        }
    }
}

/// The per-file stream handed to the runner: batches arrive in order, one file at a time.
private final class EnCodecStreamBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stream: EnCodec.Stream

    init(_ stream: EnCodec.Stream) { self.stream = stream }

    /// The frames `range`, which must start where the previous call ended (restarting from the
    /// file's start otherwise: the LSTM state only runs forward).
    func frames(_ range: Range<Int>) throws -> FADNN.Tensor {
        lock.lock(); defer { lock.unlock() }
        if stream.nextFrame > range.lowerBound {
            stream = try EnCodec.Stream(network: stream.network, samples: stream.samples)
        }
        while stream.nextFrame < range.lowerBound {
            _ = try stream.next(upTo: min(range.lowerBound, stream.nextFrame + stream.network.chunkFrames))
        }
        return FADNN.Tensor(shape: [range.count, EnCodec.dimension], values: try stream.next(upTo: range.upperBound))
    }
}

extension EnCodec: AudioNetwork {
    /// One embedding row per latent frame (320 samples: 75 frames/s at 24 kHz, 150 at 48 kHz),
    /// as fadtk uses them; a batch is one chunk of `chunkFrames` frames. fadtk cuts files longer
    /// than 3 minutes (`EncodecEmbModel.load_wav`); fad encodes the whole file.
    public static let specs: [ModelSpec] = Variant.allCases.map { variant in
        ModelSpec(id: variant.modelName, sampleRate: variant.sampleRate, channels: variant.channels, input: .waveform,
                  windows: .sliding(length: hopLength, hop: hopLength),
                  layers: [LayerDescriptor(name: "latent", dimension: dimension)], defaultLayer: "latent",
                  weights: .imported(variant.officialCheckpoint, importSpec(variant)),
                  batchSize: variant == .khz24 ? 750 : 150)
    }

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        guard let variant = Variant(rawValue: spec.id) else {
            throw ModelError(path: spec.id, kind: .unknownModel, reason: "not an EnCodec id")
        }
        try self.init(weights: weights, variant: variant)
        chunkFrames = spec.batchSize
    }

    /// [N, T, channels] waveform clips -> each clip's latent frames in order, all clips' frames
    /// as rows of "latent" [N * ceil(T / 320), 128] (EnCodec yields a frame sequence, not one
    /// vector per window). The runner streams files through `windows(of:)` instead.
    public func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput {
        guard windows.rank == 3, windows.shape[2] == variant.channels, windows.shape[1] > 0 else {
            throw ModelError(path: variant.modelName, kind: .invalidInput,
                             reason: "expected [N, T > 0, \(variant.channels)] waveforms, got \(windows.shape)")
        }
        let latent = encode(windows)
        return NetworkOutput(layers: ["latent": latent.reshaped([latent.shape[0] * latent.shape[1], Self.dimension])])
    }

    /// Windows are the latent frames; each batch streams the next frames of the file through
    /// the encoder (`latent(of:)`'s chunks), so memory does not grow with the file.
    public func windows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows {
        if let hop, hop != Self.hopLength {
            throw ModelError(path: spec.id, kind: .invalidInput,
                             reason: "EnCodec's frames are fixed at \(Self.hopLength) samples; a window hop of \(hop) does not apply")
        }
        var network = self
        network.chunkFrames = spec.batchSize
        let stream = try Stream(network: network, samples: samples)
        let box = EnCodecStreamBox(stream)
        let channels = variant.channels
        return ModelWindows(starts: stream.starts, batch: { range in
            // The samples a batch covers (for inspection); the runner uses `outputs`.
            let first = stream.starts[range.lowerBound], last = min(stream.length, stream.starts[range.upperBound - 1] + Self.hopLength)
            return FADNN.Tensor(shape: [1, last - first, channels], values: Array(samples[(first * channels) ..< (last * channels)]))
        }, outputs: { range, _ in
            NetworkOutput(layers: ["latent": try box.frames(range)])
        })
    }
}
