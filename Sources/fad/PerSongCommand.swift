import ArgumentParser
import FAD
import Foundation

struct PerSong: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "per-song",
        abstract: "Score every generated file on its own against the reference and report the outliers.",
        discussion: """
        Each file's embedding frames are compared with the reference statistics (fadtk's --indiv). \
        Beside each score: the file's own KAD against the reference frames, and the distance from \
        its pooled embedding to the k-th nearest reference file with whether it lies inside the \
        reference manifold (needs the reference's audio or embeddings, not saved statistics). \
        Files whose robust z-score ((score - median) / (1.4826 MAD)) exceeds the threshold are \
        flagged. The HTML report is one self-contained page: the score distribution with the \
        outliers marked, then every file worst first with its top tags and a player.
        """)

    @Argument(help: ArgumentHelp("Reference set (audio folder, path list, .npy folder or saved statistics).", valueName: "reference"))
    var reference: String

    @Argument(help: ArgumentHelp("Generated set (audio folder, path list or .npy folder).", valueName: "generated"))
    var generated: String

    @Option(name: .shortAndLong, help: ArgumentHelp("HTML report to write.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("CSV to write (path,fad,robust_z,frames,outlier,top_tags,kad,knn_distance,inside_reference); - for stdout.", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("Robust z-score above which a file is an outlier.", valueName: "z"))
    var threshold: Double = 3.5

    @Option(help: ArgumentHelp("Top tags listed per file.", valueName: "k"))
    var tags: Int = 3

    @OptionGroup var model: ModelOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var beyond: BeyondFADOptions

    @Option(help: ArgumentHelp("Seed of KAD's median sample for large references.", valueName: "n"))
    var seed: UInt64 = 0

    func validate() throws {
        if output == nil && csv == nil { throw ValidationError("give -o report.html and/or --csv FILE") }
    }

    func run() throws {
        do {
            let report = try makeReport()
            if let output { try emit(report.html(reportURL: URL(fileURLWithPath: output)), to: output) }
            if let csv { try emit(report.csv(), to: csv) }
            if !runOptions.quiet, let output {
                let flagged = report.rows.filter(\.isOutlier).count
                FileHandle.standardError.write(Data("fad: \(output): \(report.rows.count) files, \(flagged) outlier(s)\n".utf8))
            }
        } catch { exitForError(error) }
    }

    func makeReport() throws -> PerSongReport {
        var options = EvaluationOptions(model, runOptions)
        options.apply(beyond)
        options.seed = seed
        return try Evaluator(options: options).perSong(reference: reference, generated: generated,
                                                       outlierThreshold: threshold, tags: tags)
    }
}
