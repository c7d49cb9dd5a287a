import FADArrays
import Foundation

/// A minimal reader for the zip container that `torch.save` writes by default.
///
/// PyTorch writes every entry STORED (uncompressed) and pads local headers so that tensor data is
/// aligned; Foundation on Linux has no zip API and no zlib, so this reader understands exactly the
/// central directory (with the ZIP64 extensions that large checkpoints use) and STORED entries.
/// A deflated entry is reported, not guessed at.
struct ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
        /// Where the entry's (possibly compressed) bytes start, after its local header.
        var dataStart: Int
    }

    let path: String
    let data: Data
    /// Entries in central-directory order.
    let entries: [Entry]
    private let index: [String: Int]

    /// Whether `data` starts like a zip archive (`PK\x03\x04`).
    static func looksLikeZip(_ data: Data) -> Bool {
        data.count >= 4 && data.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04])
    }

    /// Reads and checks the directory: every size and offset inside the file, names unique and
    /// the same in the central directory and the local headers, and no two entries (nor an entry
    /// and the central directory) sharing bytes. A zip that breaks any of these is not what
    /// `torch.save` writes, and reading it would let two readers (or two entries) see different
    /// bytes under one name.
    init(data: Data, path: String) throws {
        self.path = path
        self.data = data
        let reader = ByteReader(data: data, path: path)
        func fail(_ reason: String) -> TorchError {
            TorchError(path: path, kind: .invalid, reason: "zip archive: \(reason)")
        }

        // End of central directory: 22 bytes plus a comment of at most 65535 bytes.
        let minimumEOCD = 22
        guard data.count >= minimumEOCD else { throw fail("file too short (\(data.count) bytes)") }
        var eocd = -1
        let lowest = max(0, data.count - minimumEOCD - 65535)
        var position = data.count - minimumEOCD
        while position >= lowest {
            if try reader.uint32(at: position) == 0x0605_4B50 { eocd = position; break }
            position -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record (truncated file?)") }
        var entryCount = Int(try reader.uint16(at: eocd + 10))
        var directorySize = Int(try reader.uint32(at: eocd + 12))
        var directoryOffset = Int(try reader.uint32(at: eocd + 16))
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator 20 bytes before the EOCD points at the ZIP64 EOCD record.
            let locator = eocd - 20
            guard locator >= 0, try reader.uint32(at: locator) == 0x0706_4B50 else {
                throw fail("ZIP64 sizes without a ZIP64 locator")
            }
            let record = try reader.int(fromUInt64At: locator + 8)
            guard try reader.uint32(at: record) == 0x0606_4B50 else { throw fail("bad ZIP64 end-of-central-directory record") }
            entryCount = try reader.int(fromUInt64At: record + 32)
            directorySize = try reader.int(fromUInt64At: record + 40)
            directoryOffset = try reader.int(fromUInt64At: record + 48)
        }
        guard CheckedSize.fits(offset: directoryOffset, count: directorySize, in: data.count) else {
            throw fail("central directory lies outside the file")
        }
        // Each central record takes at least 46 bytes: a count beyond that is a lie, refused
        // before anything is sized by it.
        guard entryCount <= directorySize / 46 else {
            throw fail("\(entryCount) entries cannot fit a central directory of \(directorySize) bytes")
        }

        var entries: [Entry] = []
        var index: [String: Int] = [:]
        var cursor = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for _ in 0..<entryCount {
            guard try reader.uint32(at: cursor) == 0x0201_4B50 else { throw fail("bad central directory entry at byte \(cursor)") }
            let flags = try reader.uint16(at: cursor + 8)
            let method = try reader.uint16(at: cursor + 10)
            let crc = try reader.uint32(at: cursor + 16)
            var compressed = Int(try reader.uint32(at: cursor + 20))
            var uncompressed = Int(try reader.uint32(at: cursor + 24))
            let nameLength = Int(try reader.uint16(at: cursor + 28))
            let extraLength = Int(try reader.uint16(at: cursor + 30))
            let commentLength = Int(try reader.uint16(at: cursor + 32))
            var localOffset = Int(try reader.uint32(at: cursor + 42))
            let nameBytes = try reader.bytes(at: cursor + 46, count: nameLength)
            guard let name = String(bytes: nameBytes, encoding: .utf8) else { throw fail("entry name is not UTF-8") }
            // ZIP64 extended information: only the fields saturated in the fixed header, in order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = try reader.uint16(at: extra)
                let size = Int(try reader.uint16(at: extra + 2))
                if tag == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try reader.int(fromUInt64At: field); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try reader.int(fromUInt64At: field); field += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = try reader.int(fromUInt64At: field) }
                }
                extra += 4 + size
            }
            cursor = extraEnd + commentLength
            guard cursor <= directoryEnd else { throw fail("entry '\(name)' runs past the central directory") }
            guard index[name] == nil else {
                throw fail("two entries are named '\(name)' (a reader could take either)")
            }
            // The local header must name the same entry: readers that walk local headers would
            // otherwise see another file than readers of the central directory.
            guard try reader.uint32(at: localOffset) == 0x0403_4B50 else {
                throw fail("entry '\(name)': no local header at byte \(localOffset)")
            }
            let localNameLength = Int(try reader.uint16(at: localOffset + 26))
            let localExtraLength = Int(try reader.uint16(at: localOffset + 28))
            guard try reader.bytes(at: localOffset + 30, count: localNameLength) == nameBytes else {
                throw fail("entry '\(name)': the local header names another file")
            }
            let dataStart = localOffset + 30 + localNameLength + localExtraLength
            guard CheckedSize.fits(offset: dataStart, count: compressed, in: data.count) else {
                throw fail("entry '\(name)': data lies outside the file (truncated download?)")
            }
            index[name] = entries.count
            entries.append(Entry(name: name, method: method, flags: flags, crc32: crc, compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset, dataStart: dataStart))
        }
        // No two entries, and no entry and the central directory, may share bytes.
        var spans = entries.map { (name: $0.name, range: $0.localHeaderOffset ..< ($0.dataStart + $0.compressedSize)) }
        spans.append((name: "the central directory", range: directoryOffset ..< directoryEnd))
        spans.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(spans, spans.dropFirst()) where b.range.lowerBound < a.range.upperBound {
            throw fail("'\(a.name)' and '\(b.name)' overlap (bytes \(b.range.lowerBound)..<\(a.range.upperBound))")
        }
        self.entries = entries
        self.index = index
    }

    func entry(named name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    /// The bytes of a STORED entry, as a range of `data` (no copy), after checking its CRC-32
    /// unless `checksum` is false: then the caller checks it (``verifyChecksum(_:expected:entry:path:)``)
    /// before it trusts the bytes, so that entries it never reads are never paged in.
    func contents(of entry: Entry, checksum: Bool = true) throws -> Range<Int> {
        func fail(_ reason: String) -> TorchError {
            TorchError(path: path, kind: .invalid, reason: "zip entry '\(entry.name)': \(reason)")
        }
        guard entry.method == 0 else {
            let kind = entry.method == 8 ? "deflate-compressed" : "compressed with zip method \(entry.method)"
            throw fail("\(kind); only uncompressed (STORED) entries are supported, as torch.save writes them. Re-save the file with torch.save, or unzip and re-zip it with `zip -0`")
        }
        guard entry.flags & 1 == 0 else { throw fail("encrypted entries are not supported") }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw fail("a STORED entry of \(entry.compressedSize) bytes claims \(entry.uncompressedSize) uncompressed")
        }
        let range = (data.startIndex + entry.dataStart)..<(data.startIndex + entry.dataStart + entry.uncompressedSize)
        if checksum { try ZipArchive.verifyChecksum(data[range], expected: entry.crc32, entry: entry.name, path: path) }
        return range
    }

    /// Checks `bytes` (an entry's contents) against the CRC-32 its headers record.
    static func verifyChecksum(_ bytes: Data, expected: UInt32, entry: String, path: String) throws {
        let crc = bytes.withUnsafeBytes { CRC32.checksum($0) }
        guard crc == expected else {
            throw TorchError(path: path, kind: .invalid, reason: "zip entry '\(entry)': "
                + String(format: "CRC-32 mismatch (stored %08x, computed %08x): the file is corrupted", expected, crc))
        }
    }
}

