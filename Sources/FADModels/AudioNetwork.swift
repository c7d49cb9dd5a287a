import Foundation
import FADArrays
import FADFeatures
import FADNN

/// One architecture: the specs of the ids it serves and its forward pass. A model is one file
/// that conforms to this protocol plus one line in ``ModelRegistry/networks``; the extension
/// below and ``NetworkModel`` do the rest once for every model: strict weight loading, labels,
/// layer checks, front end, windowing, batching and the output activation.
public protocol AudioNetwork: Sendable {
    /// Every id this architecture serves (one per released checkpoint, front end or framing).
    static var specs: [ModelSpec] { get }

    /// Builds the network for `spec`. Every tensor is read through `weights`, whose `finish()`
    /// then rejects any tensor the network did not read.
    init(spec: ModelSpec, weights: ModelWeights) throws

    /// One batch of windows: [windows, frames, bands, 1] of log-mel or [windows, samples,
    /// channels] of waveform. Returns each requested layer as [windows, dimension] and, for a
    /// model with labels, the logits [windows, labels].
    func forward(_ windows: FADNN.Tensor, layers: Set<String>) throws -> NetworkOutput

    /// How one file's audio becomes windows. The default cuts the front end's output (or the
    /// waveform) as `spec.windows` says; a model with its own framing (VGGish's Google
    /// framing) overrides it. `hop` is the user's `--window-hop`, in input steps.
    func windows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows
}

/// What one forward pass returns.
public struct NetworkOutput: Sendable {
    /// Requested layers, each [windows, dimension].
    public var layers: [String: FADNN.Tensor]
    /// [windows, labels], before the output activation; nil for a model without labels.
    public var logits: FADNN.Tensor?

    public init(layers: [String: FADNN.Tensor], logits: FADNN.Tensor? = nil) {
        self.layers = layers; self.logits = logits
    }
}

/// One file cut into windows: where each starts (in input steps) and the batches themselves,
/// built on demand so that only one batch of windows is in memory at a time.
public struct ModelWindows: Sendable {
    public var starts: [Int]
    /// The windows `starts[range]` as one input batch.
    public var batch: @Sendable (Range<Int>) -> FADNN.Tensor
    /// For a network whose windows are the frames of a sequence it computes as a stream, with
    /// state carried from one batch to the next (EnCodec's LSTM): the outputs of the windows
    /// `starts[range]` for the requested layers, asked for in order; the runner then does not
    /// call `forward`. Nil for independent windows.
    public var outputs: (@Sendable (Range<Int>, Set<String>) throws -> NetworkOutput)?

    public init(starts: [Int], batch: @escaping @Sendable (Range<Int>) -> FADNN.Tensor,
                outputs: (@Sendable (Range<Int>, Set<String>) throws -> NetworkOutput)? = nil) {
        self.starts = starts; self.batch = batch; self.outputs = outputs
    }

    /// Windows of `length` rows of `input` ([steps, width]) starting at `starts`, zero-padded
    /// past the end; each window is `[length] + itemShape` with `itemShape` covering `width`.
    public static func cutting(_ input: Matrix<Float>, length: Int, starts: [Int], itemShape: [Int]) -> ModelWindows {
        let width = input.columns
        precondition(itemShape.reduce(1, *) == width, "ModelWindows: item shape \(itemShape) does not cover \(width) columns")
        return ModelWindows(starts: starts) { range in
            var values = [Float](repeating: 0, count: range.count * length * width)
            for (i, start) in starts[range].enumerated() {
                let rows = min(length, input.rows - start)
                guard rows > 0 else { continue }
                values.replaceSubrange(i * length * width ..< i * length * width + rows * width,
                                       with: input.values[start * width ..< (start + rows) * width])
            }
            return FADNN.Tensor(shape: [range.count, length] + itemShape, values: values)
        }
    }
}

extension AudioNetwork {
    public func windows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows {
        try Self.standardWindows(of: samples, spec: spec, frontEnd: frontEnd, hop: hop)
    }

