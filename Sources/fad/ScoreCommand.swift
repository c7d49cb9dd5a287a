import ArgumentParser
import FAD
import Foundation

extension EvaluationMetric: ExpressibleByArgument {}
extension FADInfinitySampling: ExpressibleByArgument {}
extension KLPreset: ExpressibleByArgument {}
extension ToolkitPreset: ExpressibleByArgument {}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score generated sets against a reference set (the default command).",
        discussion: """
        The reference is embedded once however many sets are scored. Default metrics: FAD, \
        FAD-inf, and KL divergence of the classifier labels when the sets are paired (at least \
        99 % of generated files have a reference file with the same relative path, extension \
        aside, as audioldm_eval requires).
        """)

    @Argument(help: ArgumentHelp("Reference set: audio folder, path list, .npy folder or saved statistics.", valueName: "reference"))
    var reference: String

    @Argument(help: ArgumentHelp("Generated sets.", valueName: "generated"))
    var generated: [String]

    @OptionGroup var model: ModelOptions
    @OptionGroup var runOptions: RunOptions

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Metrics, comma-separated: fad, fad-inf, kld, is, kid, kad, kad-inf, mad, prdc.", valueName: "list"),
            transform: { try $0.split(separator: ",").map { name in
                guard let m = EvaluationMetric(rawValue: String(name).trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown metric '\(name)'; choose from \(EvaluationMetric.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return m
            } })
    var metrics: [[EvaluationMetric]] = []

    @Option(help: "FAD-inf estimator: without-replacement (removes the generated set's finite-sample bias) or replacement (fadtk's, for comparing with published fadtk numbers).")
    var fadInfSampling: FADInfinitySampling = .withoutReplacement

    @OptionGroup var beyond: BeyondFADOptions

    @Option(help: ArgumentHelp("Seed of every random draw (FAD-inf and KAD-inf subsets, bootstrap, IS splits, KID subsets, MAD's k-means, KAD's median sample).", valueName: "n"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Bootstrap resamples of files for a 95% confidence interval of FAD (0: none).", valueName: "n"))
    var bootstrap: Int = 0

    @Option(help: ArgumentHelp("KL divergence preset: \(KLPreset.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "preset"))
    var klPreset: KLPreset?

    @Option(help: ArgumentHelp("Toolkit conventions: \(ToolkitPreset.allCases.map(\.rawValue).joined(separator: ", ")). Selects model, windows, audio normalisation and KL convention together (see README); --model replaces the preset's model, --metrics its metrics.", valueName: "name"))
    var preset: ToolkitPreset?

    @Flag(help: "Print one JSON object with every metric and its parameters.")
    var json = false

    @Flag(help: "Print CSV, one row per generated set.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        if bootstrap < 0 { throw ValidationError("--bootstrap must not be negative") }
        if let preset {
            if klPreset != nil { throw ValidationError("--preset \(preset.rawValue) sets the KL convention; drop --kl-preset") }
            if model.hop != nil { throw ValidationError("--preset \(preset.rawValue) sets the window hop; drop --hop") }
        }
    }

    func run() throws {
        do {
            let report = try Evaluator(options: evaluationOptions()).score(reference: reference, generated: generated)
            // FAD is what `fad` is for: a set whose FAD cannot be computed fails the run (the
            // library reports it beside the other metrics).
            if let failure = report.sets.lazy.compactMap({ $0.fad?.error }).first { throw failure }
            try emit(json ? report.json() : csv ? report.csv() : report.table(), to: nil)
        } catch { exitForError(error) }
    }

    /// The library's options from the command line (a preset's settings first, then the
    /// options given beside it).
    func evaluationOptions() throws -> EvaluationOptions {
        var options = EvaluationOptions(model, runOptions)
        options.apply(beyond)
        options.fadInfSampling = fadInfSampling
        options.seed = seed
        options.bootstrap = bootstrap
        if let klPreset { options.klPreset = klPreset }
        if let preset { options = try preset.options(from: options, model: model.model) }
        let explicit = Set(metrics.flatMap { $0 })
        if !explicit.isEmpty { options.metrics = explicit }
        return options
    }
}
