import Foundation
import FADNN

/// How one PyTorch tensor is stored after import, in FADNN's channels-last layout.
public enum ImportedLayout: Sendable, Equatable {
    /// A conv kernel, OIHW in PyTorch, stored HWIO (the im2col GEMM matrix as is).
    case convolution
    /// A linear weight, [out, in] in PyTorch, stored [in, out].
    case dense
    /// Stored as it is (biases, BatchNorm vectors).
    case vector
}

/// What a PyTorch checkpoint must hold to become one of fad's models.
public struct TorchImportSpec: Sendable {
    public struct Tensor: Sendable {
        public var name: String
        /// The shape in the PyTorch checkpoint.
        public var torchShape: [Int]
        public var layout: ImportedLayout

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
    public static func prepare(stateDict: [String: (shape: [Int], values: [Float])], spec: TorchImportSpec,
                               path: String) throws -> [String: FADNN.Tensor] {
        try validate(shapes: stateDict.mapValues(\.shape), spec: spec, path: path)
        var out: [String: FADNN.Tensor] = [:]
        for t in spec.tensors {
            let source = stateDict[t.name]!
            // Installed weights are trusted by every later run: NaN or infinity is refused here.
            guard source.values.allSatisfy(\.isFinite) else {
                throw ModelError(path: path, kind: .invalidWeights, reason: "tensor \(t.name) holds NaN or infinity")
            }
            out[t.name] = FADNN.Tensor(shape: t.importedShape, values: reorder(source.values, shape: t.torchShape, layout: t.layout))
        }
        return out
    }

    /// Checks the names and shapes of a state dict against `spec`: every expected tensor present
    /// with its shape, nothing unexpected beyond the spec's ignored entries.
    public static func validate(shapes stateDict: [String: [Int]], spec: TorchImportSpec, path: String) throws {
        var problems: [String] = []
        let expected = Set(spec.tensors.map(\.name))
        let missing = spec.tensors.map(\.name).filter { stateDict[$0] == nil }
        if !missing.isEmpty { problems.append("missing \(missing.count) tensor(s): \(list(missing))") }
        let extra = stateDict.keys.filter { !expected.contains($0) && !spec.isIgnored($0) }.sorted()
        if !extra.isEmpty { problems.append("unexpected tensor(s): \(list(extra))") }
        for t in spec.tensors {
            if let found = stateDict[t.name], found != t.torchShape {
                problems.append("\(t.name) has shape \(found), expected \(t.torchShape)")
            }
        }
        guard problems.isEmpty else {
            throw ModelError(path: path, kind: .invalidWeights, reason: "not a \(spec.modelName) checkpoint: " + problems.joined(separator: "; "))
        }
    }

    /// Reads `checkpoint` (zip or legacy torch.save format), checks it against `spec`, and writes
    /// `<directory>/<spec.modelName>.safetensors`. Returns the written file.
    @discardableResult
    public static func importCheckpoint(_ checkpoint: URL, spec: TorchImportSpec, into directory: URL) throws -> URL {
        let tensors: [String: FADNN.Tensor]
        do {
            let file = try TorchCheckpoint(contentsOf: checkpoint)
            // Names and shapes first: a tensor is converted (and memory allocated for it) only
            // once the spec has accepted its shape, so a hostile shape can only fail.
            try validate(shapes: try file.floatTensorShapes(), spec: spec, path: checkpoint.path)
            tensors = try prepare(stateDict: try file.floatTensors(names: Set(spec.tensors.map(\.name))),
                                  spec: spec, path: checkpoint.path)
        } catch let error as ModelError {
            // Whatever is wrong here is wrong with the file the user gave.
            throw ModelError(path: error.path, kind: .invalidCheckpoint, reason: error.reason)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelError(path: directory.path, kind: .writeFailed, reason: "cannot create the model directory (\(error.localizedDescription))")
        }
        var writer = SafetensorsWriter(metadata: [
            "format": "fad",
            "model": spec.modelName,
            "layout": "conv HWIO, dense [in, out] (imported from PyTorch OIHW / [out, in])",
            "source": checkpoint.lastPathComponent,
        ])
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

    /// The official weight files, for `fad models fetch` (they are not redistributable here).
    public static let officialDownloads: [(model: String, file: String, url: String)] = [
        ("vggish", "vggish-10086976.pth",
         "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth"),
    ]
}
