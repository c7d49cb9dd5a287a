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

    /// Runs `fad` with `arguments`; each test gets its own cache folder unless it passes one.
    /// A run longer than `timeout` seconds is killed and reported with `timedOut`.
    static func run(_ arguments: [String], environment extra: [String: String] = [:],
                    timeout: TimeInterval? = nil) throws -> FADRun {
        if let timeout { return try runWithTimeout(arguments, environment: extra, timeout: timeout) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in extra { environment[k] = v }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so that a full pipe cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return FADRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

extension FAD {
    /// `run` with a deadline: the pipes are drained on other threads while this one waits.
    private static func runWithTimeout(_ arguments: [String], environment extra: [String: String],
                                       timeout: TimeInterval) throws -> FADRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in extra { environment[k] = v }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        final class Box: @unchecked Sendable { var data = Data() }  // written once, read after wait
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            DispatchQueue.global().async(group: group) { box.data = pipe.fileHandleForReading.readDataToEndOfFile() }
        }
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            _ = exited.wait(timeout: .now() + 5)
            if process.isRunning { kill(process.processIdentifier, SIGKILL); exited.wait() }
        }
        group.wait()
        return FADRun(status: process.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self),
                      exitedNormally: process.terminationReason == .exit, timedOut: timedOut)
    }
}
