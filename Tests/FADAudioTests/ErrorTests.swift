import FADAudio
import Foundation
import XCTest
import _FADTestSupport

/// Every way a file can be bad gives its own reason, and the message starts with the path.
final class ErrorTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory("fad-audio-errors") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// A RIFF/WAVE file: `format` 1 = PCM, 3 = IEEE float.
    func wav(format: UInt16, bits: UInt16, channels: UInt16 = 1, rate: UInt32 = 16_000, data: [UInt8]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        let blockAlign = channels * bits / 8
        let fmt = le16(format) + le16(channels) + le32(rate) + le32(rate * UInt32(blockAlign)) + le16(blockAlign) + le16(bits)
        let body = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(UInt32(fmt.count)) + fmt
            + Array("data".utf8) + le32(UInt32(data.count)) + data
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    func expect(_ url: URL, _ check: (AudioFileError.Reason) -> Bool, _ fragment: String,
                file: StaticString = #filePath, line: UInt = #line) {
        for attempt in 0 ..< 2 {
            XCTAssertThrowsError(try attempt == 0 ? AudioLoader(targetSampleRate: 16_000).load(url)
                                                  : [Float](repeating: 0, count: AudioFileInfo(contentsOf: url).frames),
                                 file: file, line: line) { error in
                guard let error = error as? AudioFileError else { return XCTFail("\(error)", file: file, line: line) }
                XCTAssertTrue(check(error.reason), "\(error.reason)", file: file, line: line)
                XCTAssertEqual(error.path, url.path, file: file, line: line)
                XCTAssertTrue(error.description.hasPrefix(url.path + ": "), error.description, file: file, line: line)
                XCTAssertTrue(error.description.contains(fragment), error.description, file: file, line: line)
            }
        }
    }

    func testMissingFile() {
        expect(directory.appendingPathComponent("nope.wav"), { $0 == .missing }, "no such file")
    }

    func testDirectoryIsUnreadable() throws {
        let sub = directory.appendingPathComponent("folder.wav")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        expect(sub, { if case .unreadable = $0 { return true } else { return false } }, "is a directory")
    }

    func testPermissionDenied() throws {
        if geteuid() == 0 { throw XCTSkip("root reads files whatever their permissions") }
        let url = try write("locked.wav", wav(format: 1, bits: 16, data: [0, 0, 1, 0]))
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: url.path)
        expect(url, { if case .unreadable = $0 { return true } else { return false } }, "Permission denied")
    }

    func testZeroByteFile() throws {
        expect(try write("zero.wav", []), { $0 == .empty }, "empty")
    }

    func testHeaderWithoutFrames() throws {
        expect(try write("header-only.wav", wav(format: 1, bits: 16, data: [])), { $0 == .empty }, "no audio frames")
    }

    func testNotAudio() throws {
        let text = Array(String(repeating: "this is a text file, not audio\n", count: 20).utf8)
        expect(try write("notes.mp3", text), { if case .notAudio = $0 { return true } else { return false } },
               "not an audio file")
    }

    func testUnsupportedEncoding() throws {
        // AIFF-C whose compression type "XXXX" no decoder implements.
        func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
        func be16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
        let rate80: [UInt8] = [0x40, 0x0B, 0xFA, 0, 0, 0, 0, 0, 0, 0]  // 16000 as an 80-bit float
        let comm = be16(1) + be32(10) + be16(16) + rate80 + Array("XXXX".utf8) + [0, 0]
        let ssnd = be32(0) + be32(0) + [UInt8](repeating: 0, count: 20)
        let body = Array("AIFC".utf8) + Array("FVER".utf8) + be32(4) + be32(0xA280_5140)
            + Array("COMM".utf8) + be32(UInt32(comm.count)) + comm + Array("SSND".utf8) + be32(UInt32(ssnd.count)) + ssnd
        let url = try write("odd.aifc", Array("FORM".utf8) + be32(UInt32(body.count)) + body)
        expect(url, { if case .unsupportedEncoding = $0 { return true } else { return false } }, "unsupported audio encoding")
    }

    func testTruncatedFile() throws {
        let url = try write("cut.wav", Array(wav(format: 1, bits: 16, data: [UInt8](repeating: 0, count: 100)).prefix(30)))
        expect(url, { if case .malformed = $0 { return true } else { return false } }, "malformed")
    }

    func testNaNAndInfinitySamples() throws {
        for (name, bad) in [("nan.wav", Float.nan), ("inf.wav", -Float.infinity)] {
            let samples: [Float] = [0, 0.5, bad, 0.25]
            let bytes = samples.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            let url = try write(name, wav(format: 3, bits: 32, channels: 2, data: bytes))
            XCTAssertThrowsError(try AudioLoader(targetSampleRate: 16_000).load(url)) { error in
                XCTAssertEqual((error as? AudioFileError)?.reason, .nonFiniteSample(frame: 1, channel: 0))
                XCTAssertTrue("\(error)".hasPrefix(url.path + ": "))
                XCTAssertTrue("\(error)".contains("NaN or infinite"), "\(error)")
            }
        }
    }
}
