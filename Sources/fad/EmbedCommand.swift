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
            guard let extractor = session.extractor else {
                throw CommandError(description: "`fad embed` takes audio inputs", exitCode: FADExitCode.usage)
            }
            let out = URL(fileURLWithPath: output)
            var written = 0
            var failed: [FileFailure] = []
            for input in inputs {
                guard case .audio(let files) = session.sources[input] else {
                    throw CommandError(description: "\(input): `fad embed` takes audio inputs", exitCode: FADExitCode.usage)
                }
                var firstError: Error?
                extractor.run(files, progress: ProgressReporter(label: input, total: files.count, quiet: runOptions.quiet)) { _, result in
                    guard firstError == nil else { return }
                    do {
                        let embedded = try result.get()
                        let url = out.appendingPathComponent(embedded.file.key + ".npy")
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try NPYArray(embedded.layers[session.layer]!).write(to: url)
                        written += 1
                    } catch let failure as FileFailure where !runOptions.strict {
                        if !runOptions.quiet { FileHandle.standardError.write(Data("fad: skipping \(failure)\n".utf8)) }
                        failed.append(failure)
                    } catch { firstError = error }
                }
                if let firstError { throw firstError }
            }
            if !runOptions.quiet {
                FileHandle.standardError.write(Data("fad: wrote \(written) file(s) to \(output) (\(extractor.model.descriptor.name), layer \(session.layer))\(failed.isEmpty ? "" : "; \(failed.count) skipped")\n".utf8))
            }
            if written == 0 { throw CommandError(description: "no file could be embedded") }
        } catch { exitForError(error) }
    }
}
