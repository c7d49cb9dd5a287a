@testable import FADTorch
import Foundation
import XCTest
import _FADTestSupport

/// Crafted checkpoints (Tests/Fixtures/scripts/hostile_fixtures.py, plus pickles built here):
/// each is refused with an error naming the file and the problem, quickly and without large
/// allocations; the valid ones beside them read as torch reads them.
final class HostileCheckpointTests: XCTestCase {
    func read(_ name: String) throws -> [String: (shape: [Int], values: [Float])] {
        let url = Fixtures.url("hostile/\(name)")
        return try TorchCheckpoint(contentsOf: url).floatTensors()
    }

    func testValidCraftedCheckpointsRead() throws {
        for name in ["good_zip.pth", "good_legacy.pth"] {
            let tensors = try read(name)
            XCTAssertEqual(tensors["fc.weight"]?.shape, [2, 3], name)
            XCTAssertEqual(tensors["fc.bias"]?.values, Array(tensors["fc.weight"]!.values[4..<6]), name)
        }
    }

    func testHostileCheckpointsAreErrors() throws {
        let expectations: [(String, String)] = [
            ("overflow_shape.pth", "more elements than any file"),
            ("wrapped_stride.pth", "exceeds its storage"),
            ("broadcast_4tib.pth", "broadcast"),
            ("huge_storage.pth", "declares"),
            ("huge_storage_legacy.pth", "pickle says"),
            ("view_past_storage.pth", "exceeds its storage"),
            ("duplicate_entry.pth", "two entries are named 'archive/data/0'"),
            ("bad_crc.pth", "CRC-32 mismatch"),
            ("name_mismatch.pth", "local header names another file"),
            ("overlapping_entries.pth", "overlap"),
            ("legacy_duplicate_key.pth", "listed twice"),
            ("legacy_truncated.pth", "truncated"),
        ]
        for (name, reason) in expectations {
            XCTAssertThrowsError(try read(name), name) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(name), "\(name): \(text)")
                XCTAssertTrue(text.contains(reason), "\(name): expected '\(reason)' in \(text)")
            }
        }
    }

    /// The magic-number, version and system-info pickles of the legacy format.
    let legacyPrefix: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
                                 0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E]

    func testDeepPicklesAreRefusedNotRecursedInto() {
        // 100,000 nested tuples, and lists nested through APPEND.
        let tuples = legacyPrefix + [0x80, 0x02, 0x5D] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        var lists = legacyPrefix + [0x80, 0x02]
        lists += [UInt8](repeating: 0x5D, count: 100_000) + [UInt8](repeating: 0x61, count: 99_999) + [0x2E]
        for (label, bytes) in [("tuples", tuples), ("lists", lists)] {
            XCTAssertThrowsError(try TorchCheckpoint(data: Data(bytes), path: "deep.pth"), label) {
                XCTAssertTrue("\($0)".contains("nested more than"), "\(label): \($0)")
            }
        }
        // A memoised list changed after being nested (how depth could grow unseen): refused.
        let sneaky = legacyPrefix + [0x80, 0x02, 0x5D, 0x94, 0x5D, 0x68, 0x00, 0x61, 0x68, 0x00, 0x5D, 0x61, 0x2E]
        XCTAssertThrowsError(try TorchCheckpoint(data: Data(sneaky), path: "sneaky.pth")) {
            XCTAssertTrue("\($0)".contains("after being nested"), "\($0)")
        }
    }

    func testWideDictsTakeLinearTime() throws {
        var bytes = legacyPrefix + [0x80, 0x02, 0x7D, 0x28]
        for i in 0..<300_000 {
            let key = Array("k\(i)".utf8)
            bytes += [0x8C, UInt8(key.count)] + key + [0x4E]
        }
        bytes += [0x75, 0x2E]
        let started = Date()
        XCTAssertThrowsError(try TorchCheckpoint(data: Data(bytes), path: "wide.pth"))  // no key list after it
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "300,000 keys must not take quadratic time")
    }

    func testCRC32MatchesTheZipCheckValue() {
        let check = Array("123456789".utf8)
        XCTAssertEqual(check.withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        XCTAssertEqual([UInt8]().withUnsafeBytes { CRC32.checksum($0) }, 0)
        let odd = Array("a".utf8)  // the byte-at-a-time tail
        XCTAssertEqual(odd.withUnsafeBytes { CRC32.checksum($0) }, 0xE8B7_BE43)
    }
}
