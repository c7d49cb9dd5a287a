import Foundation

/// The text format of path lists (`fad` inputs that name files one per line): UTF-8 text, one
/// path per line, blank lines and lines starting with `#` ignored, spaces around a path trimmed.
public enum PathList {
    /// The paths of a list, in order, or nil when `data` is not text (invalid UTF-8, or a NUL
    /// byte, which no path can hold).
    public static func parse(_ data: Data) -> [String]? {
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) else { return nil }
        var paths: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            paths.append(line)
        }
        return paths
    }
}
