import Foundation
import FADNN
import FADTorch

/// How one PyTorch tensor is stored after import, in FADNN's channels-last layout.
public enum ImportedLayout: Sendable, Equatable {
    /// A conv kernel, OIHW in PyTorch, stored HWIO (the im2col GEMM matrix as is).
    case convolution
    /// A linear weight, [out, in] in PyTorch, stored [in, out].
    case dense
    /// Stored as it is: biases, BatchNorm vectors, and the tensors that FADNN's layers take in
    /// PyTorch's own layout and convert themselves (Conv1d, Linear via `Dense(linearWeight:)`,
    /// LSTM, attention projections).
    case vector
}

/// Where an imported tensor's values come from in the checkpoint: the import-time hook for
/// transforms that are not a layout change.
public enum ImportSource: Sendable, Equatable {
    /// The checkpoint entry of the same name.
    case same
    /// The first of these checkpoint entries that is present (key names that changed across
    /// versions of the reference code).
    case renamed([String])
    /// `torch.nn.utils.weight_norm` folded: weight = g * v / ||v||, the norm over every axis but
    /// `dim` (0 for EnCodec's convolutions; 2 for HuBERT's positional convolution). `g` has v's
    /// rank with size 1 on every axis but `dim`.
    case weightNorm(g: String, v: String, dim: Int)
}

/// What a PyTorch checkpoint must hold to become one of fad's models.
public struct TorchImportSpec: Sendable {
    public struct Tensor: Sendable {
        public var name: String
        /// The shape in the PyTorch checkpoint.
        public var torchShape: [Int]
        public var layout: ImportedLayout
        /// Where the values come from (default: the entry named `name`).
        public var source: ImportSource

        public init(name: String, torchShape: [Int], layout: ImportedLayout, source: ImportSource = .same) {
            self.name = name; self.torchShape = torchShape; self.layout = layout; self.source = source
        }

        /// The checkpoint entries this tensor reads with the shape each must have, given the
        /// entries present (for `.renamed`, the first present name; the first name when none is).
        func inputs(present: [String: [Int]]) -> [(name: String, shape: [Int])] {
            switch source {
            case .same: return [(name, torchShape)]
            case .renamed(let names):
                return [(names.first { present[$0] != nil } ?? names.first ?? name, torchShape)]
            case .weightNorm(let g, let v, let dim):
                var gShape = [Int](repeating: 1, count: torchShape.count)
                if dim >= 0 && dim < torchShape.count { gShape[dim] = torchShape[dim] }
                return [(g, gShape), (v, torchShape)]
            }
        }

        /// The shape stored in the imported safetensors file.
        public var importedShape: [Int] {
            switch layout {
            case .convolution: return [torchShape[2], torchShape[3], torchShape[1], torchShape[0]]
            case .dense: return [torchShape[1], torchShape[0]]
            case .vector: return torchShape
            }
        }
    }

    /// The registry name, also the imported file's stem (`<name>.safetensors`).
    public var modelName: String
    public var tensors: [Tensor]
    /// Checkpoint entries that are expected but not needed (front-end kernels that fad computes
    /// itself, BatchNorm counters). Anything else that is not in `tensors` is an error.
    public var ignoredPrefixes: [String]
    public var ignoredSuffixes: [String] = ["num_batches_tracked"]
    /// Prefixes removed from every checkpoint name before matching (`module.` of a model saved
    /// from DataParallel).
    public var strippedPrefixes: [String] = []

    public init(modelName: String, tensors: [Tensor], ignoredPrefixes: [String],
                ignoredSuffixes: [String] = ["num_batches_tracked"], strippedPrefixes: [String] = []) {
        self.modelName = modelName; self.tensors = tensors; self.ignoredPrefixes = ignoredPrefixes
        self.ignoredSuffixes = ignoredSuffixes; self.strippedPrefixes = strippedPrefixes
    }

    /// A checkpoint name with the stripped prefixes removed.
    func canonicalName(_ name: String) -> String {
        for prefix in strippedPrefixes where name.hasPrefix(prefix) { return String(name.dropFirst(prefix.count)) }
        return name
    }

    func isIgnored(_ name: String) -> Bool {
        ignoredPrefixes.contains { name.hasPrefix($0) } || ignoredSuffixes.contains { name.hasSuffix($0) }
    }
}

/// Where weights come from: an imported safetensors file, or tensors in memory (tests).
public protocol WeightSource {
    /// The values of `name`, which must have exactly `shape`.
    func floats(_ name: String, shape: [Int]) throws -> [Float]
}

extension SafetensorsFile: WeightSource {}

