import Foundation
import FADAudio

/// What one command-line input names: audio to embed, embeddings already computed, or saved
/// statistics.
///
/// Resolution rules (in order):
/// - a file ending in ``statisticsFileExtension`` is saved statistics;
/// - a file ending in `.npy` is one file's embeddings;
/// - a file with an audio extension is a set of one audio file;
/// - any other file is a text list of paths, one per line (blank lines and `#` comments
///   ignored; relative paths are relative to the list's folder);
/// - a folder is searched recursively (hidden entries skipped); if it holds audio files it is an
///   audio set, otherwise, if it holds `.npy` files, an embedding set (fadtk's cache layout
///   `embeddings/<model>/*.npy` works as is); otherwise it is an error.
public enum InputSource: Sendable, Equatable {
    /// Audio files with their pairing keys (relative path without extension).
    case audio([InputFile])
    /// `.npy` embedding files `[frames, dim]` (float32 or float16) with their keys.
    case embeddings([InputFile])
    /// A statistics file written by `fad stats`.
    case statistics(URL)

    /// The extension of statistics files written by `fad stats`.
    public static let statisticsFileExtension = "fadstats"

    /// Resolves one command-line path.
    public static func resolve(_ path: String) throws -> InputSource {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw PipelineError.inputMissing(path: path)
        }
        if isDirectory.boolValue { return try resolveDirectory(url, given: path) }
        let ext = url.pathExtension.lowercased()
        if ext == statisticsFileExtension { return .statistics(url) }
        if ext == "npy" { return .embeddings([InputFile(url: url, key: url.deletingPathExtension().lastPathComponent)]) }
        if AudioFormats.fileExtensions.contains(ext) {
            return .audio([InputFile(url: url, key: url.deletingPathExtension().lastPathComponent)])
        }
        return try resolveList(url, given: path)
    }

    /// The files of an audio or embedding set (empty for statistics).
    public var files: [InputFile] {
        switch self {
        case .audio(let files), .embeddings(let files): return files
        case .statistics: return []
        }
    }

    private static func resolveDirectory(_ root: URL, given path: String) throws -> InputSource {
        var audio: [URL] = []
        var arrays: [URL] = []
        guard let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey],
            options: [.skipsHiddenFiles]) else {
            throw PipelineError.inputUnreadable(path: path, reason: "cannot list the folder")
        }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let ext = url.pathExtension.lowercased()
            if AudioFormats.fileExtensions.contains(ext) { audio.append(url) } else if ext == "npy" { arrays.append(url) }
        }
        let chosen = audio.isEmpty ? arrays : audio
        guard !chosen.isEmpty else { throw PipelineError.emptySet(path: path) }
        // Sorted by relative path so that results never depend on the file system's order.
        let files: [InputFile] = chosen.map { url in
            let file = url.standardizedFileURL
            return InputFile(url: file, key: relativeKey(file, root: root))
        }.sorted(by: { (a: InputFile, b: InputFile) -> Bool in
            a.key != b.key ? a.key < b.key : a.url.path < b.url.path
        })
        return audio.isEmpty ? .embeddings(files) : .audio(files)
    }

    private static func resolveList(_ list: URL, given path: String) throws -> InputSource {
        guard let data = FileManager.default.contents(atPath: list.path) else {
            throw PipelineError.inputUnreadable(path: path, reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8), !data.contains(0) else {
            throw PipelineError.inputUnreadable(path: path, reason: "neither audio (by extension), .npy, .\(statisticsFileExtension), nor a text list of paths")
        }
        let folder = list.deletingLastPathComponent()
        var files: [InputFile] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let url = line.hasPrefix("/") ? URL(fileURLWithPath: line) : folder.appendingPathComponent(line)
            let key = (line as NSString).deletingPathExtension
            files.append(InputFile(url: url.standardizedFileURL, key: key))
        }
        guard !files.isEmpty else { throw PipelineError.emptySet(path: path) }
        let npy = files.allSatisfy { $0.url.pathExtension.lowercased() == "npy" }
        return npy ? .embeddings(files) : .audio(files)
    }

    private static func relativeKey(_ url: URL, root: URL) -> String {
        let rootPath = root.standardizedFileURL.path
        var path = url.deletingPathExtension().path
        if path.hasPrefix(rootPath + "/") { path.removeFirst(rootPath.count + 1) }
        return path
    }
}

/// One file of a set: where it is and the key that pairs it with a file of another set
/// (its path relative to the set's folder, without extension).
public struct InputFile: Sendable, Hashable {
    public let url: URL
    public let key: String
    public init(url: URL, key: String) { self.url = url; self.key = key }
}
