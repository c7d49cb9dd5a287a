import Foundation
import XCTest
import _FADTestSupport

/// Hostile and broken inputs through the `fad` command, as a stranger's files reach it: each case
/// must end with a clear error naming the file, a documented exit code, no signal, no hang and
/// bounded memory; valid files beside broken ones are still scored; a bad checkpoint never
/// installs a model. Run against the release build by Tests/scripts/hostile_release.sh
/// (`FAD_BINARY`), since that is what users run.
final class HostileInputTests: XCTestCase {
    var work: URL!
    var cache: URL!
    let hostile = Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/hostile")
    /// Peak memory allowed to any `fad` run (the bound).
    let memoryLimitKiB = 2 * 1024 * 1024
    /// Starts GNU time's report line (`-f`), kept apart from what fad prints.
    static let peakMarker = "fad-test-peak-rss-KiB "
    /// The bound of 30 s holds for the release build (FAD_BINARY); a debug build of fad
    /// running models on a loaded CI machine gets more, hangs are caught either way.
    let deadline: TimeInterval = ProcessInfo.processInfo.environment["FAD_BINARY"] != nil ? 30 : 180

    override func setUpWithError() throws {
        work = try Fixtures.temporaryDirectory("fad-hostile")
        cache = work.appendingPathComponent("cache")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    /// Runs fad with a deadline and checks what every hostile case must satisfy.
    @discardableResult
    func fad(_ arguments: [String], status expected: Int32, naming names: [String] = [],
             environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> FADRun {
        var env = environment
        if env["FAD_MODEL_DIR"] == nil { env["FAD_MODEL_DIR"] = work.appendingPathComponent("models").path }
        // GNU time reports this run's own peak RSS. getrusage(RUSAGE_CHILDREN) cannot: it keeps
        // the largest child the whole test process ever waited for, whatever test ran it.
        var run = try FAD.run(["-f", "\(Self.peakMarker)%M", FAD.executable.path] + arguments, environment: env,
                              executable: URL(fileURLWithPath: "/usr/bin/time"), timeout: deadline)
        var lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let peakKiB = lines.last.flatMap { $0.hasPrefix(Self.peakMarker) ? Int($0.dropFirst(Self.peakMarker.count)) : nil }
        if peakKiB != nil { lines.removeLast() }
        if let last = lines.last, last.hasPrefix("Command terminated by signal") {
            run.exitedNormally = false
            lines.removeLast()
        } else if let last = lines.last, last.hasPrefix("Command exited with non-zero status") {
            lines.removeLast()
        }
        run.stderr = lines.map { $0 + "\n" }.joined()
        XCTAssertFalse(run.timedOut, "hung: fad \(arguments)", file: file, line: line)
        XCTAssertTrue(run.exitedNormally, "killed by signal \(run.status): fad \(arguments)\n\(run.stderr)", file: file, line: line)
        XCTAssertEqual(run.status, expected, "fad \(arguments)\n\(run.stderr)", file: file, line: line)
        for name in names {
            XCTAssertTrue(run.stderr.contains(name), "stderr does not name \(name):\n\(run.stderr)", file: file, line: line)
        }
        if !run.timedOut {
            let peak = try XCTUnwrap(peakKiB, "no peak memory from /usr/bin/time:\n\(run.stderr)", file: file, line: line)
            XCTAssertLessThan(peak, memoryLimitKiB, "fad \(arguments) peaked at \(peak) KiB", file: file, line: line)
        }
        return run
    }

    // MARK: - Builders

    func folder(_ name: String) throws -> URL {
        let url = work.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func npyHeader(_ shape: String, descr: String = "<f4") -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
            + Array(header.utf8)
    }

    /// A float32 `.npy` of `rows` x `columns` deterministic values (row r, column c: sin(r + 3c)).
    func writeNPY(_ url: URL, rows: Int, columns: Int, poison: Float? = nil, seed: Int = 0) throws {
        var bytes = npyHeader("(\(rows), \(columns))")
        for r in 0..<rows {
            for c in 0..<columns {
                let v = poison ?? Float(sin(Double(r * 7 + c * 3 + seed)))
                withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
            }
        }
        try Data(bytes).write(to: url)
    }

    func mkfifo(_ url: URL) throws {
        XCTAssertEqual(Foundation.mkfifo(url.path, 0o644), 0, "mkfifo \(url.path)")
    }

    /// A set of good `.npy` embeddings (dimension 8).
    func goodSet(_ name: String, files: Int = 4, seed: Int = 0) throws -> URL {
        let dir = try folder(name)
        for i in 0..<files { try writeNPY(dir.appendingPathComponent("good\(i).npy"), rows: 5, columns: 8, seed: seed + i) }
        return dir
    }

    /// The failures listed for generated set `index` (the JSON's `sets` are the generated ones).
    func failures(_ run: FADRun, set index: Int = 0) throws -> [String] {
        let sets = try XCTUnwrap(try run.json()["sets"] as? [[String: Any]])
        guard index < sets.count else { XCTFail("no set \(index) in \(run.stdout)"); return [] }
        let list = try XCTUnwrap((sets[index]["set"] as? [String: Any])?["failures"] as? [[String: Any]])
        return list.compactMap { $0["path"] as? String }
    }

    // MARK: - Embedding sets

    func testBrokenArraysAreSkippedByNameAndTheRestScored() throws {
        let reference = try goodSet("ref")
        let generated = try goodSet("gen", seed: 100)
        let bad: [(String, [UInt8])] = [
            ("overflow.npy", npyHeader("(3, 3074457345618258603)") + [UInt8](repeating: 0, count: 16)),
            ("huge_rows.npy", npyHeader("(4611686018427387905, 4)") + [UInt8](repeating: 0, count: 16)),
            ("claims_4tib.npy", npyHeader("(1099511627776, 1)") + [UInt8](repeating: 0, count: 16)),
            ("zero_columns.npy", npyHeader("(5, 0)")),
            ("truncated.npy", npyHeader("(5, 8)") + [UInt8](repeating: 0, count: 30)),
            ("negative.npy", npyHeader("(-1, 8)")),
            ("text.npy", Array("not an array".utf8)),
        ]
        for (name, bytes) in bad { try Data(bytes).write(to: generated.appendingPathComponent(name)) }
        try writeNPY(generated.appendingPathComponent("nan.npy"), rows: 5, columns: 8, poison: .nan)
        try writeNPY(generated.appendingPathComponent("inf.npy"), rows: 5, columns: 8, poison: .infinity)
        try mkfifo(generated.appendingPathComponent("fifo.npy"))
        // A symlink to a good file is followed (and scored); a dangling one is reported.
        let outside = try folder("outside")
        try writeNPY(outside.appendingPathComponent("linked.npy"), rows: 5, columns: 8, seed: 50)
        try FileManager.default.createSymbolicLink(at: generated.appendingPathComponent("linked.npy"),
                                                   withDestinationURL: outside.appendingPathComponent("linked.npy"))
        try FileManager.default.createSymbolicLink(atPath: generated.appendingPathComponent("dangling.npy").path,
                                                   withDestinationPath: "/nonexistent/x.npy")
        // A symlink loop of folders ends.
        try FileManager.default.createSymbolicLink(at: generated.appendingPathComponent("loop"), withDestinationURL: generated)

        let run = try fad([reference.path, generated.path, "--metrics", "fad", "--json"], status: 0)
        let failed = try failures(run)
        let expectedBad = bad.map(\.0) + ["nan.npy", "inf.npy", "fifo.npy", "dangling.npy"]
        for name in expectedBad {
            XCTAssertTrue(failed.contains { $0.hasSuffix("/" + name) }, "\(name) not among the failures \(failed)")
            XCTAssertTrue(run.stderr.contains(name), "stderr does not name \(name)")
        }
        XCTAssertEqual(failed.count, expectedBad.count, "\(failed)")
        let sets = try XCTUnwrap(try run.json()["sets"] as? [[String: Any]])
        XCTAssertEqual((sets[0]["set"] as? [String: Any])?["files"] as? Int, 5, "four good files and the symlinked one")
        XCTAssertNotNil((sets[0]["fad"] as? [String: Any])?["value"] as? Double)
        XCTAssertTrue(run.stderr.contains("FIFO"), run.stderr)
    }

    func testZeroColumnArrayIsRefusedBeforeBLASPrintsAnything() throws {
        let reference = try goodSet("ref")
        let generated = try folder("gen")
        try Data(npyHeader("(5, 0)")).write(to: generated.appendingPathComponent("empty.npy"))
        let run = try fad([reference.path, generated.path, "--metrics", "fad", "--json"], status: 65, naming: ["empty.npy"])
        XCTAssertEqual(run.stdout, "", "only results go to stdout")
    }

    func testPathListNamingDevicesAndFIFOsDoesNotHang() throws {
        let reference = try goodSet("ref")
        let generated = try goodSet("gen", files: 2, seed: 100)
        try mkfifo(work.appendingPathComponent("pipe.npy"))
        try FileManager.default.createSymbolicLink(atPath: work.appendingPathComponent("zero.npy").path, withDestinationPath: "/dev/zero")
        let list = work.appendingPathComponent("list.txt")
        try """
            \(generated.path)/good0.npy
            \(generated.path)/good1.npy
            \(work.path)/zero.npy
            \(work.path)/pipe.npy
            """.write(to: list, atomically: true, encoding: .utf8)
        let run = try fad([reference.path, list.path, "--metrics", "fad", "--json"], status: 0, naming: ["zero.npy", "pipe.npy"])
        XCTAssertEqual(try failures(run).count, 2)

        // The same for audio lists: their files are hashed for the cache first, and with
        // --no-cache, where nothing is hashed, the decoder refuses them before reading.
        let audioList = work.appendingPathComponent("audio.txt")
        try mkfifo(work.appendingPathComponent("pipe.wav"))
        try "/dev/zero\n\(work.path)/pipe.wav\n".write(to: audioList, atomically: true, encoding: .utf8)
        try fad([reference.path, audioList.path, "--metrics", "fad", "--no-cache"], status: 65, naming: ["/dev/zero", "pipe.wav"])
        try fad([reference.path, audioList.path, "--metrics", "fad", "--no-cache", "--strict"], status: 66, naming: ["/dev/zero"])
    }

    func testSpecialFilesGivenAsInputsAreRefused() throws {
        let reference = try goodSet("ref")
        let fifo = work.appendingPathComponent("list-fifo")
        try mkfifo(fifo)
        try fad([reference.path, fifo.path], status: 66, naming: [fifo.path, "FIFO"])
        try fad([reference.path, "/dev/zero"], status: 66, naming: ["/dev/zero", "character device"])
        try fad(["stats", "save", "/dev/zero", "-o", work.appendingPathComponent("x.fadstats").path], status: 66, naming: ["/dev/zero"])
    }

    // MARK: - Statistics files

    /// A valid `.fadstats` of dimension 3, written by fad itself.
    func savedStatistics() throws -> URL {
        let set = try goodSet("stats-set")
        let url = work.appendingPathComponent("good.fadstats")
        try fad(["stats", "save", set.path, "-o", url.path], status: 0)
        return url
    }

    /// FNV-1a 64, as `.fadstats` checksums its payload.
    func fnv1a(_ bytes: some Collection<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Rewrites a statistics file with its payload and header changed, checksum recomputed.
    func forge(_ source: URL, to target: URL, payload change: (inout [Double], Int) -> Void = { _, _ in },
               header edit: (inout [String: Any]) -> Void = { _ in }) throws {
        let bytes = [UInt8](try Data(contentsOf: source))
        let length = Int(bytes[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + length)])) as? [String: Any])
        let d = try XCTUnwrap(header["dimension"] as? Int)
        var values = stride(from: 16 + length, to: bytes.count, by: 8).map { i in
            Double(bitPattern: bytes[i..<(i + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        }
        change(&values, d)
        var payload: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload += $0 } }
        header["checksum"] = fnv1a(payload)
        edit(&header)
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Array("FADSTATS".utf8)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        try Data(out + [UInt8](json) + payload).write(to: target)
    }

    func testCorruptStatisticsAreUnreadableInputs() throws {
        let good = try savedStatistics()
        let generated = try goodSet("gen", seed: 100)
        try fad([good.path, generated.path, "--metrics", "fad"], status: 0)

        let garbage = work.appendingPathComponent("garbage-lower.fadstats")
        try forge(good, to: garbage, payload: { values, d in
            for i in 0..<d { for j in 0..<i { values[d + i * d + j] = 1e6 + Double(i * d + j) } }
        })
        try fad([garbage.path, generated.path, "--metrics", "fad"], status: 66, naming: [garbage.path, "symmetric"])

        let huge = work.appendingPathComponent("huge-count.fadstats")
        try forge(good, to: huge, header: { $0["count"] = Int.max })
        try fad([huge.path, generated.path, "--metrics", "fad"], status: 66, naming: [huge.path])
        try fad(["stats", "merge", huge.path, huge.path, "-o", work.appendingPathComponent("m.fadstats").path],
                status: 66, naming: [huge.path])

        let truncated = work.appendingPathComponent("truncated.fadstats")
        try Data(try Data(contentsOf: good).dropLast(5)).write(to: truncated)
        try fad([truncated.path, generated.path, "--metrics", "fad"], status: 66, naming: [truncated.path])
    }

    // MARK: - Write failures

    func testEveryWriteFailureExits74() throws {
        let set = try goodSet("set")
        // Missing parent folders are created (array jobs write into fresh folders), so the
        // unwritable place is under a regular file: not even root can create a folder there.
        let blocker = work.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: blocker)
        let badStats = blocker.appendingPathComponent("dir/x.fadstats").path
        let badFolder = blocker.appendingPathComponent("dir").path
        try fad(["stats", "save", set.path, "-o", badStats], status: 74, naming: [badFolder, "\(blocker.path) is not a folder"])
        let good = try savedStatistics()
        let badMerge = blocker.appendingPathComponent("dir/m.fadstats").path
        try fad(["stats", "merge", good.path, good.path, "-o", badMerge], status: 74, naming: [badFolder])
        let audio = Fixtures.repositoryRoot.appendingPathComponent("Examples/reference")
        let clip = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: audio.path).sorted().first)
        try fad(["embed", audio.appendingPathComponent(clip).path, "-o", "/dev/null/out", "--no-cache"], status: 74,
                naming: ["/dev/null/out", "/dev/null is not a folder"])
        try fad(["embed", audio.appendingPathComponent(clip).path, "-o", work.path, "--cache-dir", "/dev/null/cache"], status: 74,
                naming: ["/dev/null/cache"])
    }

    // MARK: - Checkpoints

    /// Every crafted checkpoint is refused by `fad models import` with 66, naming the file, and
    /// nothing is installed.
    func testHostileCheckpointsInstallNothing() throws {
        let models = work.appendingPathComponent("models")
        var files = try FileManager.default.contentsOfDirectory(atPath: hostile.path).filter { $0.hasSuffix(".pth") }.sorted()
        XCTAssertGreaterThan(files.count, 10)
        // Built here rather than committed: a pickle nested 100,000 deep, a dict of 300,000 keys.
        let deep = work.appendingPathComponent("deep.pth")
        try Data(legacyPrefix + [0x80, 0x02, 0x5D] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]).write(to: deep)
        var wide: [UInt8] = legacyPrefix + [0x80, 0x02, 0x7D, 0x28]
        for i in 0..<300_000 {
            let key = Array("k\(i)".utf8)
            wide += [0x8C, UInt8(key.count)] + key + [0x4E]
        }
        wide += [0x75, 0x2E]
        let dict = work.appendingPathComponent("wide.pth")
        try Data(wide).write(to: dict)
        files += [deep.path, dict.path]
        for name in files {
            let path = name.hasPrefix("/") ? name : hostile.appendingPathComponent(name).path
            let started = Date()
            try fad(["models", "import", "vggish", path], status: 66, naming: [path])
            XCTAssertLessThan(Date().timeIntervalSince(started), deadline, name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: models.appendingPathComponent("vggish.safetensors").path),
                           "\(name) installed a model")
        }
        try mkfifo(work.appendingPathComponent("fifo.pth"))
        try fad(["models", "import", "vggish", work.appendingPathComponent("fifo.pth").path], status: 66, naming: ["FIFO"])
    }

    /// The three first pickles of the legacy format (magic number, protocol 1001, system info).
    var legacyPrefix: [UInt8] {
        let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        let version: [UInt8] = [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
        let info: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]
        return magic + version + info
    }

    // MARK: - Audio

    /// A float32 WAV of `frames` frames of `channels` channels, each sample from `value`.
    func writeFloatWAV(_ url: URL, frames: Int, channels: Int, rate: Int = 16_000, value: (Int) -> Float) throws {
        var bytes: [UInt8] = []
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { bytes += $0 } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { bytes += $0 } }
        let dataBytes = frames * channels * 4
        bytes += Array("RIFF".utf8); u32(36 + dataBytes); bytes += Array("WAVEfmt ".utf8)
        u32(16); u16(3); u16(channels); u32(rate); u32(rate * channels * 4); u16(channels * 4); u16(32)
        bytes += Array("data".utf8); u32(dataBytes)
        bytes.reserveCapacity(bytes.count + dataBytes)
        for i in 0..<frames {
            let v = value(i)
            for _ in 0..<channels { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        }
        try Data(bytes).write(to: url)
    }

    func testBadAudioIsBlamedOnItsFileAndTheSetStillScored() throws {
        let examples = Fixtures.repositoryRoot.appendingPathComponent("Examples")
        let reference = try folder("ref"), generated = try folder("gen")
        for (set, target) in [("reference", reference), ("generated-close", generated)] {
            let source = examples.appendingPathComponent(set)
            for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted().prefix(3) {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: target.appendingPathComponent(file))
            }
        }
        let seconds = 4, rate = 16_000
        let tone: (Int) -> Float = { Float(0.3 * sin(Double($0) * 0.05)) }
        // Finite samples that overflow when mixed down and in the front end.
        try writeFloatWAV(generated.appendingPathComponent("overflow.wav"), frames: seconds * rate, channels: 2) { _ in 3e38 }
        try writeFloatWAV(generated.appendingPathComponent("nan.wav"), frames: seconds * rate, channels: 1) { $0 == 100 ? .nan : tone($0) }
        // 1,024 channels: valid, scored, in bounded memory (at 2 kHz, to keep the file at 26 MB).
        try writeFloatWAV(generated.appendingPathComponent("many-channels.wav"), frames: 6_400, channels: 1024, rate: 2_000, value: tone)
        try mkfifo(generated.appendingPathComponent("fifo.wav"))
        let run = try fad([reference.path, generated.path, "--metrics", "fad", "--json", "--cache-dir", cache.path, "--threads", "2"],
                          status: 0, naming: ["overflow.wav", "nan.wav", "fifo.wav"])
        let failed = try failures(run)
        XCTAssertEqual(Set(failed.map { ($0 as NSString).lastPathComponent }), ["overflow.wav", "nan.wav", "fifo.wav"])
        let sets = try XCTUnwrap(try run.json()["sets"] as? [[String: Any]])
        XCTAssertEqual((sets[0]["set"] as? [String: Any])?["files"] as? Int, 4, "three example files and the 1,024-channel one")
        XCTAssertNotNil((sets[0]["fad"] as? [String: Any])?["value"] as? Double)
        // Nothing non-finite was cached: a second run blames the same files again.
        let again = try fad([reference.path, generated.path, "--metrics", "fad", "--json", "--cache-dir", cache.path], status: 0)
        XCTAssertEqual(try failures(again).count, 3)
    }

    func testPoisonedCacheEntriesAreMisses() throws {
        let examples = Fixtures.repositoryRoot.appendingPathComponent("Examples")
        let set = try folder("set")
        let source = examples.appendingPathComponent("reference")
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted().prefix(2) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: set.appendingPathComponent(file))
        }
        let first = try fad(["stats", "save", set.path, "-o", work.appendingPathComponent("a.fadstats").path, "--cache-dir", cache.path], status: 0)
        _ = first
        // Poison every entry: overflowing shapes, a FIFO, NaN, a symlink to /dev/zero.
        let entries = FileManager.default.enumerator(atPath: cache.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".npy") }
        XCTAssertFalse(entries.isEmpty)
        for (i, entry) in entries.enumerated() {
            let url = cache.appendingPathComponent(entry)
            try FileManager.default.removeItem(at: url)
            switch i % 4 {
            case 0: try Data(npyHeader("(3, 3074457345618258603)") + [UInt8](repeating: 0, count: 64)).write(to: url)
            case 1: try mkfifo(url)
            case 2: try writeNPY(url, rows: 2, columns: 50, poison: .nan)
            default: try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: "/dev/zero")
            }
        }
        try fad(["stats", "save", set.path, "-o", work.appendingPathComponent("b.fadstats").path, "--cache-dir", cache.path], status: 0)
        XCTAssertEqual(try Data(contentsOf: work.appendingPathComponent("a.fadstats")),
                       try Data(contentsOf: work.appendingPathComponent("b.fadstats")), "recomputed, same statistics")
    }
}
