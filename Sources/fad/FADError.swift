import ArgumentParser
import FAD
import Foundation

/// Prints `error` as one line on stderr and exits with the code of its kind
/// (`FADError.Kind.exitCode`, the one place exit codes are decided).
func exitForError(_ error: Error) -> Never {
    let failure = FADError(error)
    FileHandle.standardError.write(Data("fad: error: \(failure.message)\n".utf8))
    exit(failure.kind.exitCode)
}

/// The error kinds under the names the model commands use (`FADExitCode.usage`, ...).
enum FADExitCode {
    static let usage = FADError.Kind.usage
    static let data = FADError.Kind.data
    static let input = FADError.Kind.input
    static let unavailable = FADError.Kind.unavailable
    static let io = FADError.Kind.io
}

/// A command's own error: a ``FADError`` of `exitCode`'s kind.
func CommandError(description: String, exitCode: FADError.Kind = .data) -> FADError {
    FADError(exitCode, description)
}

/// Writes `text` to `path` atomically, or to stdout when `path` is nil or "-".
func emit(_ text: String, to path: String?) throws {
    guard let path, path != "-" else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw FADError(.io, "\(path): cannot write (\(error.localizedDescription))")
    }
}
