import ArgumentParser
import FAD
import Foundation

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save, merge and inspect embedding statistics (mean and covariance in float64).",
        discussion: "Save the reference set's statistics once and pass the .\(InputSource.statisticsFileExtension) file as REFERENCE to every later `fad` run.",
        subcommands: [Save.self, Merge.self, Show.self])

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute a set's statistics and save them.",
            discussion: """
            With --shard I/N only the I-th of N parts of the set is read, so N jobs (an array \
            job, one per node) can share a large set; `fad stats merge` then combines their \
            files into statistics equal to one run over the whole set. The partition depends \
            only on the files' paths relative to the set (round-robin over their SHA-256 order), \
            never on the machine, the file system's order or --threads.
            """)

        @Argument(help: ArgumentHelp("A folder of audio, a path list or a folder of .npy embeddings.", valueName: "input"))
        var input: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Statistics file to write (.\(InputSource.statisticsFileExtension)).", valueName: "file"))
        var output: String

        @Option(help: ArgumentHelp("Read only shard I of N (1 <= I <= N) of the set.", valueName: "I/N"))
        var shard: ShardSelection?

        @OptionGroup var model: ModelOptions
        @OptionGroup var runOptions: RunOptions

        func run() throws {
            do {
                let session = try EvaluationSession(inputs: [input], options: EvaluationOptions(model, runOptions), shard: shard)
                if case .statistics = session.sources[input] {
                    throw FADError(.usage, "\(input): is saved statistics already; `fad stats save` takes audio or .npy embeddings")
                }
                var statistics = try session.analyze(input, request: AnalysisRequest(strict: runOptions.strict)).statistics
                if let info = session.shards[input] {
                    statistics.metadata.shard = info
                } else if let files = session.sources[input]?.files {
                    // The same digest a merge of this set's shards records, so the two compare equal.
                    statistics.metadata.extra["setDigest"] = ShardSelection.setDigest(files)
                }
                try writeStatistics(statistics, to: output)
                if !runOptions.quiet {
                    let part = shard.map { " (shard \($0) of \(session.shards[input]!.setFiles) files)" } ?? ""
                    FileHandle.standardError.write(Data("fad: \(output): \(statistics.metadata.files) files\(part), \(statistics.count) frames, dimension \(statistics.dimension)\n".utf8))
                }
            } catch { exitForError(error) }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge statistics computed on shards of one set (exactly: as if computed in one pass).",
            discussion: """
            Files are read one at a time, so memory stays that of one file however many are \
            merged. Statistics must agree on model, layer, front end, window hop and weights. \
            Shards (`fad stats save --shard I/N`) must all come from one set and one partition, \
            each of 1...N exactly once: an overlap or a gap is refused.
            """)

        @Argument(help: ArgumentHelp("Statistics files (shards of one set, or statistics of distinct sets).", valueName: "file"))
        var inputs: [String]

        @Option(name: .shortAndLong, help: ArgumentHelp("Merged statistics file to write.", valueName: "file"))
        var output: String

        @Flag(name: .shortAndLong, help: "No summary on stderr.")
        var quiet = false

        func validate() throws {
            if inputs.isEmpty { throw ValidationError("give the statistics files to merge") }
        }

        func run() throws {
            do {
                var merger = StatisticsMerger()
                for path in inputs {
                    let statistics: GaussianStatistics
                    do { statistics = try GaussianStatistics.read(from: URL(fileURLWithPath: path)) } catch {
                        throw FADError(.input, "\(error)")
                    }
                    try merger.add(statistics, path: path)
                }
                let merged = try merger.finalized()
                try writeStatistics(merged, to: output)
                if !quiet {
                    var line = "fad: \(output): merged \(inputs.count) file(s): \(merged.metadata.files) files, \(merged.count) frames, dimension \(merged.dimension)"
                    if let total = merger.setFiles, total > merged.metadata.files {
                        line += "; \(total - merged.metadata.files) of the set's \(total) files could not be read when the shards were computed"
                    }
                    FileHandle.standardError.write(Data((line + "\n").utf8))
                }
            } catch { exitForError(error) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what a statistics file holds.")

        @Argument(help: ArgumentHelp("Statistics file.", valueName: "file"))
        var input: String

        func run() throws {
            do {
                let s = try GaussianStatistics.read(from: URL(fileURLWithPath: input))
                var text = """
                model      \(s.metadata.model)
                layer      \(s.metadata.layer)
                front end  \(s.metadata.frontEnd)
                files      \(s.metadata.files)
                frames     \(s.count)
                dimension  \(s.dimension)

                """
                if let shard = s.metadata.shard {
                    text += "shard      \(shard.index)/\(shard.count) (\(shard.assignedFiles) of the set's \(shard.setFiles) files; \(shard.partition))\n"
                    text += "set        \(shard.setDigest)\n"
                }
                for (k, v) in s.metadata.extra.sorted(by: { $0.key < $1.key }) { text += "\(k.padding(toLength: 10, withPad: " ", startingAt: 0)) \(v)\n" }
                try emit(text, to: nil)
            } catch { exitForError(error) }
        }
    }
}

/// Writes `statistics` to `path`, creating missing folders (array jobs write into fresh ones);
/// any failure is an output error (74).
private func writeStatistics(_ statistics: GaussianStatistics, to path: String) throws {
    do {
        let url = URL(fileURLWithPath: path)
        try AtomicFile.createDirectory(url.deletingLastPathComponent())
        try statistics.write(to: url)
    } catch {
        throw FADError(.io, "\(error)")
    }
}

extension ShardSelection: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}
