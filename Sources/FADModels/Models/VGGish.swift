// VGGish (Hershey et al. 2017), as torchvggish 0.2 (`torchvggish/torchvggish.py`) ports Google's
// TF release: the 128-d embedding before the final ReLU, which is what fadtk and
// frechet_audio_distance use for FAD. PCA/quantisation postprocessing is not part of FAD.
import Foundation
import FADArrays
import FADFeatures
import FADNN

/// The VGGish network: [N, 96, 64] log-mel examples -> [N, 128] embeddings.
public struct VGGish: Sendable {
    public static let sampleRate = 16_000
    public static let exampleFrames = 96
    public static let melBands = 64
    public static let embeddingSize = 128

    /// How a clip is cut into 0.96 s examples, after the log-mel front end.
    public enum Framing: String, Sendable, CaseIterable {
        /// fadtk / frechet_audio_distance: the clip as it is, non-overlapping 96-frame examples
        /// (incomplete tail dropped); clips shorter than 1 s are zero-padded to 1 s.
        case fadtk
        /// Google's original FAD: the clip divided by max(0.1, max(x)) (its positive peak), then
        /// 1 s windows every 0.5 s, each giving one example.
        case google
    }

    private let convolutions: [Conv2D]
    private let dense: [Dense]

    /// Conv layers of torchvggish's `features` Sequential: (index, output channels, pool after).
    static let convLayers: [(index: Int, inputs: Int, outputs: Int, poolAfter: Bool)] = [
        (0, 1, 64, true), (3, 64, 128, true), (6, 128, 256, false), (8, 256, 256, true),
        (11, 256, 512, false), (13, 512, 512, true),
    ]
    static let denseLayers: [(index: Int, inputs: Int, outputs: Int)] = [
        (0, 512 * 6 * 4, 4096), (2, 4096, 4096), (4, 4096, 128),
    ]

    /// The keys and shapes of torchvggish's `vggish-10086976.pth`.
    public static let importSpec = TorchImportSpec(
        modelName: "vggish",
        tensors: convLayers.flatMap { l in [
            TorchImportSpec.Tensor(name: "features.\(l.index).weight", torchShape: [l.outputs, l.inputs, 3, 3], layout: .convolution),
            TorchImportSpec.Tensor(name: "features.\(l.index).bias", torchShape: [l.outputs], layout: .vector),
        ] } + denseLayers.flatMap { l in [
            TorchImportSpec.Tensor(name: "embeddings.\(l.index).weight", torchShape: [l.outputs, l.inputs], layout: .dense),
            TorchImportSpec.Tensor(name: "embeddings.\(l.index).bias", torchShape: [l.outputs], layout: .vector),
        ] },
        ignoredPrefixes: ["pproc."])

    /// Builds the network from imported weights (conv HWIO, dense [in, out]; see `TorchImporter`).
    public init(weights: WeightSource) throws {
        convolutions = try Self.convLayers.map { l in
            let name = "features.\(l.index)"
            return Conv2D(hwio: try weights.floats("\(name).weight", shape: [3, 3, l.inputs, l.outputs]),
                          kernelHeight: 3, kernelWidth: 3, inputChannels: l.inputs, outputChannels: l.outputs,
                          bias: try weights.floats("\(name).bias", shape: [l.outputs]),
                          padding: .explicit(top: 1, bottom: 1, left: 1, right: 1), activation: .relu)
        }
        dense = try Self.denseLayers.map { l in
            let name = "embeddings.\(l.index)"
            return Dense(inOut: try weights.floats("\(name).weight", shape: [l.inputs, l.outputs]),
                         inputs: l.inputs, outputs: l.outputs,
                         bias: try weights.floats("\(name).bias", shape: [l.outputs]),
                         activation: l.index == 4 ? .identity : .relu)
        }
    }

    /// Loads an imported `vggish.safetensors`.
    public init(contentsOf url: URL) throws {
        try self.init(weights: try SafetensorsFile(contentsOf: url))
    }

    /// Embeddings of log-mel examples [N, 96, 64] (frames x mel bands): [N, 128].
    public func embed(examples: FADNN.Tensor) -> FADNN.Tensor {
        precondition(examples.rank == 3 && examples.shape[1] == Self.exampleFrames && examples.shape[2] == Self.melBands,
                     "VGGish: expected [N, 96, 64] examples, got \(examples.shape)")
        var x = examples.reshaped(examples.shape + [1])
        for (layer, spec) in zip(convolutions, Self.convLayers) {
            x = layer(x)
            if spec.poolAfter { x = Pool2D.max(x, window: (2, 2), stride: (2, 2)) }
        }
        // [N, 6, 4, 512] flattened in (h, w, c) order: torchvggish transposes to NHWC first.
        x = x.flattened()
        for layer in dense { x = layer(x) }
        return x
    }

