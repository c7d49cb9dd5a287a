import ArgumentParser
import FAD
import Foundation

/// Exit codes, documented in the README (sysexits-style where one fits).
enum FADExitCode {
    /// Bad options or arguments, unknown model or layer.
    static let usage: Int32 = 64
    /// The data cannot give an answer: empty set, too few frames, mismatched dimensions,
    /// statistics from another model.
    static let data: Int32 = 65
    /// An input is missing or unreadable (with `--strict`: any unreadable file).
    static let input: Int32 = 66
    /// A model's weights are not installed.
    static let unavailable: Int32 = 69
    /// Output or cache could not be written.
    static let io: Int32 = 74
}

/// Prints `error` as one line on stderr and exits with the code its kind calls for.
func exitForError(_ error: Error) -> Never {
    let code: Int32
    switch error {
    case let e as PipelineError:
        switch e {
        case .inputMissing, .inputUnreadable: code = FADExitCode.input
        case .cacheUnwritable: code = FADExitCode.io
        case .invalidShard, .emptyShard: code = FADExitCode.usage
        default: code = FADExitCode.data
        }
    case is FileFailure: code = FADExitCode.input
    case let e as ModelError:
        switch e.kind {
        case .unknownModel, .unknownLayer: code = FADExitCode.usage
        case .invalidInput: code = FADExitCode.data
        default: code = FADExitCode.unavailable
        }
    case is CommandError: code = (error as! CommandError).exitCode
    default: code = FADExitCode.data
    }
    let text = (error as? MetricsError)?.message ?? String(describing: error)
    FileHandle.standardError.write(Data("fad: error: \(text)\n".utf8))
    exit(code)
}

/// Errors raised by the commands themselves.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32 = FADExitCode.data
}

/// Writes `text` to `path` atomically, or to stdout when `path` is nil or "-".
func emit(_ text: String, to path: String?) throws {
    guard let path, path != "-" else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw CommandError(description: "\(path): cannot write (\(error.localizedDescription))", exitCode: FADExitCode.io)
    }
}

extension MetricsError {
    /// The reason alone, without the "<metrics>: " subject that metrics over whole sets carry.
    var message: String {
        let text = description
        return text.hasPrefix("<metrics>: ") ? String(text.dropFirst("<metrics>: ".count)) : text
    }
}
