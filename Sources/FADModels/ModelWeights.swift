import Foundation
import FADNN

/// The one way a network reads its weights: strictly. Every tensor must exist with the shape the
/// network asks for, and `finish()` rejects the file if any tensor was never read (weights of
/// another architecture or version). Errors name the weights file.
public final class ModelWeights: WeightSource {
    private let source: any NamedWeightSource
    /// How errors name the weights (a path, or `embedded:NAME`).
    public let path: String
    /// FNV-1a 64 of the weights file's bytes, hex: the descriptor's `weightsDigest`, which keys
    /// the embedding cache and is recorded in statistics.
    public let digest: String
    private var used: Set<String> = []

    /// Weights in a model-store file (a mapped file or the bytes compiled into fad).
    public convenience init(_ file: ModelStore.File) throws {
        let data = try file.contents()
        let parsed: SafetensorsFile
        do { parsed = try SafetensorsFile(data: data, path: file.path) } catch let error as NNError { throw ModelError(error) }
        self.init(parsed, path: file.path, digest: Self.digest(data))
    }

    /// Weights from any source that can list its tensors (tests build them in memory).
    public init(_ source: any NamedWeightSource, path: String, digest: String) {
        self.source = source; self.path = path; self.digest = digest
    }

    /// The values of `name`, which must have exactly `shape`.
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        used.insert(name)
        do { return try source.floats(name, shape: shape) } catch let error as NNError { throw ModelError(error) }
    }

    /// The values of `name` as a tensor of `shape`.
    public func tensor(_ name: String, _ shape: [Int]) throws -> FADNN.Tensor {
        FADNN.Tensor(shape: shape, values: try floats(name, shape: shape))
    }

    /// A PyTorch BatchNorm (`NAME.{weight,bias,running_mean,running_var}`).
    public func torchBatchNorm(_ name: String, channels: Int, epsilon: Float = 1e-5) throws -> BatchNorm {
        BatchNorm(gamma: try floats("\(name).weight", shape: [channels]), beta: try floats("\(name).bias", shape: [channels]),
                  mean: try floats("\(name).running_mean", shape: [channels]),
                  variance: try floats("\(name).running_var", shape: [channels]), epsilon: epsilon)
    }

    /// A TensorFlow BatchNorm (`NAME/{gamma,beta,moving_mean,moving_variance}`; musicnn's
    /// checkpoints, epsilon 1e-3 by TF's default).
    public func tensorFlowBatchNorm(_ name: String, channels: Int, epsilon: Float = 1e-3) throws -> BatchNorm {
        BatchNorm(gamma: try floats("\(name)/gamma", shape: [channels]), beta: try floats("\(name)/beta", shape: [channels]),
                  mean: try floats("\(name)/moving_mean", shape: [channels]),
                  variance: try floats("\(name)/moving_variance", shape: [channels]), epsilon: epsilon)
    }

    /// FNV-1a 64 of `data`, hex: a fast fingerprint of a weights file that keys caches (not a
    /// defence against tampering; imports check the publisher's digest instead).
    public static func digest(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return String(hash, radix: 16)
    }

    /// FNV-1a 64 of a file's bytes, hex.
    public static func digest(of url: URL) throws -> String {
        digest(try ModelStore.File(url: url).contents())
    }

    /// Rejects tensors that nothing read.
    public func finish() throws {
        let extra = source.tensorNames.subtracting(used)
        guard extra.isEmpty else {
            throw ModelError(path: path, kind: .invalidWeights,
                             reason: "unexpected tensors for this architecture: \(extra.sorted().prefix(8).joined(separator: ", "))"
                                 + (extra.count > 8 ? ", ... (\(extra.count) in all)" : ""))
        }
    }
}

/// A weight source that can list its tensors, so that unused ones can be found.
public protocol NamedWeightSource: WeightSource {
    var tensorNames: Set<String> { get }
}

extension SafetensorsFile: NamedWeightSource {
    public var tensorNames: Set<String> { Set(entries.keys) }
}

extension InMemoryWeights: NamedWeightSource {
    public var tensorNames: Set<String> { Set(tensors.keys) }
}