    /// The log-mel examples [N, 96, 64] of a 16 kHz mono clip under `framing`, with the first
    /// frame of each example (in 10 ms frames from the clip start). `hop` overrides the 96-frame
    /// example hop of `.fadtk`. A clip too short for one example gives N = 0.
    public static func examples(of waveform: [Float], framing: Framing, frontEnd: LogMelFrontEnd,
                                hop: Int = exampleFrames) throws -> (examples: FADNN.Tensor, starts: [Int]) {
        precondition(frontEnd.configuration == .vggish, "VGGish.examples: needs the .vggish front end")
        var values: [Float] = []
        var starts: [Int] = []
        switch framing {
        case .fadtk:
            let logMel = try frontEnd(segments(of: waveform, framing: .fadtk)[0])
            for (i, example) in frameExamples(logMel, length: exampleFrames, hop: hop).enumerated() {
                values += example.values
                starts.append(i * hop)
            }
        case .google:
            // Each 1 s window (98 frames) gives exactly one 96-frame example; windows start every 50 frames.
            for (i, segment) in segments(of: waveform, framing: .google).enumerated() {
                guard let example = frameExamples(try frontEnd(segment)).first else { continue }
                values += example.values
                starts.append(i * 50)
            }
        }
        return (FADNN.Tensor(shape: [starts.count, exampleFrames, melBands], values: values), starts)
    }

    /// Multiply-adds x 2 of one example.
    public static var flopsPerExample: Double {
        var flops = 0.0
        var h = exampleFrames, w = melBands
        for l in convLayers {
            flops += 2 * Double(h * w * 9 * l.inputs * l.outputs)
            if l.poolAfter { h /= 2; w /= 2 }
        }
        for l in denseLayers { flops += 2 * Double(l.inputs * l.outputs) }
        return flops
    }

    /// The waveform segments (16 kHz mono) that the front end turns into examples under `framing`:
    /// `.fadtk` gives the whole clip (zero-padded to 1 s if shorter), whose log-mel frames are then
    /// cut into consecutive 96-frame examples; `.google` gives the peak-normalised 1 s windows every
    /// 0.5 s, each of which yields exactly one example. A clip shorter than 1 s gives one
    /// zero-padded window under `.google` too.
    public static func segments(of waveform: [Float], framing: Framing) -> [[Float]] {
        let second = sampleRate
        switch framing {
        case .fadtk:
            if waveform.count >= second { return [waveform] }
            return [waveform + [Float](repeating: 0, count: second - waveform.count)]
        case .google:
            let peak = max(Float(0.1), waveform.max() ?? 0)
            var x = waveform.map { $0 / peak }
            if x.count < second { x += [Float](repeating: 0, count: second - x.count) }
            return stride(from: 0, through: x.count - second, by: second / 2).map { Array(x[$0 ..< $0 + second]) }
        }
    }
}

extension VGGish.Framing {
    /// The registry id of this framing: the framing is part of the id, so that caches keyed on
    /// the descriptor tell the two apart.
    public var modelID: String { self == .fadtk ? "vggish" : "vggish-google" }
}

extension VGGish: AudioNetwork {
    /// torchvggish's release of Google's weights, as torch.hub names it: the 8 hex digits are
    /// the start of the file's SHA-256, which torch.hub's `check_hash` verifies.
    public static let officialCheckpoint = OfficialCheckpoint(
        file: "vggish-10086976.pth",
        url: "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth",
        digest: .sha256Prefix("10086976"))

    /// `vggish` (fadtk framing) and `vggish-google`, both from the one import "vggish": 16 kHz,
    /// one 128-d embedding per 0.96 s example (96 frames of 10 ms).
    public static let specs: [ModelSpec] = Framing.allCases.map { framing in
        var spec = ModelSpec(id: framing.modelID, sampleRate: sampleRate, input: .logMel(.vggish),
                  // fadtk: consecutive examples (a hop replaces 96); Google: one example per
                  // 1 s window every 0.5 s (50 frames), its own fixed framing.
                  windows: .sliding(length: exampleFrames, hop: framing == .fadtk ? exampleFrames : 50),
                  layers: [LayerDescriptor(name: "embedding", dimension: embeddingSize)], defaultLayer: "embedding",
                  // ~1.6 MB of activations per example.
                  weights: .imported(officialCheckpoint, importSpec), batchSize: 64)
        spec.framing = framing == .fadtk
            ? "fadtk: the clip (zero-padded to 1 s) as consecutive 96-frame examples; --hop replaces 96"
            : "Google: peak-normalised 1 s windows every 0.5 s, one example each; the hop is fixed"
        return spec
    }

    public init(spec: ModelSpec, weights: ModelWeights) throws {
        try self.init(weights: weights as WeightSource)
    }

    /// Both framings cut the waveform before the front end (``examples(of:framing:frontEnd:hop:)``):
    /// fadtk pads a clip shorter than 1 s with silence before the log-mel, Google peak-normalises
    /// and cuts 1 s windows. `hop` (frames) replaces the fadtk example hop; Google's is fixed.
    public func windows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows {
        guard let frontEnd else {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "VGGish needs its log-mel front end")
        }
        let framing: Framing = spec.id == Framing.google.modelID ? .google : .fadtk
        let (examples, starts) = try Self.examples(of: samples, framing: framing, frontEnd: frontEnd, hop: hop ?? Self.exampleFrames)
        return ModelWindows(starts: starts) { range in
            examples.slice(batch: range.lowerBound, count: range.count).reshaped([range.count, Self.exampleFrames, Self.melBands, 1])
        }
    }

    /// [N, 96, 64, 1] log-mel examples -> the 128-d embedding.
    public func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput {
        NetworkOutput(layers: ["embedding": embed(examples: windows.reshaped(Array(windows.shape.prefix(3))))])
    }
}
