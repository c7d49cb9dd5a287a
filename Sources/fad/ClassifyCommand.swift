import ArgumentParser
import FAD
import Foundation

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each file's tag probabilities (mean over its windows), top tags first.")

    @Argument(help: ArgumentHelp("Audio files, folders or path lists.", valueName: "file"))
    var inputs: [String]

    @OptionGroup var model: ModelOptions
    @OptionGroup var runOptions: RunOptions

    @Option(help: ArgumentHelp("Tags shown per file in the text output.", valueName: "k"))
    var top: Int = 5

    @Flag(help: "JSON: {model, labels, files: [{path, probabilities}]}, probabilities in label order.")
    var json = false

    struct Output: Codable {
        var model: String
        var labels: [String]
        var files: [FileOutput]
        var failures: [FailureInfo]
    }
    struct FileOutput: Codable {
        var path: String
        var probabilities: [Float]
    }

    func run() throws {
        do {
            let session = try EvaluationSession(inputs: inputs, options: EvaluationOptions(model, runOptions), extraLayers: [ClassifierLayers.probabilitiesLayer])
            guard let extractor = session.extractor else {
                throw FADError(.usage, "`fad classify` takes audio inputs")
            }
            let labels = extractor.model.descriptor.labels
            guard !labels.isEmpty else {
                throw FADError(.usage, "model \(model.modelName) has no classifier outputs")
            }
            var files: [FileOutput] = []
            let skipped = try session.forEachEmbeddedFile(of: inputs, command: "classify", strict: runOptions.strict) { embedded in
                let windows = embedded.layers[ClassifierLayers.probabilitiesLayer]!
                files.append(FileOutput(path: embedded.file.url.path, probabilities: ClassifierLayers.clipProbabilities(windows)))
            }
            let failures = skipped.map { FailureInfo(path: $0.path, reason: $0.reason) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let data = try encoder.encode(Output(model: extractor.model.descriptor.name, labels: labels, files: files, failures: failures))
                try emit(String(decoding: data, as: UTF8.self) + "\n", to: nil)
            } else {
                var text = ""
                for file in files {
                    let ranked = zip(labels, file.probabilities).sorted { $0.1 > $1.1 }.prefix(top)
                    text += file.path + "\n" + ranked.map { String(format: "  %6.3f  %@", $0.1, $0.0) }.joined(separator: "\n") + "\n"
                }
                try emit(text, to: nil)
            }
            if files.isEmpty { throw FADError(.data, "no file could be classified") }
        } catch { exitForError(error) }
    }
}
