import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import _FADTestSupport

/// A `fad` binary copied alone anywhere runs the default models (their weights travel inside it),
/// and fad's default folders follow $HOME and the XDG variables, never the real home.
///
/// The binary under test is `$FAD_TEST_BINARY` when set (the release build or an installed fad:
/// `FAD_TEST_BINARY=$PREFIX/bin/fad swift test --filter fadCLITests.InstallTests`), else the fad
/// built beside these tests.
final class InstallTests: XCTestCase {
    let repository = Fixtures.repositoryRoot.standardizedFileURL
    var work: URL!

    override func setUpWithError() throws {
        work = try Fixtures.temporaryDirectory("fad-install")
        XCTAssertFalse(work.standardizedFileURL.path.hasPrefix(repository.path + "/"), "the temporary folder must be outside the checkout")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    var binaryUnderTest: URL {
        if let path = ProcessInfo.processInfo.environment["FAD_TEST_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return FAD.productsDirectory.appendingPathComponent("fad")
    }

    /// Copies `count` files of an example set out of the checkout.
    func copyExamples(_ name: String, count: Int) throws -> URL {
        let source = repository.appendingPathComponent("Examples/\(name)")
        let target = work.appendingPathComponent("audio/\(name)")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted().prefix(count) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: target.appendingPathComponent(file))
        }
        return target
    }