/// Weights held in memory, e.g. the output of `TorchImporter.prepare`.
public struct InMemoryWeights: WeightSource {
    public var tensors: [String: FADNN.Tensor]
    public var path: String

    public init(_ tensors: [String: FADNN.Tensor], path: String = "<memory>") {
        self.tensors = tensors
        self.path = path
    }

    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let t = tensors[name] else {
            throw NNError(path: path, kind: .missingTensor, reason: "tensor \"\(name)\" is missing")
        }
        guard t.shape == shape else {
            throw NNError(path: path, kind: .shapeMismatch, reason: "tensor \"\(name)\" has shape \(t.shape), expected \(shape)")
        }
        return t.values
    }
}

/// Converts official PyTorch checkpoints into fad's safetensors weights: every expected key and
/// shape checked, weights reordered once for the NHWC im2col layout, nothing else kept.
public enum TorchImporter {
    /// Checks a state dict against `spec` and returns the tensors in their imported layout.
    /// Missing, unexpected and wrongly shaped tensors are all listed in one error.
    public static func prepare(stateDict raw: [String: (shape: [Int], values: [Float])], spec: TorchImportSpec,
                               path: String) throws -> [String: FADNN.Tensor] {
        var stateDict: [String: (shape: [Int], values: [Float])] = [:]
        for (name, entry) in raw { stateDict[spec.canonicalName(name)] = entry }
        let shapes = stateDict.mapValues(\.shape)
        try validate(shapes: shapes, spec: spec, path: path, canonical: true)
        var out: [String: FADNN.Tensor] = [:]
        for t in spec.tensors {
            let inputs = t.inputs(present: shapes)
            for input in inputs {
                // Installed weights are trusted by every later run: NaN or infinity is refused here.
                guard stateDict[input.name]!.values.allSatisfy(\.isFinite) else {
                    throw ModelError(path: path, kind: .invalidWeights, reason: "tensor \(input.name) holds NaN or infinity")
                }
            }
            let values: [Float]
            switch t.source {
            case .same, .renamed: values = stateDict[inputs[0].name]!.values
            case .weightNorm(_, _, let dim):
                values = try foldWeightNorm(g: stateDict[inputs[0].name]!.values, v: stateDict[inputs[1].name]!.values,
                                            shape: t.torchShape, dim: dim, name: t.name, path: path)
            }
            out[t.name] = FADNN.Tensor(shape: t.importedShape, values: reorder(values, shape: t.torchShape, layout: t.layout))
        }
        return out
    }

    /// weight = g * v / ||v||, with the norm over every axis but `dim`, in float64.
    static func foldWeightNorm(g: [Float], v: [Float], shape: [Int], dim: Int, name: String, path: String) throws -> [Float] {
        guard dim >= 0, dim < shape.count else {
            throw ModelError(path: path, kind: .invalidWeights, reason: "weight norm of \(name) over axis \(dim) of a rank-\(shape.count) tensor")
        }
        let size = shape[dim]
        let inner = shape[(dim + 1)...].reduce(1, *)
        let outer = shape[..<dim].reduce(1, *)
        var squares = [Double](repeating: 0, count: size)
        for o in 0..<outer { for d in 0..<size { for i in 0..<inner {
            let x = Double(v[(o * size + d) * inner + i]); squares[d] += x * x
        } } }
        var result = [Float](repeating: 0, count: v.count)
        for o in 0..<outer { for d in 0..<size {
            let scale = squares[d] > 0 ? Double(g[d]) / squares[d].squareRoot() : 0
            for i in 0..<inner { let k = (o * size + d) * inner + i; result[k] = Float(Double(v[k]) * scale) }
        } }
        return result
    }

    /// Checks the names and shapes of a state dict against `spec`: every expected tensor present
    /// with its shape, nothing unexpected beyond the spec's ignored entries.
    public static func validate(shapes raw: [String: [Int]], spec: TorchImportSpec, path: String) throws {
        try validate(shapes: raw, spec: spec, path: path, canonical: false)
    }

    static func validate(shapes raw: [String: [Int]], spec: TorchImportSpec, path: String, canonical: Bool) throws {
        var stateDict: [String: [Int]] = [:]
        for (name, shape) in raw { stateDict[canonical ? name : spec.canonicalName(name)] = shape }
        var problems: [String] = []
        let inputs = spec.tensors.flatMap { $0.inputs(present: stateDict) }
        let consumed = Set(inputs.map(\.name))
        let missing = inputs.map(\.name).filter { stateDict[$0] == nil }
        if !missing.isEmpty { problems.append("missing \(missing.count) tensor(s): \(list(missing))") }
        let extra = stateDict.keys.filter { !consumed.contains($0) && !spec.isIgnored($0) }.sorted()
        if !extra.isEmpty { problems.append("unexpected tensor(s): \(list(extra))") }
        for input in inputs {
            if let found = stateDict[input.name], found != input.shape {
                problems.append("\(input.name) has shape \(found), expected \(input.shape)")
            }
        }
        guard problems.isEmpty else {
            throw ModelError(path: path, kind: .invalidWeights, reason: "not a \(spec.modelName) checkpoint: " + problems.joined(separator: "; "))
        }
    }

