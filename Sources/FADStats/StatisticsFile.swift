import FADArrays
import Foundation

/// The `.fadstats` file: one self-describing file per set of statistics.
///
/// ```
/// bytes 0..<8    magic "FADSTATS"
/// bytes 8..<16   header length H, UInt64 little-endian
/// bytes 16..<16+H  JSON header (UTF-8), see `StatisticsFileHeader`
/// then           mean: d float64 little-endian, then covariance: d·d float64 little-endian,
///                row-major (full symmetric matrix, so NumPy can read it with one `frombuffer`)
/// ```
///
/// The header records the format version, frame count, dimension, model, layer, front-end
/// string, file count, free-form metadata and an FNV-1a 64-bit checksum of the payload, so a
/// truncated or corrupted file is refused with a message naming it. Files are written atomically
/// (temporary file + rename), so a crash never leaves half a file under the final name.
///
/// Reading it from Python:
/// ```python
/// raw = open(p, "rb").read(); h = int.from_bytes(raw[8:16], "little")
/// hdr = json.loads(raw[16:16+h]); x = np.frombuffer(raw[16+h:], "<f8"); d = hdr["dimension"]
/// mu, cov = x[:d], x[d:].reshape(d, d)
/// ```
struct StatisticsFileHeader: Codable, Equatable {
    static let formatName = "fad-gaussian-statistics"
    static let currentVersion = 1

    var format: String
    var version: Int
    var count: Int
    var dimension: Int
    var model: String
    var layer: String
    var frontEnd: String
    var files: Int
    var extra: [String: String]
    /// Present only in a shard's file (`fad stats save --shard I/N`): which part of which set it
    /// covers. Absent from files of whole sets, so those read as before.
    var shard: ShardInfo?
    /// Always `"<f8"`: float64 little-endian.
    var dtype: String
    /// `"fnv1a64:<16 hex digits>"` over the payload bytes.
    var checksum: String
}

extension GaussianStatistics {
    static let fileMagic = Array("FADSTATS".utf8)

    /// Writes the statistics to `url` atomically (temporary file + rename) as one `.fadstats` file:
    ///
    /// ```
    /// "FADSTATS" | header length H (UInt64 LE) | H bytes of JSON header | payload
    /// header:  {"format": "fad-gaussian-statistics", "version": 1, "count": frames,
    ///           "dimension": d, "model", "layer", "frontEnd", "files", "extra": {…},
    ///           "shard": {"index", "count", "partition", "setFiles", "setDigest",
    ///                     "assignedFiles"} (shards only),
    ///           "dtype": "<f8", "checksum": "fnv1a64:<16 hex>" (FNV-1a 64 of the payload)}
    /// payload: mean (d float64 LE), then covariance (d·d float64 LE, row-major, full)
    /// ```
    ///
    /// The unbiased covariance and the frame count are enough to merge files exactly later.
    public func write(to url: URL) throws {
        let d = dimension
        var payload = [UInt8]()
        payload.reserveCapacity((d + d * d) * 8)
        func append(_ value: Double) {
            var bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { payload.append(contentsOf: $0) }
        }
        mean.forEach(append)
        covariance.values.forEach(append)
        let header = StatisticsFileHeader(
            format: StatisticsFileHeader.formatName, version: StatisticsFileHeader.currentVersion,
            count: count, dimension: d, model: metadata.model, layer: metadata.layer,
            frontEnd: metadata.frontEnd, files: metadata.files, extra: metadata.extra, shard: metadata.shard,
            dtype: "<f8", checksum: Self.checksumString(payload))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: Data
        do { json = try encoder.encode(header) } catch {
            throw StatisticsError(path: url.path, reason: "cannot encode header (\(error))")
        }
        var data = Data(Self.fileMagic)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(contentsOf: payload)
        do { try data.write(to: url, options: .atomic) } catch {
            throw StatisticsError(path: url.path, reason: "cannot write statistics (\(error.localizedDescription))", kind: .writeFailed)
        }
    }