    /// `spec.windows` applied to the front end's output (or the waveform, `spec.channels`
    /// interleaved channels).
    public static func standardWindows(of samples: [Float], spec: ModelSpec, frontEnd: LogMelFrontEnd?, hop: Int?) throws -> ModelWindows {
        let input: Matrix<Float>
        let itemShape: [Int]
        var minimumSteps = 1
        if case .wholeClip(_, let minimum) = spec.windows { minimumSteps = minimum }
        if let frontEnd {
            // Pad the audio so that the front end yields at least the frames the network needs.
            let configuration = frontEnd.configuration
            var audio = samples
            let needed = configuration.minimumSamples(forFrames: minimumSteps)
            if audio.count < needed { audio += [Float](repeating: 0, count: needed - audio.count) }
            input = try frontEnd(audio)
            itemShape = [input.columns, 1]
        } else {
            let channels = spec.channels
            guard samples.count % channels == 0 else {
                throw ModelError(path: spec.id, kind: .invalidInput, reason: "\(samples.count) samples do not divide into \(channels) channels")
            }
            var audio = samples
            if audio.count < minimumSteps * channels { audio += [Float](repeating: 0, count: minimumSteps * channels - audio.count) }
            input = Matrix(rows: audio.count / channels, columns: channels, values: audio)
            itemShape = [channels]
        }
        return try cutWindows(input, spec: spec, hop: hop, itemShape: itemShape)
    }

    /// `spec.windows` applied to an input that is already computed: [steps, width] rows of
    /// log-mel frames or waveform samples, each window `[length] + itemShape`.
    public static func cutWindows(_ input: Matrix<Float>, spec: ModelSpec, hop: Int?, itemShape: [Int]) throws -> ModelWindows {
        let length: Int
        let step: Int
        switch spec.windows {
        case .sliding(let windowLength, let defaultHop):
            length = windowLength; step = hop ?? defaultHop
        case .wholeClip(let windowLength, _):
            guard let hop else {
                return ModelWindows.cutting(input, length: input.rows, starts: [0], itemShape: itemShape)
            }
            length = windowLength; step = hop
        }
        let windowing = try Windowing(length: length, hop: step)
        // A clip shorter than one window of a whole-clip model runs as it is (PANNs).
        if case .wholeClip = spec.windows, input.rows <= length {
            return ModelWindows.cutting(input, length: input.rows, starts: [0], itemShape: itemShape)
        }
        return ModelWindows.cutting(input, length: length, starts: windowing.starts(frames: input.rows), itemShape: itemShape)
    }
}

/// Any ``AudioNetwork`` behind ``AudioEmbeddingModel``: what the pipeline runs.
public final class NetworkModel<Network: AudioNetwork>: AudioEmbeddingModel {
    public let spec: ModelSpec
    public let network: Network
    public let descriptor: ModelDescriptor
    /// The log-mel front end, for spectrogram models.
    public let frontEnd: LogMelFrontEnd?

    /// Loads `spec`'s weights and labels from `store`.
    public convenience init(spec: ModelSpec, store: ModelStore = .default) throws {
        let weights = try ModelWeights(try Self.weightsFile(spec: spec, store: store))
        let labels: [String]
        switch spec.labels {
        case .none: labels = []
        case .file(let name, let count): labels = try readLabels(try store.file(name), count: count)
        }
        try self.init(spec: spec, weights: weights, labels: labels)
    }

    /// Builds the model from weights at hand (tests, benchmarks).
    public init(spec: ModelSpec, weights: ModelWeights, labels: [String]) throws {
        if case .file(_, let count) = spec.labels, labels.count != count {
            throw ModelError(path: spec.id, kind: .invalidWeights, reason: "\(labels.count) labels, expected \(count)")
        }
        network = try Network(spec: spec, weights: weights)
        try weights.finish()
        self.spec = spec
        frontEnd = spec.frontEnd.map { LogMelFrontEnd($0) }
        let length: Int
        switch spec.windows {
        case .sliding(let windowLength, _): length = windowLength
        case .wholeClip(let windowLength, _): length = windowLength
        }
        descriptor = ModelDescriptor(
            name: spec.id, sampleRate: spec.sampleRate, channels: spec.channels, frontEnd: spec.frontEnd,
            windowFrames: length, frameHop: spec.inputHop, layers: spec.layers, defaultLayer: spec.defaultLayer,
            labels: labels, weightsDigest: weights.digest)
    }

