import Foundation
import XCTest
@testable import FADTorch
import _FADTestSupport

/// The Swift checkpoint reader against what torch itself reads back
/// (fixtures: Tests/Fixtures/scripts/torch_checkpoint_fixtures.py).
final class TorchCheckpointTests: XCTestCase {
    struct Expected: Decodable {
        struct Tensor: Decodable { var name: String; var dtype: String; var shape: [Int]; var values: [Double] }
        var tensors: [Tensor]
    }

    private func checkStateDict(_ file: String, format: TorchCheckpoint.Format) throws {
        let expected = try Fixtures.json(Expected.self, "torch/expected.json")
        let checkpoint = try TorchCheckpoint(contentsOf: Fixtures.url("torch/\(file)"))
        XCTAssertEqual(checkpoint.format, format)
        let state = try checkpoint.stateDict()
        XCTAssertEqual(state.map(\.name), expected.tensors.map(\.name), file)
        for (entry, reference) in zip(state, expected.tensors) {
            XCTAssertEqual(entry.tensor.dtype.rawValue, reference.dtype, "\(file) \(reference.name)")
            XCTAssertEqual(entry.tensor.shape, reference.shape, "\(file) \(reference.name)")
            let values = try entry.tensor.floats(name: entry.name)
            // Exact: every value is a float32/float16/bfloat16/int64 that Float holds exactly
            // (float64 values are compared after the same rounding to Float as the fixture's).
            XCTAssertEqual(values, reference.values.map { Float($0) }, "\(file) \(reference.name)")
        }
    }

    func testZipStateDict() throws { try checkStateDict("state_zip.pth", format: .zip) }
    func testLegacyStateDict() throws { try checkStateDict("state_legacy.pth", format: .legacy) }
    func testZipNestedUnderModel() throws { try checkStateDict("nested_zip.pth", format: .zip) }
    func testLegacyNestedUnderModel() throws { try checkStateDict("nested_legacy.pth", format: .legacy) }

    func testFloatTensorsSkipIntegerBuffers() throws {
        let tensors = try TorchCheckpoint(contentsOf: Fixtures.url("torch/state_zip.pth")).floatTensors()
        XCTAssertNil(tensors["bn.num_batches_tracked"])
        XCTAssertEqual(tensors["fc.weight"]?.shape, [6, 5])
    }

    func testDeflatedEntriesAreRefusedClearly() throws {
        XCTAssertThrowsError(try TorchCheckpoint(contentsOf: Fixtures.url("torch/deflated.pth"))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("deflate"), message)
            XCTAssertTrue(message.hasPrefix(Fixtures.url("torch/deflated.pth").path), message)
        }
    }

    func testPickledCodeIsNeverRun() throws {
        let marker = "/tmp/fad-evil-pickle-ran"
        try? FileManager.default.removeItem(atPath: marker)
        let checkpoint = try TorchCheckpoint(contentsOf: Fixtures.url("torch/evil.pth"))
        XCTAssertThrowsError(try checkpoint.stateDict()) { error in
            XCTAssertTrue("\(error)".contains("unsupported object posix.system"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testTruncatedAndForeignFilesThrow() throws {
        let data = try Data(contentsOf: Fixtures.url("torch/state_legacy.pth"))
        for cut in [1, 10, 100, data.count / 2, data.count - 1] {
            XCTAssertThrowsError(try TorchCheckpoint(data: data.prefix(cut), path: "cut\(cut)").stateDict().forEach { _ = try $0.tensor.floats() }, "cut at \(cut)")
        }
        let zip = try Data(contentsOf: Fixtures.url("torch/state_zip.pth"))
        for cut in [4, 100, zip.count / 2, zip.count - 30] {
            XCTAssertThrowsError(try TorchCheckpoint(data: zip.prefix(cut), path: "zipcut\(cut)"), "zip cut at \(cut)")
        }
        XCTAssertThrowsError(try TorchCheckpoint(data: Data("hello".utf8), path: "x.pth")) { error in
            XCTAssertEqual("\(error)", "x.pth: not a PyTorch checkpoint (neither a zip archive nor a pickle)")
        }
        // Random bytes after a pickle PROTO opcode: an error, never a crash.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var bytes: [UInt8] = [0x80, 0x02]
            for _ in 0..<64 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
            _ = try? TorchCheckpoint(data: Data(bytes), path: "random")
        }
    }

    /// The real CC BY 4.0 checkpoint of `aisfx` 0.1.2 (25 MB, not committed): run with
    /// FAD_AISFX_CHECKPOINT=/path/to/aisfx/models/checkpoint.pth to include it.
    func testRealAisfxCheckpointWhenAvailable() throws {
        guard let path = ProcessInfo.processInfo.environment["FAD_AISFX_CHECKPOINT"] else {
            throw XCTSkip("FAD_AISFX_CHECKPOINT not set")
        }
        struct Checksums: Decodable {
            struct Row: Decodable { var name: String; var dtype: String; var shape: [Int]; var sum: Double; var sumOfSquares: Double }
            var tensors: [Row]
        }
        let reference = try Fixtures.json(Checksums.self, "torch/aisfx_checksums.json")
        let checkpoint = try TorchCheckpoint(contentsOf: URL(fileURLWithPath: path))
        let state = try checkpoint.stateDict()
        XCTAssertEqual(state.map(\.name), reference.tensors.map(\.name))
        for (entry, row) in zip(state, reference.tensors) {
            XCTAssertEqual(entry.tensor.shape, row.shape, row.name)
            XCTAssertEqual(entry.tensor.dtype.rawValue, row.dtype, row.name)
            let values = try entry.tensor.floats(name: entry.name).map(Double.init)
            let sum = values.reduce(0, +), squares = values.reduce(0) { $0 + $1 * $1 }
            // Float32 values summed in Double in a possibly different order: 1e-9 relative.
            XCTAssertEqual(sum, row.sum, accuracy: 1e-9 * max(1, squares.squareRoot() * Double(values.count).squareRoot()), row.name)
            XCTAssertEqual(squares, row.sumOfSquares, accuracy: 1e-9 * max(1, squares), row.name)
        }
    }
}
