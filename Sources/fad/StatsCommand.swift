import ArgumentParser
import FAD
import Foundation

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save, merge and inspect embedding statistics (mean and covariance in float64).",
        discussion: "Save the reference set's statistics once and pass the .\(InputSource.statisticsFileExtension) file as REFERENCE to every later `fad` run.",
        subcommands: [Save.self, Merge.self, Show.self])

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compute a set's statistics and save them.")

        @Argument(help: ArgumentHelp("A folder of audio, a path list or a folder of .npy embeddings.", valueName: "input"))
        var input: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Statistics file to write (.\(InputSource.statisticsFileExtension)).", valueName: "file"))
        var output: String

        @OptionGroup var model: ModelOptions
        @OptionGroup var runOptions: RunOptions

        func run() throws {
            do {
                let analyzed = try Session(inputs: [input], model, runOptions).analyze(input, request: AnalysisRequest(strict: runOptions.strict))
                try analyzed.statistics.write(to: URL(fileURLWithPath: output))
                if !runOptions.quiet {
                    FileHandle.standardError.write(Data("fad: \(output): \(analyzed.statistics.metadata.files) files, \(analyzed.frameCount) frames, dimension \(analyzed.statistics.dimension)\n".utf8))
                }
            } catch { exitForError(error) }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge statistics computed on shards of one set (exactly: as if computed in one pass).")

        @Argument(help: ArgumentHelp("Statistics files.", valueName: "file"))
        var inputs: [String]

        @Option(name: .shortAndLong, help: ArgumentHelp("Merged statistics file to write.", valueName: "file"))
        var output: String

        func validate() throws {
            if inputs.count < 2 { throw ValidationError("give at least two statistics files to merge") }
        }

        func run() throws {
            do {
                let all = try inputs.map { try GaussianStatistics.read(from: URL(fileURLWithPath: $0)) }
                let merged = try GaussianStatistics.merging(all)
                try merged.write(to: URL(fileURLWithPath: output))
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
                for (k, v) in s.metadata.extra.sorted(by: { $0.key < $1.key }) { text += "\(k.padding(toLength: 10, withPad: " ", startingAt: 0)) \(v)\n" }
                try emit(text, to: nil)
            } catch { exitForError(error) }
        }
    }
}
