import Crypto
import FAD
import Foundation

/// The SHA-256 and MD5 of a checkpoint file, read in 4 MiB chunks (checkpoints are 300 MB).
/// Hashing lives in the command, with swift-crypto that FADPipeline already builds, so that
/// FADModels and the sanitizer builds of the parsers (Tests/scripts/fuzz.sh) do not need it.
func checkpointDigest(of url: URL) throws -> CheckpointDigest {
    let handle: FileHandle
    do { handle = try FileHandle(forReadingFrom: url) } catch {
        throw CommandError(description: "\(url.path): cannot read (\(error.localizedDescription))", exitCode: FADExitCode.input)
    }
    defer { try? handle.close() }
    var sha = SHA256()
    var md5 = Insecure.MD5()
    while true {
        let chunk: Data?
        do { chunk = try handle.read(upToCount: 4 << 20) } catch {
            throw CommandError(description: "\(url.path): cannot read (\(error.localizedDescription))", exitCode: FADExitCode.input)
        }
        guard let chunk, !chunk.isEmpty else { break }
        sha.update(data: chunk)
        md5.update(data: chunk)
    }
    func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { digest.map { String(format: "%02x", $0) }.joined() }
    return CheckpointDigest(sha256: hex(sha.finalize()), md5: hex(md5.finalize()))
}
