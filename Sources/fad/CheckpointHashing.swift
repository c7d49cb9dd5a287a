import Crypto
import FAD
import Foundation

/// The SHA-256 and MD5 of a checkpoint file. Hashing lives in the command, with swift-crypto
/// that FADPipeline already builds, so that FADModels and the sanitizer builds of the parsers
/// (Tests/scripts/fuzz.sh) do not need it. The file is opened as the importer opens it
/// (`RegularFile`: a FIFO or device is refused, not read forever) and hashed where it is mapped.
func checkpointDigest(of url: URL) throws -> CheckpointDigest {
    let data = try RegularFile.read(url)
    var sha = SHA256()
    var md5 = Insecure.MD5()
    // 4 MiB at a time: slices of the mapping, never a copy of the 300 MB file.
    var start = data.startIndex
    while start < data.endIndex {
        let end = data.index(start, offsetBy: 4 << 20, limitedBy: data.endIndex) ?? data.endIndex
        sha.update(data: data[start ..< end])
        md5.update(data: data[start ..< end])
        start = end
    }
    func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { digest.map { String(format: "%02x", $0) }.joined() }
    return CheckpointDigest(sha256: hex(sha.finalize()), md5: hex(md5.finalize()))
}
