import ArgumentParser
import FAD
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write each audio file's embeddings as a float32 .npy [windows, dim].",
        discussion: """
        Output files mirror the inputs' relative paths under the output folder, with .npy in \
        place of the audio extension. Two input files that would land on the same .npy (the \
        same name in two input folders, or song.wav beside song.flac) are refused before \
        anything is embedded: embed such sets into folders of their own. The folder records the \
        model, layer, front end, hop and weights (.fad-embeddings.json), and later runs that \
        read it refuse to compare it with another embedding. Each .npy is written \
        atomically, so many jobs (e.g. the shards of an array job) can fill one folder on a \
        shared file system.
        """)

    @Argument(help: ArgumentHelp("Audio files, folders or path lists.", valueName: "input"))
    var inputs: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder.", valueName: "dir"))
    var output: String

    @Option(help: ArgumentHelp("Embed only shard I of N (1 <= I <= N) of each input, as `fad stats save --shard` cuts it.", valueName: "I/N"))
    var shard: ShardSelection?

    @OptionGroup var model: ModelOptions
    @OptionGroup var runOptions: RunOptions

    func run() throws {
        do {
            let session = try EvaluationSession(inputs: inputs, options: EvaluationOptions(model, runOptions), shard: shard)
            let out = URL(fileURLWithPath: output)
            try refuseCollisions(session)
            try EmbeddingFolder.record(session.metadata, in: output)
            var written = 0
            let skipped = try session.forEachEmbeddedFile(of: inputs, command: "embed", strict: runOptions.strict) { embedded in
                let url = out.appendingPathComponent(embedded.file.key + ".npy")
                do { try AtomicFile.write(NPYArray(embedded.layers[session.layer]!).encoded(), to: url) } catch {
                    throw FADError(.io, "\(error)")
                }
                written += 1
            }
            if !runOptions.quiet {
                let part = shard.map { ", shard \($0)" } ?? ""
                FileHandle.standardError.write(Data("fad: wrote \(written) file(s) to \(output) (\(session.metadata.model), layer \(session.layer)\(part))\(skipped.isEmpty ? "" : "; \(skipped.count) skipped")\n".utf8))
            }
            if written == 0 { throw FADError(.data, "no file could be embedded") }
        } catch { exitForError(error) }
    }

    /// Refuses, before any work, a run in which two input files would be written to the same
    /// .npy: the second would silently replace the first.
    private func refuseCollisions(_ session: EvaluationSession) throws {
        var owner: [String: String] = [:]
        for input in inputs {
            for file in session.sources[input]?.files ?? [] {
                let target = file.key + ".npy"
                if let first = owner[target], first != file.url.path {
                    throw FADError(
                        .usage,
                        "\(file.url.path) and \(first) would both be written to \((output as NSString).appendingPathComponent(target)); embed each set into its own folder (-o), nothing was written")
                }
                owner[target] = file.url.path
            }
        }
    }
}
