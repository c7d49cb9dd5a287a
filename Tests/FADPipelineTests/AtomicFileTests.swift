import FADPipeline
import Foundation
import Synchronization
import XCTest
import _FADTestSupport

/// Writers racing on one path (as the tasks of an array job do on a shared cache) leave a whole
/// file from one of them, never a mixture, and readers never see a partial file.
final class AtomicFileTests: XCTestCase {
    func testRacingWritersAndReadersSeeOnlyWholeFiles() throws {
        let dir = try Fixtures.temporaryDirectory("atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("sub/entry.npy")
        // Large enough (1 MiB) that a torn write would be caught between write calls.
        let payloads = (0..<4).map { k in Data(repeating: UInt8(0x41 + k), count: 1 << 20) }
        let torn = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for _ in 0..<25 {
                if worker < 4 {
                    do { try AtomicFile.write(payloads[worker], to: url) } catch {
                        torn.withLock { $0 += 1000 }
                    }
                } else if let data = FileManager.default.contents(atPath: url.path) {
                    if !payloads.contains(data) { torn.withLock { $0 += 1 } }
                }
            }
        }
        XCTAssertEqual(torn.withLock { $0 }, 0, "a write failed (+1000) or a reader saw a partial or mixed file (+1)")
        XCTAssertTrue(payloads.contains(try Data(contentsOf: url)))
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path), ["entry.npy"])
    }

    func testUnwritableFolderIsAnErrorNamingThePath() throws {
        let dir = try Fixtures.temporaryDirectory("atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocker = dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        XCTAssertThrowsError(try AtomicFile.write(Data("y".utf8), to: blocker.appendingPathComponent("entry.npy"))) {
            XCTAssertTrue("\($0)".hasPrefix(blocker.path), "\($0)")
        }
    }
}
