import Foundation

/// Scores generated sets against a reference set: what `fad REF GEN...` does, as a library.
///
/// Sets are audio folders (searched recursively), text files listing audio paths, folders of
/// `.npy` embeddings `[frames, dim]`, or statistics saved by `fad stats save` (`.fadstats`).
/// The reference is embedded once however many sets are scored. Each metric of each set holds
/// its own result type or the error that kept it from being computed: one failed metric does
/// not lose the others. A set that cannot be read at all fails the evaluation.
///
/// ```swift
/// var options = EvaluationOptions()
/// options.metrics = [.fad, .kad]
/// let report = try Evaluator(options: options).score(reference: "real/", generated: ["generated/"])
/// print(report.sets[0].fad?.result?.value ?? .nan)
/// ```
///
/// Every error thrown is a ``FADError``.
public struct Evaluator: Sendable {
    public var options: EvaluationOptions

    public init(options: EvaluationOptions = EvaluationOptions()) {
        self.options = options
    }

    /// The full report of every generated set against `reference`.
    public func score(reference: String, generated: [String]) throws -> ScoreReport {
        do {
            try options.validate()
            return try scoreSets(reference: reference, generated: generated)
        } catch {
            throw FADError(error)
        }
    }

    private func scoreSets(reference: String, generated: [String]) throws -> ScoreReport {
        let explicit = options.metrics ?? []
        let chosen: Set<EvaluationMetric> = explicit.isEmpty ? [.fad, .fadInf] : explicit
        let klAuto = explicit.isEmpty
        let wantsLabels = klAuto || chosen.contains(.kld) || chosen.contains(.is)
        let session = try EvaluationSession(inputs: [reference] + generated, options: options,
                                            extraLayers: wantsLabels ? [ClassifierLayers.logitsLayer] : [])
        let labelsAvailable = session.extractor.map { !$0.model.descriptor.labels.isEmpty } ?? false
        func isAudio(_ path: String) -> Bool { if case .audio = session.sources[path] { return true } else { return false } }

        let ref = try session.analyze(reference, request: AnalysisRequest(
            keepFrames: !chosen.isDisjoint(with: EvaluationMetric.needingReferenceFrames),
            clipLogits: labelsAvailable && isAudio(reference) && (klAuto || chosen.contains(.kld)),
            strict: options.strict))
        var kernel: Result<KernelReference, Error>?
        if chosen.contains(.kad) || chosen.contains(.kadInf) {
            kernel = Result { try KernelReference(ref.allFrames, options: kadOptions) }
        }
        var pooledReference: Result<Matrix<Float>, Error>?
        if chosen.contains(.mad) || chosen.contains(.prdc) {
            pooledReference = Result { try options.madPooling.pool(ref.fileFrames.map { (name: $0.key, frames: $0.frames) }) }
        }
        var scores: [SetScore] = []
        for path in generated {
            let set = try session.analyze(path, request: AnalysisRequest(
                keepFrames: chosen.contains(.fadInf) || !chosen.isDisjoint(with: EvaluationMetric.needingReferenceFrames)
                    || options.bootstrap > 0,
                clipLogits: labelsAvailable && isAudio(path) && wantsLabels,
                strict: options.strict))
            var score = scoreSet(set, against: ref, chosen: chosen, klAuto: klAuto)
            scoreBeyondFAD(&score, set, chosen: chosen, kernel: kernel, pooledReference: pooledReference)
            scores.append(score)
        }
        return ScoreReport(model: session.modelInfo, reference: SetInfo(ref), sets: scores,
                           preset: presetSettings(session))
    }

    private var kadOptions: KADOptions { KADOptions(bandwidth: options.kadBandwidth, precision: options.kadPrecision, seed: options.seed,
                                                 threads: options.threads) }

