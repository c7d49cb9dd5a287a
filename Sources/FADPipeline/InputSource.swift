import FADArrays
import FADAudio
import Foundation

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
///
/// Symlinks are followed, to files and to folders, each folder walked once (so a symlink loop
/// ends); a dangling link or a link loop with an audio or `.npy` name stays in the set and is
/// reported as a bad file, never dropped silently. Only regular files are read: a FIFO or
/// device named on the command line is refused, and one inside a folder or a list is reported
/// as a bad file when its turn comes (see `RegularFile`).
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
        var status = stat()
        guard stat(url.path, &status) == 0 else {
            if errno == ELOOP {
                throw PipelineError.inputUnreadable(path: path, reason: "too many levels of symbolic links (a symlink loop?)")
            }
            throw PipelineError.inputMissing(path: path)
        }
        if status.st_mode & S_IFMT == S_IFDIR { return try resolveDirectory(url, given: path) }
        if let kind = RegularFile.irregularKind(status.st_mode) {
            throw PipelineError.inputUnreadable(path: path, reason: "\(kind), not a regular file: refused")
        }
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
        /// Folders already walked, by device and inode: a symlink back up the tree (or two links
        /// to one folder) is walked once.
        struct FolderID: Hashable { var device: UInt64; var inode: UInt64 }
        var walked: Set<FolderID> = []
        var pending = [root]
        while let folder = pending.popLast() {
            var status = stat()
            guard stat(folder.path, &status) == 0 else { continue }
            guard walked.insert(FolderID(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))).inserted else { continue }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
                throw PipelineError.inputUnreadable(path: folder == root ? path : folder.path, reason: "cannot list the folder")
            }
            for name in names where !name.hasPrefix(".") {
                let url = folder.appendingPathComponent(name)
                let ext = url.pathExtension.lowercased()
                // stat follows symlinks. A dangling or looping link fails it and is kept by its
                // name, so that reading it reports the problem.
                if stat(url.path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
                    pending.append(url)
                } else if AudioFormats.fileExtensions.contains(ext) {
                    audio.append(url)
                } else if ext == "npy" {
                    arrays.append(url)
                }
            }
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

    /// Path lists above this size are refused (a million paths take ~100 MB).
    static let maximumListBytes = 256 << 20

    private static func resolveList(_ list: URL, given path: String) throws -> InputSource {
        let data: Data
        do { data = try RegularFile.read(list, maximumBytes: maximumListBytes) } catch let failure as RegularFile.Failure {
            throw PipelineError.inputUnreadable(path: path, reason: failure.reason)
        }
        guard let lines = PathList.parse(data) else {
            throw PipelineError.inputUnreadable(path: path, reason: "neither audio (by extension), .npy, .\(statisticsFileExtension), nor a text list of paths")
        }
        let folder = list.deletingLastPathComponent()
        let files: [InputFile] = lines.map { line in
            let url = line.hasPrefix("/") ? URL(fileURLWithPath: line) : folder.appendingPathComponent(line)
            return InputFile(url: url.standardizedFileURL, key: (line as NSString).deletingPathExtension)
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
