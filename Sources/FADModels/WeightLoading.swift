import Foundation
import FADNN

/// Strict access to a model's safetensors file: every tensor must exist with the expected shape,
/// and `finish()` rejects tensors that nothing used (a file for another architecture).
final class WeightReader {
    let file: SafetensorsFile
    /// How errors name the weights (a path, or `embedded:NAME`).
    let path: String
    /// FNV-1a 64 of the file's bytes, hex: the descriptor's `weightsDigest`.
    let digest: String
    private var used: Set<String> = []

    /// Parses the weights where they lie (a mapped file or the bytes embedded in fad).
    init(_ source: ModelStore.File) throws {
        path = source.path
        let data = try source.contents()
        do { file = try SafetensorsFile(data: data, path: path) } catch let error as NNError { throw ModelError(error) }
        digest = Self.digest(data)
    }

    func floats(_ name: String, _ shape: [Int]) throws -> [Float] {
        used.insert(name)
        do { return try file.floats(name, shape: shape) } catch let error as NNError { throw ModelError(error) }
    }

    /// A TensorFlow BatchNorm (`NAME/{gamma,beta,moving_mean,moving_variance}`).
    func batchNorm(_ name: String, channels: Int, epsilon: Float) throws -> BatchNorm {
        BatchNorm(gamma: try floats("\(name)/gamma", [channels]), beta: try floats("\(name)/beta", [channels]),
                  mean: try floats("\(name)/moving_mean", [channels]),
                  variance: try floats("\(name)/moving_variance", [channels]), epsilon: epsilon)
    }

    /// Rejects unused tensors.
    func finish() throws {
        let extra = Set(file.entries.keys).subtracting(used)
        guard extra.isEmpty else {
            throw ModelError(path: path, kind: .invalidWeights,
                             reason: "unexpected tensors for this architecture: \(extra.sorted().prefix(8).joined(separator: ", "))")
        }
    }

    /// FNV-1a 64 of a file's bytes, hex.
    static func digest(_ url: URL) throws -> String {
        digest(try ModelStore.File(url: url).contents())
    }

    /// FNV-1a 64 of `data`, hex.
    static func digest(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return String(hash, radix: 16)
    }
}

/// Labels file: one tag per line.
func readLabels(_ source: ModelStore.File, count: Int) throws -> [String] {
    guard let text = String(data: try source.contents(), encoding: .utf8) else {
        throw ModelError(path: source.path, kind: .invalidWeights, reason: "the labels file is not UTF-8 text")
    }
    let labels = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    guard labels.count == count else {
        throw ModelError(path: source.path, kind: .invalidWeights, reason: "\(labels.count) labels, expected \(count)")
    }
    return labels
}