    /// "needs at least N frames, the set has M" for the FAD-inf schedule, else the error itself.
    private func infinityError(_ error: Error) -> FADError {
        if case MetricsError.tooFewFramesForFADInfinity(let needed, let got)? = error as? MetricsError {
            return FADError(.data, "needs at least \(needed) frames, the set has \(got)")
        }
        return FADError(error)
    }

    private func scoreSet(_ set: AnalyzedSet, against ref: AnalyzedSet, chosen: Set<EvaluationMetric>, klAuto: Bool) -> SetScore {
        var score = SetScore(set: SetInfo(set))
        let seed = options.seed
        if chosen.contains(.fad) {
            score.fad = entry(FADDetails()) {
                let fd = try frechetDistance(ref.statistics, set.statistics)
                var details = FADDetails()
                if options.bootstrap > 0 {
                    details.confidenceInterval = try fadBootstrap(reference: ref.statistics, fileFrames: set.fileFrames.map(\.frames),
                                                                  resamples: options.bootstrap, confidence: 0.95, seed: seed)
                }
                return (fd, fd.value, details)
            }
        }
        if chosen.contains(.fadInf) {
            let infOptions = FADInfinityOptions(sampling: options.fadInfSampling, seed: seed)
            do {
                let r = try fadInfinity(reference: ref.statistics, frames: set.allFrames, options: infOptions)
                score.fadInf = MetricEntry(result: r, value: r.value, details: infOptions)
            } catch {
                score.fadInf = MetricEntry(error: infinityError(error), details: infOptions)
            }
        }
        if chosen.contains(.kld) || klAuto {
            let paired = set.clipLogits.keys.filter { ref.clipLogits[$0] != nil }.count
            let isPaired = !set.clipLogits.isEmpty && Double(paired) >= 0.99 * Double(set.clipLogits.count)
            if chosen.contains(.kld) || (klAuto && isPaired) {
                let preset = options.klPreset
                let details = KLDetails(preset: preset, aggregation: preset.aggregation)
                if set.windowLogits.isEmpty || ref.windowLogits.isEmpty {
                    score.kl = MetricEntry(error: FADError(.usage, "needs audio inputs and a model with classifier outputs"), details: details)
                } else {
                    score.kl = entry(details) {
                        let r = try klDivergence(referenceWindows: ref.windowLogits, generatedWindows: set.windowLogits,
                                                 preset: preset, aggregation: preset.aggregation)
                        return (r, r.value, details)
                    }
                }
            }
        }
        if chosen.contains(.is) {
            let isOptions = InceptionScoreOptions(seed: seed)
            let logits = set.keys.compactMap { set.clipLogits[$0] }
            if logits.isEmpty {
                score.inceptionScore = MetricEntry(error: FADError(.usage, "needs audio inputs and a model with classifier outputs"),
                                                   details: isOptions)
            } else {
                score.inceptionScore = entry(isOptions) {
                    let matrix = Matrix<Float>(rows: logits.count, columns: logits[0].count, values: logits.flatMap { $0 })
                    let r = try inceptionScore(matrix, options: isOptions)
                    return (r, r.mean, isOptions)
                }
            }
        }
        if chosen.contains(.kid) {
            let kidOptions = KIDOptions(seed: seed)
            score.kid = entry(kidOptions) {
                let r = try kernelInceptionDistance(reference: ref.allFrames, generated: set.allFrames, options: kidOptions)
                return (r, r.mean, kidOptions)
            }
        }
        return score
    }

