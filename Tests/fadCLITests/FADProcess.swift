import Foundation
import XCTest

/// Runs the built `fad` executable and captures what it prints.
struct FADRun {
    var status: Int32
    var stdout: String
    var stderr: String

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
    static func run(_ arguments: [String], environment extra: [String: String] = [:], executable: URL? = nil,
                    workingDirectory: URL? = nil) throws -> FADRun {
        let process = Process()
        process.executableURL = executable ?? productsDirectory.appendingPathComponent("fad")
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let environment = Self.environment(extra)
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
