import ArgumentParser
import FAD
import Foundation

/// A metric `fad` can report.
enum Metric: String, CaseIterable, ExpressibleByArgument {
    case fad
    case fadInf = "fad-inf"
    case kld
    case `is`
    case kid
}

extension FADInfinitySampling: ExpressibleByArgument {}
extension KLPreset: ExpressibleByArgument {}

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

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Metrics, comma-separated: fad, fad-inf, kld, is, kid.", valueName: "list"),
            transform: { try $0.split(separator: ",").map { name in
                guard let m = Metric(rawValue: String(name).trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown metric '\(name)'; choose from \(Metric.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return m
            } })
    var metrics: [[Metric]] = []

    @Option(help: "FAD-inf estimator: without-replacement (removes the generated set's finite-sample bias) or replacement (fadtk's, for comparing with published fadtk numbers).")
    var fadInfSampling: FADInfinitySampling = .withoutReplacement

    @Option(help: ArgumentHelp("Seed of every random draw (FAD-inf subsets, bootstrap, IS splits, KID subsets).", valueName: "n"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Bootstrap resamples of files for a 95% confidence interval of FAD (0: none).", valueName: "n"))
    var bootstrap: Int = 0

    @Option(help: ArgumentHelp("KL divergence preset: \(KLPreset.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "preset"))
    var klPreset: KLPreset = .default

    @Flag(help: "Print one JSON object with every metric and its parameters.")
    var json = false

    @Flag(help: "Print CSV, one row per generated set.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        if bootstrap < 0 { throw ValidationError("--bootstrap must not be negative") }
    }

    func run() throws {
        do {
            let report = try score()
            try emit(json ? report.json() : csv ? report.csv() : report.table(), to: nil)
        } catch { exitForError(error) }
    }

    func score() throws -> ScoreReport {
        let explicit = Set(metrics.flatMap { $0 })
        let chosen = explicit.isEmpty ? [.fad, .fadInf] : explicit
        let klAuto = explicit.isEmpty
        let wantsLabels = klAuto || chosen.contains(.kld) || chosen.contains(.is)
        let session = try Session(inputs: [reference] + generated, model, runOptions,
                                  extraLayers: wantsLabels ? [ClassifierLayers.logitsLayer] : [])
        let labelsAvailable = session.extractor.map { !$0.model.descriptor.labels.isEmpty } ?? false
        let referenceIsAudio: Bool = { if case .audio = session.sources[reference] { return true } else { return false } }()

        let ref = try session.analyze(reference, request: AnalysisRequest(
            keepFrames: chosen.contains(.kid),
            clipLogits: labelsAvailable && referenceIsAudio && (klAuto || chosen.contains(.kld)),
            strict: runOptions.strict))
        var scores: [SetScore] = []
        for path in generated {
            let isAudio: Bool = { if case .audio = session.sources[path] { return true } else { return false } }()
            let set = try session.analyze(path, request: AnalysisRequest(
                keepFrames: chosen.contains(.fadInf) || chosen.contains(.kid) || bootstrap > 0,
                clipLogits: labelsAvailable && isAudio && wantsLabels,
                strict: runOptions.strict))
            scores.append(try scoreSet(set, against: ref, chosen: chosen, klAuto: klAuto))
        }
        return ScoreReport(model: session.modelInfo, reference: SetInfo(ref), sets: scores)
    }

    private func scoreSet(_ set: AnalyzedSet, against ref: AnalyzedSet, chosen: Set<Metric>, klAuto: Bool) throws -> SetScore {
        var score = SetScore(set: SetInfo(set))
        if chosen.contains(.fad) {
            let fd = try frechetDistance(ref.statistics, set.statistics)
            var fad = FADScore(value: fd.value, meanTerm: fd.meanTerm, traceTerm: fd.traceTerm,
                               clippedEigenvalues: fd.clippedEigenvalues, largestClippedEigenvalue: fd.largestClipped)
            if bootstrap > 0 {
                let interval = try fadBootstrap(reference: ref.statistics, fileFrames: set.fileFrames.map(\.frames),
                                                resamples: bootstrap, confidence: 0.95, seed: seed)
                fad.confidenceInterval = ConfidenceInterval(level: 0.95, low: interval.low, high: interval.high,
                                                            resamples: bootstrap, seed: seed)
            }
            score.fad = fad
        }
        if chosen.contains(.fadInf) {
            let options = FADInfinityOptions(sampling: fadInfSampling, seed: seed)
            do {
                let r = try fadInfinity(reference: ref.statistics, frames: set.allFrames, options: options)
                score.fadInf = FADInfScore(value: r.value, slope: r.slope, rSquared: r.rSquared,
                                           sampling: fadInfSampling.rawValue, seed: seed, minFrames: options.minFrames,
                                           steps: options.steps, points: r.points.map { [Double($0.frames), $0.fad] }, error: nil)
            } catch let error as MetricsError {
                guard case .tooFewFramesForFADInfinity(let needed, let got) = error else { throw error }
                score.fadInf = FADInfScore(value: nil, slope: nil, rSquared: nil, sampling: fadInfSampling.rawValue, seed: seed,
                                           minFrames: options.minFrames, steps: options.steps, points: nil,
                                           error: "needs at least \(needed) frames, the set has \(got)")
            }
        }
        if chosen.contains(.kld) || klAuto {
            let paired = set.clipLogits.keys.filter { ref.clipLogits[$0] != nil }.count
            let isPaired = !set.clipLogits.isEmpty && Double(paired) >= 0.99 * Double(set.clipLogits.count)
            if chosen.contains(.kld) || (klAuto && isPaired) {
                if set.clipLogits.isEmpty || ref.clipLogits.isEmpty {
                    score.kl = KLScore(preset: klPreset.rawValue, value: nil, reverse: nil, pairs: 0, unpairedReference: [],
                                       unpairedGenerated: [], error: "needs audio inputs and a model with classifier outputs")
                } else {
                    do {
                        let r = try klDivergence(reference: ref.clipLogits, generated: set.clipLogits, preset: klPreset)
                        score.kl = KLScore(preset: klPreset.rawValue, value: r.value,
                                           reverse: klPreset.direction == .referenceToGenerated ? r.generatedToReference : r.referenceToGenerated,
                                           pairs: r.perPair.count, unpairedReference: r.unpairedReference,
                                           unpairedGenerated: r.unpairedGenerated, error: nil)
                    } catch let error as MetricsError {
                        score.kl = KLScore(preset: klPreset.rawValue, value: nil, reverse: nil, pairs: 0,
                                           unpairedReference: ref.keys, unpairedGenerated: set.keys, error: error.message)
                    }
                }
            }
        }
        if chosen.contains(.is) {
            let logits = set.keys.compactMap { set.clipLogits[$0] }
            if logits.isEmpty {
                score.inceptionScore = ISScore(mean: nil, std: nil, splits: 10, seed: seed, error: "needs audio inputs and a model with classifier outputs")
            } else {
                let matrix = Matrix<Float>(rows: logits.count, columns: logits[0].count, values: logits.flatMap { $0 })
                do {
                    let r = try inceptionScore(matrix, options: InceptionScoreOptions(seed: seed))
                    score.inceptionScore = ISScore(mean: r.mean, std: r.std, splits: r.splitScores.count, seed: seed, error: nil)
                } catch let error as MetricsError {
                    score.inceptionScore = ISScore(mean: nil, std: nil, splits: 10, seed: seed, error: error.message)
                }
            }
        }
        if chosen.contains(.kid) {
            let options = KIDOptions(seed: seed)
            do {
                let r = try kernelInceptionDistance(reference: ref.allFrames, generated: set.allFrames, options: options)
                score.kid = KIDScore(mean: r.mean, std: r.std, subsets: options.subsets, subsetSize: r.subsetSize,
                                     subsetSizeClamped: r.clamped, identicalSubsets: r.identicalSubsets, seed: seed, error: nil)
            } catch let error as MetricsError {
                score.kid = KIDScore(mean: nil, std: nil, subsets: options.subsets, subsetSize: 0, subsetSizeClamped: false,
                                     identicalSubsets: false, seed: seed, error: error.message)
            }
        }
        return score
    }
}