    /// The store file of `spec`'s weights, or an error that says how to get them.
    static func weightsFile(spec: ModelSpec, store: ModelStore) throws -> ModelStore.File {
        do {
            return try store.file(spec.weightsFile)
        } catch let error as ModelError where error.kind == .weightsNotFound {
            guard let official = spec.officialImport else { throw error }
            throw ModelError(path: spec.id, kind: .weightsNotFound,
                             reason: "weights not imported: download \(official.checkpoint.file) from \(official.checkpoint.url), "
                                 + "then run `fad models import \(official.name) \(official.checkpoint.file)` "
                                 + "(or `fad models fetch \(official.name)`); looked for \(spec.weightsFile) in "
                                 + store.searchPaths.map(\.path).joined(separator: ", "))
        }
    }

    public func analyze(samples: [Float], layers: Set<String>, windowHop: Int?) throws -> ModelOutput {
        for layer in layers { _ = try descriptor.layer(layer) }
        guard !samples.isEmpty else {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "empty audio (no samples)")
        }
        if let windowHop, windowHop <= 0 {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "window hop \(windowHop) must be positive")
        }
        return try run(try network.windows(of: samples, spec: spec, frontEnd: frontEnd, hop: windowHop), layers: layers)
    }

    /// Runs the model on a log-mel spectrogram computed elsewhere ([frames, bands], e.g. the
    /// reference code's own), cut by `spec.windows` (a model's own framing of samples, such as
    /// VGGish's Google framing, does not apply).
    public func analyze(logMel: Matrix<Float>, layers: Set<String>, windowHop: Int? = nil) throws -> ModelOutput {
        for layer in layers { _ = try descriptor.layer(layer) }
        guard let frontEnd = spec.frontEnd else {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "a waveform model does not read a log-mel spectrogram")
        }
        guard logMel.columns == frontEnd.mel.bands else {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "log-mel has \(logMel.columns) bands, expected \(frontEnd.mel.bands)")
        }
        guard logMel.rows > 0 else {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "empty input (no log-mel frames)")
        }
        if let windowHop, windowHop <= 0 {
            throw ModelError(path: spec.id, kind: .invalidInput, reason: "window hop \(windowHop) must be positive")
        }
        return try run(try Network.cutWindows(logMel, spec: spec, hop: windowHop, itemShape: [logMel.columns, 1]), layers: layers)
    }

    /// One file's windows through the network, `spec.batchSize` at a time.
    private func run(_ windows: ModelWindows, layers: Set<String>) throws -> ModelOutput {
        let n = windows.starts.count
        var layerValues: [String: [Float]] = [:]
        var logitValues: [Float] = []
        var first = 0
        while first < n {
            let count = min(spec.batchSize, n - first)
            let range = first ..< first + count
            let out = try windows.outputs?(range, layers) ?? network.forward(windows.batch(range), layers: layers)
            for layer in layers {
                guard let tensor = out.layers[layer] else {
                    throw ModelError(path: spec.id, kind: .invalidInput, reason: "the network produced no \(layer) output")
                }
                layerValues[layer, default: []] += tensor.values
            }
            if let logits = out.logits { logitValues += logits.values }
            first += count
        }
        var embeddings: [String: Matrix<Float>] = [:]
        for layer in layers {
            embeddings[layer] = Matrix(rows: n, columns: try descriptor.layer(layer).dimension, values: layerValues[layer] ?? [])
        }
        var logits: Matrix<Float>?
        var probabilities: Matrix<Float>?
        if !descriptor.labels.isEmpty {
            let matrix = Matrix(rows: n, columns: descriptor.labels.count, values: logitValues)
            logits = matrix
            switch spec.activation {
            case .sigmoid: probabilities = sigmoid(FADNN.Tensor(matrix)).matrix
            case .softmax: probabilities = softmax(FADNN.Tensor(matrix)).matrix
            }
        }
        return ModelOutput(embeddings: embeddings, logits: logits, probabilities: probabilities, windowStarts: windows.starts)
    }
}
