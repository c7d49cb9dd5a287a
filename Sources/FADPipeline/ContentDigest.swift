import Crypto
import FADArrays
import Foundation

/// SHA-256 of a file's bytes, read in blocks. The cache keys on content, never on names: two
/// files with the same stem (a.wav, a.mp3) never collide, and an edited file never reuses a
/// stale embedding.
public func contentDigest(of url: URL) throws -> String {
    // A FIFO or device would be hashed forever: refused before it is opened for reading.
    do { try RegularFile.check(url) } catch let failure as RegularFile.Failure {
        throw FileFailure(path: url.path, reason: failure.reason)
    }
    guard let handle = try? FileHandle(forReadingFrom: url) else {
        throw FileFailure(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                          ? "cannot open the file for reading" : "no such file")
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    while true {
        let block: Data
        do { block = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
            throw FileFailure(path: url.path, reason: "read error (\(error.localizedDescription))")
        }
        if block.isEmpty { break }
        hasher.update(data: block)
    }
    return hexString(hasher.finalize())
}

/// SHA-256 of a string, as hex.
public func stringDigest(_ text: String) -> String {
    hexString(SHA256.hash(data: Data(text.utf8)))
}

/// Lower-case hex. Not `String(format:)` per byte: a cold file takes a dozen digests (its
/// content, then one cache key per layer loaded and stored), and Foundation's formatting of
/// 32 bytes one by one cost ~0.5 % of the CPU of a cold musicnn run.
private func hexString<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in digest {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: text, as: UTF8.self)
}
