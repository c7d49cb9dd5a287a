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
    case kad
    case kadInf = "kad-inf"
    case mad
    case prdc

    /// Metrics computed from the kept frames of BOTH sets.
    static let needingReferenceFrames: Set<Metric> = [.kid, .kad, .kadInf, .mad, .prdc]
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

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Metrics, comma-separated: fad, fad-inf, kld, is, kid, kad, kad-inf, mad, prdc.", valueName: "list"),
            transform: { try $0.split(separator: ",").map { name in
                guard let m = Metric(rawValue: String(name).trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown metric '\(name)'; choose from \(Metric.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return m
            } })
    var metrics: [[Metric]] = []

    @Option(help: "FAD-inf estimator: without-replacement (removes the generated set's finite-sample bias) or replacement (fadtk's, for comparing with published fadtk numbers).")
    var fadInfSampling: FADInfinitySampling = .withoutReplacement

    @OptionGroup var beyond: BeyondFADOptions

    @Option(help: ArgumentHelp("Seed of every random draw (FAD-inf and KAD-inf subsets, bootstrap, IS splits, KID subsets, MAD's k-means, KAD's median sample).", valueName: "n"))
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
            keepFrames: !chosen.isDisjoint(with: Metric.needingReferenceFrames),
            clipLogits: labelsAvailable && referenceIsAudio && (klAuto || chosen.contains(.kld)),
            strict: runOptions.strict))
        var kernel: Result<KernelReference, Error>?
        if chosen.contains(.kad) || chosen.contains(.kadInf) {
            kernel = Result { try KernelReference(ref.allFrames, options: beyond.kadOptions(seed: seed, threads: runOptions.threads)) }
        }
        var pooledReference: Result<Matrix<Float>, Error>?
        if chosen.contains(.mad) || chosen.contains(.prdc) {
            pooledReference = Result { try beyond.madPooling.pool(ref.fileFrames.map { (name: $0.key, frames: $0.frames) }) }
        }
        var scores: [SetScore] = []
        for path in generated {
            let isAudio: Bool = { if case .audio = session.sources[path] { return true } else { return false } }()
            let set = try session.analyze(path, request: AnalysisRequest(
                keepFrames: chosen.contains(.fadInf) || !chosen.isDisjoint(with: Metric.needingReferenceFrames) || bootstrap > 0,
                clipLogits: labelsAvailable && isAudio && wantsLabels,
                strict: runOptions.strict))
            var score = try scoreSet(set, against: ref, chosen: chosen, klAuto: klAuto)
            scoreBeyondFAD(&score, set, chosen: chosen, kernel: kernel, pooledReference: pooledReference)
            scores.append(score)
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
                                                            resamples: bootstrap, seed: seed, method: interval.method,
                                                            percentileLow: interval.percentileLow, percentileHigh: interval.percentileHigh,
                                                            biasCorrection: interval.biasCorrection, acceleration: interval.acceleration,
                                                            resamplesBelowEstimate: interval.resamplesBelowEstimate)
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

    /// KAD, KAD-inf, MAD and PRDC of one set; each that cannot be computed carries its error.
    private func scoreBeyondFAD(_ score: inout SetScore, _ set: AnalyzedSet, chosen: Set<Metric>,
                                kernel: Result<KernelReference, Error>?, pooledReference: Result<Matrix<Float>, Error>?) {
        let source: String = { if case .fixed = beyond.kadBandwidth { return "fixed" } else { return beyond.kadBandwidth.description } }()
        if chosen.contains(.kad), let kernel {
            do {
                let r = try kernel.get().distance(to: set.allFrames)
                score.kad = KADScore(value: r.value, bandwidth: r.bandwidth, bandwidthSource: r.bandwidthSource,
                                     medianPairs: r.medianPairs, medianExact: r.medianPairs > 0 ? r.medianExact : nil, seed: seed, error: nil)
            } catch {
                score.kad = KADScore(value: nil, bandwidth: nil, bandwidthSource: source, medianPairs: nil, medianExact: nil,
                                     seed: seed, error: metricMessage(error))
            }
        }
        if chosen.contains(.kadInf), let kernel {
            let minFrames = 500, steps = 25
            do {
                let reference = try kernel.get()
                let r = try kadInfinity(reference: reference, frames: set.allFrames, sampling: fadInfSampling,
                                        minFrames: minFrames, steps: steps, seed: seed)
                let sigma: Double? = {
                    switch beyond.kadBandwidth {
                    case .reference: return reference.referenceMedian?.value
                    case .fixed(let v): return v
                    case .generated: return nil
                    }
                }()
                score.kadInf = KADInfScore(value: r.value, slope: r.slope, rSquared: r.rSquared, sampling: fadInfSampling.rawValue,
                                           seed: seed, minFrames: minFrames, steps: steps, bandwidthSource: source, bandwidth: sigma,
                                           points: r.points.map { [Double($0.frames), $0.fad] }, error: nil)
            } catch {
                var why = metricMessage(error)
                if case MetricsError.tooFewFramesForFADInfinity(let needed, let got)? = error as? MetricsError {
                    why = "needs at least \(needed) frames, the set has \(got)"
                }
                score.kadInf = KADInfScore(value: nil, slope: nil, rSquared: nil, sampling: fadInfSampling.rawValue, seed: seed,
                                           minFrames: minFrames, steps: steps, bandwidthSource: source, bandwidth: nil,
                                           points: nil, error: why)
            }
        }
        guard let pooledReference, chosen.contains(.mad) || chosen.contains(.prdc) else { return }
        let files = set.fileFrames.map { (name: $0.key, frames: $0.frames) }
        let pooled = Result { (try pooledReference.get(), try beyond.madPooling.pool(files)) }
        if chosen.contains(.mad) {
            let options = MAUVEOptions(seed: seed)
            do {
                let (r, g) = try pooled.get()
                let m = try mauve(generated: g, reference: r, options: options)
                score.mad = MADScore(value: m.mad, mauve: m.mauve, pooling: beyond.madPooling.rawValue, clusters: m.clusters,
                                     pcaComponents: m.pcaComponents, explainedVariance: options.explainedVariance,
                                     restarts: options.restarts, maxIterations: options.maxIterations,
                                     curvePoints: options.curvePoints, scaling: options.scaling, seed: seed, error: nil)
            } catch {
                score.mad = MADScore(value: nil, mauve: nil, pooling: beyond.madPooling.rawValue, clusters: nil, pcaComponents: nil,
                                     explainedVariance: options.explainedVariance, restarts: options.restarts,
                                     maxIterations: options.maxIterations, curvePoints: options.curvePoints,
                                     scaling: options.scaling, seed: seed, error: metricMessage(error))
            }
        }
        if chosen.contains(.prdc) {
            do {
                let (r, g) = try pooled.get()
                let p = try precisionRecallDensityCoverage(reference: r, generated: g, k: beyond.prdcK)
                let outside = zip(files, p.generated).filter { !$0.1.insideReference }.map { $0.0.name }
                score.prdc = PRDCScore(precision: p.precision, recall: p.recall, density: p.density, coverage: p.coverage,
                                       k: beyond.prdcK, pooling: beyond.madPooling.rawValue, outsideReference: outside, error: nil)
            } catch {
                score.prdc = PRDCScore(precision: nil, recall: nil, density: nil, coverage: nil, k: beyond.prdcK,
                                       pooling: beyond.madPooling.rawValue, outsideReference: nil, error: metricMessage(error))
            }
        }
    }
}

/// The "reason" part of a metric error (the subject is the set, already named by the report).
private func metricMessage(_ error: Error) -> String {
    if let e = error as? MetricsError { return e.message }
    return "\(error)"
}
