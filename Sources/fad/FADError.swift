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
    let code = exitCode(for: error)
    FileHandle.standardError.write(Data("fad: error: \(message(for: error))\n".utf8))
    exit(code)
}

/// One line, "PATH: reason" where there is a path (Foundation's file errors describe themselves
/// as dictionaries).
func message(for error: Error) -> String {
    if let e = error as? MetricsError { return e.message }
    if let e = error as? CocoaError {
        let path = (e.userInfo[NSFilePathErrorKey] as? String) ?? e.url?.path ?? "<file>"
        var reason = e.localizedDescription
        if let underlying = e.userInfo[NSUnderlyingErrorKey] as? any Error {
            let ns = underlying as NSError
            if ns.domain == NSPOSIXErrorDomain { reason = String(cString: strerror(Int32(ns.code))) }
        }
        return "\(path): \((512..<1024).contains(e.code.rawValue) ? "cannot write" : "cannot read") (\(reason))"
    }
    return String(describing: error)
}

/// The documented exit code of an error: 74 for every failure to write, 66 for an input that
/// cannot be read or is corrupt, 69 for missing weights, 64 for usage, 65 for the rest.
func exitCode(for error: Error) -> Int32 {
    switch error {
    case let e as PipelineError:
        switch e {
        case .inputMissing, .inputUnreadable: return FADExitCode.input
        case .cacheUnwritable: return FADExitCode.io
        case .invalidShard, .emptyShard: return FADExitCode.usage
        default: return FADExitCode.data
        }
    case is FileFailure: return FADExitCode.input
    case let e as ModelError:
        switch e.kind {
        case .unknownModel, .unknownLayer: return FADExitCode.usage
        case .invalidInput: return FADExitCode.data
        case .invalidCheckpoint: return FADExitCode.input
        case .writeFailed: return FADExitCode.io
        case .weightsNotFound, .invalidWeights: return FADExitCode.unavailable
        }
    case let e as StatisticsError:
        switch e.kind {
        case .unreadable: return FADExitCode.input
        case .writeFailed: return FADExitCode.io
        case .invalid: return FADExitCode.data
        }
    case let e as NPYError: return e.isWriteFailure ? FADExitCode.io : FADExitCode.input
    case let e as NNError: return e.kind == .writeFailed ? FADExitCode.io : FADExitCode.unavailable
    case is RegularFile.Failure: return FADExitCode.input
    case let e as CommandError: return e.exitCode
    case let e as CocoaError:
        // Foundation's file errors: 256..<512 reading, 512..<1024 writing (NSFileWrite*).
        if (512..<1024).contains(e.code.rawValue) { return FADExitCode.io }
        if (256..<512).contains(e.code.rawValue) { return FADExitCode.input }
        return FADExitCode.data
    default: return FADExitCode.data
    }
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
