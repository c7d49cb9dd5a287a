import XCTest
import FADArrays
import FADNN
import FADModels
import _FADTestSupport

/// The four musicnn models against musicnn's own TensorFlow graph (musicnn/models.py restored from
/// the wheel's checkpoints), fed the SAME log-mel: Tests/Fixtures/scripts/musicnn_reference.py.
///
/// Tolerances: tag probabilities 1e-4 absolute, embeddings and logits 1e-4 relative to the
/// reference's largest magnitude. Both sides run float32 with different summation orders (SGEMM
/// blocking vs TF's Eigen/oneDNN kernels) over sums of up to 3927 products; the observed gaps
/// are ~1e-6 relative, so 1e-4 leaves room for other BLAS kernels while catching any layout or
/// layer error (those move probabilities by > 1e-2).
final class MusicnnParityTests: XCTestCase {
    private let cases: [(input: String, hop: Int)] = [("real", 187), ("real", 94), ("synthetic", 187)]

    private func logMel(_ name: String) throws -> Matrix<Float> {
        try Fixtures.npy("musicnn/\(name).npy").matrix()
    }

    private func check(_ model: AudioEmbeddingModel, checkpoint: String, analyze: (Matrix<Float>, Set<String>, Int) throws -> ModelOutput) throws {
        let layers = Set(model.descriptor.layers.map(\.name))
        for (input, hop) in cases {
            let output = try analyze(try logMel(input), layers, hop)
            let prefix = "musicnn/\(checkpoint).\(input).hop\(hop)"
            let probabilities = try Fixtures.npy("\(prefix).probabilities.npy").matrix(of: Float.self)
            XCTAssertEqual(output.probabilities?.rows, probabilities.rows, "\(prefix): window count")
            XCTAssertLessThan(maxAbsDifference(output.probabilities!.values, probabilities.values), 1e-4, "\(prefix) probabilities")
            let logits = try Fixtures.npy("\(prefix).logits.npy").floats
            XCTAssertLessThan(maxRelativeDifference(output.logits!.values, logits), 1e-4, "\(prefix) logits")
            for layer in layers {
                let reference = try Fixtures.npy("\(prefix).\(layer).npy").matrix(of: Float.self)
                let got = try XCTUnwrap(output.embeddings[layer], "\(prefix) \(layer) missing")
                XCTAssertEqual(got.rows, reference.rows)
                XCTAssertEqual(got.columns, reference.columns)
                XCTAssertLessThan(maxRelativeDifference(got.values, reference.values), 1e-4, "\(prefix) \(layer)")
            }
        }
    }

    func testMusiCNNMatchesTensorFlow() throws {
        for dataset in MusicnnDataset.allCases {
            let model = try MusiCNN(dataset)
            try check(model, checkpoint: "\(dataset.rawValue)_musicnn") { try model.analyze(logMel: $0, layers: $1, windowHop: $2) }
        }
    }

    func testMusicnnVGGMatchesTensorFlow() throws {
        for dataset in MusicnnDataset.allCases {
            let model = try MusicnnVGG(dataset)
            try check(model, checkpoint: "\(dataset.rawValue)_vgg") { try model.analyze(logMel: $0, layers: $1, windowHop: $2) }
        }
    }

    /// Bit-identical outputs for 1 and 2 worker threads.
    func testModelsDoNotDependOnThreadCount() throws {
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        let input = try logMel("real")
        let musicnn = try MusiCNN(.msd)
        let vgg = try MusicnnVGG(.mtt)
        func run() throws -> [[Float]] {
            let a = try musicnn.analyze(logMel: input, layers: ["max_pool", "penultimate"], windowHop: 94)
            let b = try vgg.analyze(logMel: input, layers: ["pool5"], windowHop: 187)
            return [a.embeddings["max_pool"]!.values, a.embeddings["penultimate"]!.values, a.logits!.values,
                    b.embeddings["pool5"]!.values, b.logits!.values]
        }
        BLAS.threads = 1
        let one = try run()
        BLAS.threads = 2
        let two = try run()
        for i in one.indices { XCTAssertTrue(one[i] == two[i], "output \(i) differs: \(maxAbsDifference(one[i], two[i]))") }
    }
}