    /// How to run a command with the whole checkout hidden (an empty tmpfs mounted over it in a
    /// private mount namespace), or nil where this machine does not allow it.
    func hidingCheckout() -> [String]? {
        for prefix in [["unshare", "--mount", "--propagation", "private"], ["unshare", "--user", "--map-root-user", "--mount"]] {
            let wrapper = prefix + ["--", "/bin/sh", "-c", "mount -t tmpfs tmpfs \"$0\" && exec \"$@\"", repository.path]
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            probe.arguments = wrapper + ["/bin/sh", "-c", "test ! -e \"$0/Package.swift\"", repository.path]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return wrapper }
        }
        return nil
    }

    func testCopiedBinaryRunsTheDefaultModelsWithTheCheckoutHidden() throws {
        // The binary alone in an empty folder; the audio outside the checkout; another working folder.
        let bin = work.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fad = bin.appendingPathComponent("fad")
        try FileManager.default.copyItem(at: binaryUnderTest, to: fad)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: bin.path), ["fad"])
        let elsewhere = work.appendingPathComponent("elsewhere")
        let home = work.appendingPathComponent("home")
        for dir in [elsewhere, home] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        let ref = try copyExamples("reference", count: 2)
        let gen = try copyExamples("generated-close", count: 2)
        let song = ref.appendingPathComponent("battle.ogg").path
        let commands = [[ref.path, gen.path, "--json", "--no-cache", "--quiet"],
                        ["classify", song, "--json", "--no-cache", "--quiet"]]

        // Nothing in the binary points into the checkout's model folder.
        let bytes = try Data(contentsOf: fad, options: .alwaysMapped)
        XCTAssertNil(bytes.range(of: Data((repository.path + "/Models").utf8)), "the binary embeds a path to the checkout's Models/")

        // In the tree: the same binary reading the weights from the checkout's Models/ files.
        let inTree = try commands.map { arguments in
            let run = try FAD.run(arguments, environment: ["FAD_MODEL_DIR": repository.appendingPathComponent("Models").path],
                                  executable: binaryUnderTest, workingDirectory: repository)
            XCTAssertEqual(run.status, 0, run.stderr)
            return run.stdout
        }
        let listInTree = try FAD.run(["models", "list"], environment: ["FAD_MODEL_DIR": repository.appendingPathComponent("Models").path])
        XCTAssertTrue(listInTree.stdout.contains("msd-musicnn      installed  \(repository.path)/Models/musicnn/MSD_musicnn.safetensors"), listInTree.stdout)

        // Relocated, with an empty home and, where the machine allows, the checkout hidden.
        let hide = hidingCheckout()
        if hide == nil { print("InstallTests: cannot hide the checkout here (no mount namespace); running without hiding it") }
        func relocated(_ arguments: [String]) throws -> FADRun {
            guard let hide else { return try FAD.run(arguments, environment: ["HOME": home.path], executable: fad, workingDirectory: elsewhere) }
            return try FAD.run(hide + [fad.path] + arguments, environment: ["HOME": home.path],
                               executable: URL(fileURLWithPath: "/usr/bin/env"), workingDirectory: elsewhere)
        }
        for (arguments, expected) in zip(commands, inTree) {
            let run = try relocated(arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            // Same bits: the embedded weights are the files, and the output names no model path.
            XCTAssertEqual(run.stdout, expected)
        }
        let score = try FADRun(status: 0, stdout: inTree[0], stderr: "").json()
        let value = try XCTUnwrap(((score["sets"] as? [[String: Any]])?.first?["fad"] as? [String: Any])?["value"] as? Double)
        XCTAssertTrue(value.isFinite && value > 0, "\(value)")
        let list = try relocated(["models", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("msd-musicnn      embedded   in this fad binary"), list.stdout)
        XCTAssertTrue(list.stdout.contains("vggish           not installed"), list.stdout)
        if let hide {
            // The hiding works: the checkout's files are not there for the command.
            let probe = try FAD.run(hide + ["/bin/ls", repository.appendingPathComponent("Models").path],
                                    executable: URL(fileURLWithPath: "/usr/bin/env"))
            XCTAssertNotEqual(probe.status, 0, probe.stdout)
        }
    }

    /// The passwd entry's home, whatever $HOME says (what fad used to write under).
    var accountHome: URL? {
        guard let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir else { return nil }
        return URL(fileURLWithPath: String(cString: dir))
    }

    /// Every file under fad's folders in `home`, with size and modification time.
    func snapshot(_ home: URL) -> [String: String] {
        var files: [String: String] = [:]
        for relative in [".cache/fad", ".local/share/fad"] {
            let root = home.appendingPathComponent(relative)
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            for case let path as String in walker {
                let attributes = try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(path).path)
                files["\(relative)/\(path)"] = "\(attributes?[.size] ?? "-") \(attributes?[.modificationDate] ?? "-")"
            }
        }
        return files
    }

    func testDefaultFoldersFollowHomeAndXDGAndNeverTheRealHome() throws {
        let realHome = try XCTUnwrap(accountHome)
        let before = snapshot(realHome)
        // classify of one file: the quickest run that fills the default cache.
        let song = try copyExamples("reference", count: 1).appendingPathComponent("battle.ogg").path
        func entries(_ dir: URL) -> Int {
            (FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".npy") }.count
        }

        // $HOME: the cache goes to $HOME/.cache/fad.
        let home = work.appendingPathComponent("home")
        let run = try FAD.run(["classify", song, "--quiet"], environment: ["HOME": home.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertGreaterThan(entries(home.appendingPathComponent(".cache/fad")), 0)

        // $XDG_CACHE_HOME and $XDG_DATA_HOME win over $HOME.
        let xdgCache = work.appendingPathComponent("xdg-cache"), xdgData = work.appendingPathComponent("xdg-data")
        let xdg = ["HOME": home.path, "XDG_CACHE_HOME": xdgCache.path, "XDG_DATA_HOME": xdgData.path]
        XCTAssertEqual(try FAD.run(["classify", song, "--quiet"], environment: xdg).status, 0)
        XCTAssertGreaterThan(entries(xdgCache.appendingPathComponent("fad")), 0)
        // A model in $XDG_DATA_HOME/fad/models is found there (and shadows the embedded copy).
        let userModels = xdgData.appendingPathComponent("fad/models/musicnn")
        try FileManager.default.createDirectory(at: userModels, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Models/musicnn/MTT_vgg.safetensors"),
                                         to: userModels.appendingPathComponent("MTT_vgg.safetensors"))
        let list = try FAD.run(["models", "list"], environment: xdg)
        XCTAssertTrue(list.stdout.contains("mtt-vgg          installed  \(userModels.path)/MTT_vgg.safetensors"), list.stdout)
        XCTAssertTrue(list.stdout.contains("msd-musicnn      embedded"), list.stdout)
        // An import that fails writes nothing; the error names the import folder's file.
        let bogus = work.appendingPathComponent("vggish.pth")
        try Data("not a checkpoint".utf8).write(to: bogus)
        XCTAssertNotEqual(try FAD.run(["models", "import", "vggish", bogus.path], environment: xdg).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: xdgData.appendingPathComponent("fad/models/vggish.safetensors").path))

        // The suite's default: every fad the tests run gets the sandbox home.
        XCTAssertEqual(FAD.environment()["HOME"], FAD.sandboxHome.path)
        XCTAssertNotEqual(FAD.sandboxHome.standardizedFileURL, realHome.standardizedFileURL)
        XCTAssertEqual(try FAD.run(["classify", song, "--quiet"]).status, 0)
        XCTAssertGreaterThan(entries(FAD.sandboxHome.appendingPathComponent(".cache/fad")), 0)

        XCTAssertEqual(snapshot(realHome), before, "fad wrote under the account's real home \(realHome.path)")
    }
}