    /// The checkpoint entries (as named in the file) that `spec` reads.
    static func neededEntries(shapes raw: [String: [Int]], spec: TorchImportSpec) -> Set<String> {
        var canonical: [String: [Int]] = [:]
        var original: [String: String] = [:]
        for (name, shape) in raw { let c = spec.canonicalName(name); canonical[c] = shape; original[c] = name }
        return Set(spec.tensors.flatMap { $0.inputs(present: canonical) }.compactMap { original[$0.name] })
    }

    /// Reads `checkpoint` (zip or legacy torch.save format), checks it against `spec`, and writes
    /// `<directory>/<spec.modelName>.safetensors`. Returns the written file.
    /// `sourceDigest` (the checkpoint's digests, computed by the caller) is recorded in the
    /// written file's metadata (`source_sha256`, `source_md5`).
    @discardableResult
    public static func importCheckpoint(_ checkpoint: URL, spec: TorchImportSpec, into directory: URL,
                                        sourceDigest: CheckpointDigest? = nil) throws -> URL {
        let tensors: [String: FADNN.Tensor]
        do {
            let file: TorchCheckpoint
            do { file = try TorchCheckpoint(contentsOf: checkpoint) } catch let error as TorchError { throw ModelError(error) }
            // Names and shapes first: a tensor is converted (and memory allocated for it) only
            // once the spec has accepted its shape, so a hostile shape can only fail.
            let shapes: [String: [Int]]
            do { shapes = try file.floatTensorShapes() } catch let error as TorchError { throw ModelError(error) }
            try validate(shapes: shapes, spec: spec, path: checkpoint.path)
            let stateDict: [String: (shape: [Int], values: [Float])]
            do {
                stateDict = try file.floatTensors(names: neededEntries(shapes: shapes, spec: spec))
            } catch let error as TorchError { throw ModelError(error) }
            tensors = try prepare(stateDict: stateDict, spec: spec, path: checkpoint.path)
        } catch let error as ModelError {
            // Whatever is wrong here is wrong with the file the user gave.
            throw ModelError(path: error.path, kind: .invalidCheckpoint, reason: error.reason)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelError(path: directory.path, kind: .writeFailed, reason: "cannot create the model directory (\(error.localizedDescription))")
        }
        var metadata = [
            "format": "fad",
            "model": spec.modelName,
            "layout": "conv HWIO, dense [in, out] (imported from PyTorch OIHW / [out, in])",
            "source": checkpoint.lastPathComponent,
        ]
        if let sourceDigest {
            metadata["source_sha256"] = sourceDigest.sha256
            metadata["source_md5"] = sourceDigest.md5
        }
        var writer = SafetensorsWriter(metadata: metadata)
        for t in spec.tensors { writer.add(t.name, tensors[t.name]!) }
        let destination = directory.appendingPathComponent("\(spec.modelName).safetensors")
        do { try writer.write(to: destination) } catch let error as NNError { throw ModelError(error) }
        return destination
    }

    static func reorder(_ values: [Float], shape: [Int], layout: ImportedLayout) -> [Float] {
        switch layout {
        case .vector:
            return values
        case .dense:
            let outputs = shape[0], inputs = shape[1]
            var result = [Float](repeating: 0, count: values.count)
            result.withUnsafeMutableBufferPointer { dst in
                values.withUnsafeBufferPointer { src in
                    for o in 0..<outputs { for i in 0..<inputs { dst[i * outputs + o] = src[o * inputs + i] } }
                }
            }
            return result
        case .convolution:
            let o = shape[0], i = shape[1], h = shape[2], w = shape[3]
            var result = [Float](repeating: 0, count: values.count)
            result.withUnsafeMutableBufferPointer { dst in
                values.withUnsafeBufferPointer { src in
                    for oc in 0..<o { for ic in 0..<i { for y in 0..<h { for x in 0..<w {
                        dst[((y * w + x) * i + ic) * o + oc] = src[((oc * i + ic) * h + y) * w + x]
                    } } } }
                }
            }
            return result
        }
    }

    private static func list(_ names: [String]) -> String {
        names.count <= 8 ? names.joined(separator: ", ") : names.prefix(8).joined(separator: ", ") + ", ... (\(names.count) in all)"
    }
}