    /// KAD, KAD-inf, MAD and PRDC of one set; each that cannot be computed carries its error.
    private func scoreBeyondFAD(_ score: inout SetScore, _ set: AnalyzedSet, chosen: Set<EvaluationMetric>,
                                kernel: Result<KernelReference, Error>?, pooledReference: Result<Matrix<Float>, Error>?) {
        let seed = options.seed
        let source: String = { if case .fixed = options.kadBandwidth { return "fixed" } else { return options.kadBandwidth.description } }()
        if chosen.contains(.kad), let kernel {
            let details = KADDetails(bandwidthSource: source, seed: seed)
            score.kad = entry(details) {
                let r = try kernel.get().distance(to: set.allFrames)
                return (r, r.value, details)
            }
        }
        if chosen.contains(.kadInf), let kernel {
            let minFrames = 500, steps = 25
            var details = KADInfinityDetails(sampling: options.fadInfSampling, seed: seed, minFrames: minFrames, steps: steps,
                                             bandwidthSource: source, bandwidth: nil,
                                             precision: options.kadPrecision)
            do {
                let reference = try kernel.get()
                let r = try kadInfinity(reference: reference, frames: set.allFrames, sampling: options.fadInfSampling,
                                        minFrames: minFrames, steps: steps, seed: seed)
                switch options.kadBandwidth {
                case .reference: details.bandwidth = reference.referenceMedian?.value
                case .fixed(let v): details.bandwidth = v
                case .generated: details.bandwidth = nil
                }
                score.kadInf = MetricEntry(result: r, value: r.value, details: details)
            } catch {
                score.kadInf = MetricEntry(error: infinityError(error), details: details)
            }
        }
        guard let pooledReference, chosen.contains(.mad) || chosen.contains(.prdc) else { return }
        let files = set.fileFrames.map { (name: $0.key, frames: $0.frames) }
        let pooled = Result { (try pooledReference.get(), try options.madPooling.pool(files)) }
        if chosen.contains(.mad) {
            let details = PooledDetails(pooling: options.madPooling, options: MAUVEOptions(seed: seed))
            score.mad = entry(details) {
                let (r, g) = try pooled.get()
                let m = try mauve(generated: g, reference: r, options: details.options)
                return (m, m.mad, details)
            }
        }
        if chosen.contains(.prdc) {
            let details = PooledDetails(pooling: options.madPooling, options: PRDCOptions(k: options.prdcK))
            score.prdc = entry(details) {
                let (r, g) = try pooled.get()
                let p = try precisionRecallDensityCoverage(reference: r, generated: g, k: options.prdcK)
                var withOutside = details
                withOutside.outsideReference = zip(files, p.generated).filter { !$0.1.insideReference }.map { $0.0.name }
                return (p, nil, withOutside)
            }
        }
    }

    /// Runs one metric: its result, headline number and details, or its error with `details`.
    private func entry<R: Codable & Sendable, D: Codable & Sendable>(
        _ details: D, _ compute: () throws -> (R, Double?, D)) -> MetricEntry<R, D> {
        do {
            let (result, value, filled) = try compute()
            return MetricEntry(result: result, value: value, details: filled)
        } catch {
            return MetricEntry(error: FADError(error), details: details)
        }
    }

    /// The preset's settings as used: model, layer, windows, hop and audio normalisation.
    private func presetSettings(_ session: EvaluationSession) -> PresetSettings? {
        guard let preset = options.preset else { return nil }
        let d = session.model?.descriptor
        let seconds: (Int) -> Double? = { steps in d.map { Double(steps * $0.frameHop) / Double($0.sampleRate) } }
        let windowing = session.extractor?.clipWindowing
        let window = windowing?.windowSeconds ?? d.flatMap { seconds($0.windowFrames) }
        let hop = windowing?.hopSeconds ?? (session.extractor?.windowHop ?? d?.windowFrames).flatMap(seconds)
        return PresetSettings(name: preset.rawValue, toolkit: preset.toolkit, presetModel: preset.model, model: options.model,
                              layer: session.layer, windows: windowing?.layout.rawValue ?? "model", windowSeconds: window,
                              hopSeconds: hop, audioNormalization: options.audioNormalization.description,
                              klPreset: preset.klPreset, klAggregation: preset.klPreset?.aggregation,
                              klDirection: preset.klPreset?.direction, metrics: preset.metrics.map(\.rawValue).sorted(),
                              float16Embeddings: windowing?.float16Embeddings ?? false)
    }
}