    /// Reads and validates a `.fadstats` file (magic, version, sizes, checksum, finite values);
    /// every failure is a `StatisticsError` whose message starts with the file's path.
    public static func read(from url: URL) throws -> GaussianStatistics {
        let data: Data
        do { data = try RegularFile.read(url) } catch let failure as RegularFile.Failure {
            throw StatisticsError(path: url.path, reason: "cannot read statistics file (\(failure.reason))", kind: .unreadable)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes the bytes of a `.fadstats` file; `path` is used only in error messages.
    public static func decode(_ data: Data, path: String = "<data>") throws -> GaussianStatistics {
        func fail(_ reason: String) -> StatisticsError { StatisticsError(path: path, reason: reason, kind: .unreadable) }
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == fileMagic else {
            throw fail("not a fad statistics file (missing FADSTATS magic)")
        }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(bytes[8 + k]) << (8 * UInt64(k)) }
        guard length <= UInt64(bytes.count - 16) else { throw fail("truncated header (\(length) bytes announced)") }
        let headerEnd = 16 + Int(length)
        let header: StatisticsFileHeader
        do { header = try JSONDecoder().decode(StatisticsFileHeader.self, from: Data(bytes[16..<headerEnd])) } catch {
            throw fail("unreadable header (\(error))")
        }
        guard header.format == StatisticsFileHeader.formatName else { throw fail("unknown format \"\(header.format)\"") }
        guard header.version == StatisticsFileHeader.currentVersion else {
            throw fail("unsupported format version \(header.version) (this build reads \(StatisticsFileHeader.currentVersion))")
        }
        guard header.dtype == "<f8" else { throw fail("unsupported dtype \"\(header.dtype)\"") }
        let d = header.dimension
        guard d > 0, d <= 1 << 16 else { throw fail("implausible dimension \(d)") }
        guard header.count > 0 else { throw fail("frame count must be positive, got \(header.count)") }
        // Counts are used as Doubles (exact up to 2^53) and added when merging: a larger count
        // is no real data set, and would let merges overflow.
        guard header.count <= Self.maximumFrameCount else { throw fail("implausible frame count \(header.count)") }
        let expected = (d + d * d) * 8  // d <= 2^16: no overflow
        let payload = bytes[headerEnd...]
        guard payload.count == expected else {
            throw fail("payload has \(payload.count) bytes, expected \(expected) for dimension \(d) (truncated or corrupted)")
        }
        guard checksumString(payload) == header.checksum else { throw fail("checksum mismatch (corrupted file)") }
        var values = [Double](repeating: 0, count: d + d * d)
        payload.withUnsafeBytes { raw in
            for k in 0..<values.count {
                values[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)))
            }
        }
        // The covariance is stored in full so that NumPy reads it with one call; both halves
        // must agree, or a damaged lower triangle would go unnoticed by everything that reads
        // only the upper one.
        for i in 0..<d {
            for j in (i + 1)..<d where values[d + i * d + j].bitPattern != values[d + j * d + i].bitPattern {
                throw fail("covariance is not symmetric (element [\(i), \(j)] is \(values[d + i * d + j]), [\(j), \(i)] is \(values[d + j * d + i])): corrupted file")
            }
        }
        guard header.files >= 0 else { throw fail("negative file count \(header.files)") }
        let metadata = StatisticsMetadata(model: header.model, layer: header.layer, frontEnd: header.frontEnd,
                                          files: header.files, extra: header.extra, shard: header.shard)
        do {
            return try GaussianStatistics(count: header.count, mean: Array(values[0..<d]),
                                          covariance: Matrix(rows: d, columns: d, values: Array(values[d...])),
                                          metadata: metadata)
        } catch let error as StatisticsError {
            throw fail(error.reason)
        }
    }

    /// The largest frame count a statistics file may declare (2^53).
    static let maximumFrameCount = 1 << 53

    static func checksumString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
