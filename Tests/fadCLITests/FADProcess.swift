import Foundation
import XCTest

/// Runs the built `fad` executable and captures what it prints.
struct FADRun {
    var status: Int32
    var stdout: String
    var stderr: String
    /// False when the process was killed by a signal (then `status` is the signal number).
    var exitedNormally = true
    /// True when the run was stopped for taking longer than its timeout.
    var timedOut = false

    /// The JSON stdout, decoded loosely.
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], "stdout is not a JSON object: \(stdout)", file: file, line: line)
    }
}

enum FAD {
    /// The folder holding the built products (the test bundle sits beside them).
    static var productsDirectory: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        fatalError("cannot find the products directory")
        #else
        return Bundle.main.bundleURL
        #endif
    }

    /// The `fad` under test: `$FAD_BINARY` (e.g. a release build, see
    /// Tests/scripts/hostile_release.sh), else the one built beside the tests.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["FAD_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return productsDirectory.appendingPathComponent("fad")
    }

    /// A home folder for every `fad` the tests run, so that its default model and cache folders
    /// (`$HOME/.local/share/fad`, `$HOME/.cache/fad`) are never the real ones.
    static let sandboxHome: URL = {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("fad-tests-home-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return home
    }()

    /// The variables that choose where fad reads and writes between runs.
    static let locationVariables = ["HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "FAD_MODEL_DIR", "FAD_CACHE_DIR"]

    /// The test process's environment with HOME set to ``sandboxHome`` and the other location
    /// variables removed, then `extra` applied.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in locationVariables { environment[name] = nil }
        environment["HOME"] = sandboxHome.path
        for (k, v) in extra { environment[k] = v }
        return environment
    }

    /// Runs `fad` (or `executable`) with `arguments` in the sandboxed ``environment(_:)``.
    /// A run longer than `timeout` seconds is killed and reported with `timedOut`.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], executable: URL? = nil,
                    workingDirectory: URL? = nil, timeout: TimeInterval? = nil) throws -> FADRun {
        let process = Process()
        process.executableURL = executable ?? Self.executable
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.environment = Self.environment(extra)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // The pipes are drained on other threads, so a full pipe cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }  // written once, read after the group's wait
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            DispatchQueue.global().async(group: group) { box.data = pipe.fileHandleForReading.readDataToEndOfFile() }
        }
        var timedOut = false
        let started = DispatchTime.now()
        // Foundation's Process learns of the exit from SIGCHLD; under load it has been seen to
        // miss it (a zombie child and a test waiting forever), so every second the child is
        // also polled with waitpid, and reaped here if Foundation has not.
        var reapedStatus: Int32?
        while exited.wait(timeout: .now() + 1) == .timedOut {
            var status: Int32 = 0
            if waitpid(process.processIdentifier, &status, WNOHANG) == process.processIdentifier {
                reapedStatus = status
                break
            }
            if let timeout, DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds > UInt64(timeout * 1e9) {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
            }
        }
        group.wait()
        let status: Int32, normal: Bool
        if let reapedStatus {
            // wait(2)'s encoding: low 7 bits the signal (0 for a normal exit), next byte the code.
            normal = reapedStatus & 0x7f == 0
            status = normal ? (reapedStatus >> 8) & 0xff : reapedStatus & 0x7f
        } else {
            status = process.terminationStatus
            normal = process.terminationReason == .exit
        }
        return FADRun(status: status, stdout: String(decoding: outBox.data, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self),
                      exitedNormally: normal, timedOut: timedOut)
    }
}
