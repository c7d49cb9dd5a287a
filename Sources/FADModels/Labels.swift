import Foundation

/// Labels file: one tag per line, exactly `count` of them.
func readLabels(_ source: ModelStore.File, count: Int) throws -> [String] {
    guard let text = String(data: try source.contents(), encoding: .utf8) else {
        throw ModelError(path: source.path, kind: .invalidWeights, reason: "the labels file is not UTF-8 text")
    }
    let labels = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    guard labels.count == count else {
        throw ModelError(path: source.path, kind: .invalidWeights, reason: "\(labels.count) labels, expected \(count)")
    }
    return labels
}