/// CRC-32 (ISO-HDLC, the zip one: reflected polynomial 0xEDB88320), slicing by 4 bytes.
enum CRC32 {
    /// Four 256-entry tables, one after the other.
    private static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 1024)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[n] = c
        }
        for k in 1..<4 {
            for n in 0..<256 {
                let previous = table[256 * (k - 1) + n]
                table[256 * k + n] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            let count = bytes.count
            var i = 0
            while i + 4 <= count {
                crc ^= UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                crc = t[768 + Int(crc & 0xFF)] ^ t[512 + Int((crc >> 8) & 0xFF)]
                    ^ t[256 + Int((crc >> 16) & 0xFF)] ^ t[Int(crc >> 24)]
                i += 4
            }
            while i < count {
                crc = t[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Bounds-checked little-endian reads over `Data`; every overrun is a thrown error, never a trap.
struct ByteReader {
    let data: Data
    let path: String
    var position = 0

    init(data: Data, path: String) {
        self.data = data
        self.path = path
    }

    var isAtEnd: Bool { position >= data.count }

    private func check(_ offset: Int, _ count: Int) throws {
        guard offset >= 0, count >= 0, offset <= data.count, count <= data.count - offset else {
            throw TorchError(path: path, kind: .invalid, reason: "unexpected end of data at byte \(offset) (wanted \(count) bytes of \(data.count))")
        }
    }

    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        try check(offset, count)
        let base = data.startIndex + offset
        return [UInt8](data[base..<(base + count)])
    }

    func uint8(at offset: Int) throws -> UInt8 {
        try check(offset, 1)
        return data[data.startIndex + offset]
    }

    func uint16(at offset: Int) throws -> UInt16 {
        try check(offset, 2)
        let b = data.startIndex + offset
        return UInt16(data[b]) | UInt16(data[b + 1]) << 8
    }

    func uint32(at offset: Int) throws -> UInt32 {
        try check(offset, 4)
        let b = data.startIndex + offset
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(data[b + i]) << (8 * UInt32(i)) }
        return value
    }

    func uint64(at offset: Int) throws -> UInt64 {
        try check(offset, 8)
        let b = data.startIndex + offset
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(data[b + i]) << (8 * UInt64(i)) }
        return value
    }

    /// A UInt64 field that must fit an in-file offset or size.
    func int(fromUInt64At offset: Int) throws -> Int {
        let value = try uint64(at: offset)
        guard value <= UInt64(Int.max) else {
            throw TorchError(path: path, kind: .invalid, reason: "64-bit field at byte \(offset) is out of range")
        }
        return Int(value)
    }

    // Sequential reads used by the unpickler.
    mutating func readUInt8() throws -> UInt8 { let v = try uint8(at: position); position += 1; return v }
    mutating func readUInt16() throws -> UInt16 { let v = try uint16(at: position); position += 2; return v }
    mutating func readUInt32() throws -> UInt32 { let v = try uint32(at: position); position += 4; return v }
    mutating func readUInt64() throws -> UInt64 { let v = try uint64(at: position); position += 8; return v }
    mutating func readBytes(_ count: Int) throws -> [UInt8] { let v = try bytes(at: position, count: count); position += count; return v }
    mutating func readLine() throws -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try readUInt8()
            if byte == 0x0A { break }
            bytes.append(byte)
            if bytes.count > 4096 { throw TorchError(path: path, kind: .invalid, reason: "pickle text line too long") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
