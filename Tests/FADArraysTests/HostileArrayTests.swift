import FADArrays
import Foundation
import XCTest

/// The checked size helper and the `.npy` reader on crafted files: overflowing shapes, claims
/// far beyond the bytes present, special files. Each must be a thrown error, never a trap or a
/// read out of bounds (the release build keeps Swift's checks, but an error is what users need).
final class HostileArrayTests: XCTestCase {
    func testCheckedSizes() {
        XCTAssertEqual(CheckedSize.elementCount([]), 1)
        XCTAssertEqual(CheckedSize.elementCount([3, 4]), 12)
        XCTAssertEqual(CheckedSize.elementCount([0, Int.max]), 0)
        XCTAssertNil(CheckedSize.elementCount([3, 3_074_457_345_618_258_603]))
        XCTAssertNil(CheckedSize.elementCount([-1, 2]))
        XCTAssertNil(CheckedSize.byteCount(shape: [1 << 62], elementSize: 4))
        XCTAssertEqual(CheckedSize.byteCount(shape: [2, 3], elementSize: 8), 48)
        // Extents: one past the last element read.
        XCTAssertEqual(CheckedSize.viewExtent(offset: 4, shape: [2, 3], strides: [3, 1]), 10)
        XCTAssertEqual(CheckedSize.viewExtent(offset: 0, shape: [3, 2], strides: [1, 3]), 6)
        XCTAssertEqual(CheckedSize.viewExtent(offset: 7, shape: [0, 5], strides: [5, 1]), 0)
        XCTAssertNil(CheckedSize.viewExtent(offset: 2, shape: [2, 1], strides: [Int.max - 1, 1]), "wraps around")
        XCTAssertNil(CheckedSize.viewExtent(offset: 0, shape: [2], strides: [-1]))
        XCTAssertNil(CheckedSize.viewExtent(offset: 0, shape: [2, 2], strides: [1]))
        XCTAssertTrue(CheckedSize.fits(offset: 2, count: 3, in: 5))
        XCTAssertFalse(CheckedSize.fits(offset: 2, count: Int.max, in: 5))
        XCTAssertFalse(CheckedSize.fits(offset: 6, count: 0, in: 5))
    }

    func header(_ shape: String, descr: String = "<f4") -> [UInt8] {
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)] + Array(text.utf8)
    }

    func testCraftedArraysAreErrors() {
        let cases: [(String, [UInt8])] = [
            ("product overflows", header("(3, 3074457345618258603)") + [UInt8](repeating: 0, count: 16)),
            ("2^62+1 rows", header("(4611686018427387905, 4)") + [UInt8](repeating: 0, count: 16)),
            ("bytes overflow", header("(2305843009213693952,)") + [UInt8](repeating: 0, count: 16)),
            ("4 TiB claimed", header("(1099511627776,)") + [UInt8](repeating: 0, count: 16)),
            ("negative", header("(-1, 2)") + [UInt8](repeating: 0, count: 8)),
            ("truncated body", header("(4, 4)") + [UInt8](repeating: 0, count: 63)),
            ("header past the end", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xFF, 0xFF, 0xFF, 0x7F]),
            ("65 dimensions", header("(" + String(repeating: "1, ", count: 65) + ")")),
        ]
        for (label, bytes) in cases {
            XCTAssertThrowsError(try NPYArray.decode(Data(bytes), path: "x.npy"), label) { error in
                XCTAssertTrue("\(error)".hasPrefix("x.npy: "), "\(label): \(error)")
            }
        }
    }

    /// Found by the npy fuzz target: an int64 array holding Int64.max widens to the Double 2^63,
    /// which `Int64(_:)` refused with a trap when the array was encoded again.
    func testIntegerArraysEncodeWhateverTheyHold() throws {
        let crash = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fuzz/Corpus/npy/crash-int64-max-encode.npy")
        if let array = try? NPYArray.decode(try Data(contentsOf: crash)) { _ = array.encoded() }
        let wide = NPYArray(shape: [5], dtype: .int64, values: [0x1p63, -0x1p64, .nan, .infinity, -3.7])
        XCTAssertEqual(try NPYArray.decode(wide.encoded()).values, [Double(Int64.max), Double(Int64.min), 0, Double(Int64.max), -3])
        let narrow = NPYArray(shape: [4], dtype: .int32, values: [1e10, -1e10, .nan, 7.9])
        XCTAssertEqual(try NPYArray.decode(narrow.encoded()).values, [Double(Int32.max), Double(Int32.min), 0, 7])
        let bytes = NPYArray(shape: [4], dtype: .uint8, values: [300, -1, .nan, 2.5])
        XCTAssertEqual(try NPYArray.decode(bytes.encoded()).values, [255, 0, 0, 2])
        let flags = NPYArray(shape: [3], dtype: .bool, values: [2, 0, .nan])
        XCTAssertEqual(try NPYArray.decode(flags.encoded()).values, [1, 0, 0])
    }

    func testEmbeddingFramesRefusesWhatACacheEntryMustNotBe() throws {
        XCTAssertNotNil(NPYArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]).embeddingFrames())
        XCTAssertNil(NPYArray(shape: [5, 0], floats: []).embeddingFrames())
        XCTAssertNil(NPYArray(shape: [0, 4], floats: []).embeddingFrames())
        XCTAssertNil(NPYArray(shape: [1, 2], floats: [1, .nan]).embeddingFrames())
        XCTAssertNil(NPYArray(shape: [6], floats: [1, 2, 3, 4, 5, 6]).embeddingFrames())
        XCTAssertNil(NPYArray(shape: [1, 2], dtype: .float64, values: [1, 2]).embeddingFrames())
    }

    func testSpecialFilesAreRefusedWithoutBlocking() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fad-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe.npy")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        XCTAssertThrowsError(try NPYArray.read(contentsOf: fifo)) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertThrowsError(try NPYArray.read(contentsOf: URL(fileURLWithPath: "/dev/zero"))) {
            XCTAssertTrue("\($0)".contains("character device"), "\($0)")
        }
        let loop = dir.appendingPathComponent("loop.npy")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
        XCTAssertThrowsError(try RegularFile.read(loop)) { XCTAssertTrue("\($0)".contains("symbolic links"), "\($0)") }
        XCTAssertThrowsError(try RegularFile.read(URL(fileURLWithPath: "/etc/hostname"), maximumBytes: 0))
        // A regular file through a symlink is read.
        let real = dir.appendingPathComponent("real.npy")
        try NPYArray(shape: [1, 2], floats: [1, 2]).write(to: real)
        let link = dir.appendingPathComponent("link.npy")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        XCTAssertEqual(try NPYArray.read(contentsOf: link).floats, [1, 2])
    }

    func testPathLists() {
        XCTAssertEqual(PathList.parse(Data("# c\na.wav\n  b c.flac \n\n/x/y.npy\r\nz.wav".utf8)), ["a.wav", "b c.flac", "/x/y.npy", "z.wav"])
        XCTAssertNil(PathList.parse(Data([0x61, 0x00, 0x62])))
        XCTAssertNil(PathList.parse(Data([0x63, 0x61, 0x66, 0xE9])))
        XCTAssertEqual(PathList.parse(Data()), [])
    }
}
