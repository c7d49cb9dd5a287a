import ArgumentParser
import FAD
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write each audio file's embeddings as a float32 .npy [windows, dim].",
        discussion: "Output files mirror the inputs' relative paths under the output folder, with .npy in place of the audio extension.")

    @Argument(help: ArgumentHelp("Audio files, folders or path lists.", valueName: "input"))
    var inputs: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder.", valueName: "dir"))
    var output: String

    @OptionGroup var model: ModelOptions
    @OptionGroup var runOptions: RunOptions

    func run() throws {
        do {
            let session = try Session(inputs: inputs, model, runOptions)
            let out = URL(fileURLWithPath: output)
            var written = 0
            let skipped = try session.forEachEmbeddedFile(of: inputs, command: "embed", strict: runOptions.strict) { embedded in
                let url = out.appendingPathComponent(embedded.file.key + ".npy")
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try NPYArray(embedded.layers[session.layer]!).write(to: url)
                written += 1
            }
            if !runOptions.quiet {
                FileHandle.standardError.write(Data("fad: wrote \(written) file(s) to \(output) (\(session.metadata.model), layer \(session.layer))\(skipped.isEmpty ? "" : "; \(skipped.count) skipped")\n".utf8))
            }
            if written == 0 { throw CommandError(description: "no file could be embedded") }
        } catch { exitForError(error) }
    }
}
