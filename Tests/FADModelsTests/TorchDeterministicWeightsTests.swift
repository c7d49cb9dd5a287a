import Foundation
import XCTest
import FADNN
@testable import FADModels
import _FADTestSupport

/// The deterministic stand-in weights of `Tests/Fixtures/scripts/torch_deterministic_weights.py`,
/// regenerated bit for bit: the parity fixtures ran the reference models with them.
enum DeterministicWeights {
    struct Manifest: Decodable {
        struct Entry: Decodable { var index: Int; var name: String; var shape: [Int]; var scale: Double; var offset: Double }
        var tensors: [Entry]
    }

    @inline(__always)
    static func lowbias32(_ value: UInt32) -> UInt32 {
        var x = value
        x ^= x >> 16
        x &*= 0x7FEB_352D
        x ^= x >> 15
        x &*= 0x846C_A68B
        x ^= x >> 16
        return x
    }

    static func tensor(index: Int, count: Int, scale: Double, offset: Double) -> [Float] {
        let seed = UInt32(truncatingIfNeeded: 0x9E37_79B9 &* UInt64(index + 1))
        let s = Float(scale / 8_388_608.0)
        let o = Float(offset)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<count {
                let x = lowbias32(UInt32(truncatingIfNeeded: i) ^ seed)
                let k = Int32(x >> 8) - (1 << 23)
                let product = Float(k) * s      // two separately rounded float32 operations,
                buffer[i] = product + o         // as numpy does them
            }
        }
        return out
    }

    nonisolated(unsafe) static var cache: [String: [String: (shape: [Int], values: [Float])]] = [:]

    /// The state dict (PyTorch layouts) described by a fixture manifest (generated once per run:
    /// tens of millions of values are slow in a debug build).
    static func stateDict(manifest path: String) throws -> [String: (shape: [Int], values: [Float])] {
        if let cached = cache[path] { return cached }
        let state = try generate(manifest: path)
        cache[path] = state
        return state
    }

    /// Zero-valued tensors with the manifest's names and shapes (for key/shape checks).
    static func zeroStateDict(manifest path: String) throws -> [String: (shape: [Int], values: [Float])] {
        let manifest = try Fixtures.json(Manifest.self, path)
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for e in manifest.tensors { out[e.name] = (e.shape, [Float](repeating: 0, count: e.shape.reduce(1, *))) }
        return out
    }

    private static func generate(manifest path: String) throws -> [String: (shape: [Int], values: [Float])] {
        let manifest = try Fixtures.json(Manifest.self, path)
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for e in manifest.tensors {
            out[e.name] = (e.shape, tensor(index: e.index, count: e.shape.reduce(1, *), scale: e.scale, offset: e.offset))
        }
        return out
    }
}

final class TorchDeterministicWeightsTests: XCTestCase {
    /// Spot values computed by the Python formula (numpy) for tensor index 3, scale 0.5, offset 1.
    func testFormulaMatchesPython() {
        let values = DeterministicWeights.tensor(index: 3, count: 4, scale: 0.5, offset: 1)
        XCTAssertEqual(values.map(\.bitPattern), Self.pythonBits)
    }

    static let pythonBits: [UInt32] = [0x3F6BA5A1, 0x3F5707FB, 0x3F7817CC, 0x3F0BF780]
}
