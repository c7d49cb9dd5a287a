import Foundation

extension Evaluator {
    /// Every generated file scored on its own against the reference (fadtk's `--indiv`): its
    /// frames' FAD against the reference statistics with a robust z-score, its KAD against the
    /// reference frames, and the distance from its pooled embedding to the k-th nearest
    /// reference file (the last two need the reference's audio or embeddings, not saved
    /// statistics; when one cannot be computed the report says why and keeps the others).
    /// Files whose robust z exceeds `outlierThreshold` are flagged; `tags` top classifier tags
    /// are listed per file. Rows are worst first. Every error thrown is a ``FADError``.
    public func perSong(reference: String, generated: String, outlierThreshold: Double = 3.5, tags: Int = 3) throws -> PerSongReport {
        do {
            try options.validate()
            return try perSongReport(reference: reference, generated: generated, outlierThreshold: outlierThreshold, tags: tags)
        } catch {
            throw FADError(error)
        }
    }

    private func perSongReport(reference: String, generated: String, outlierThreshold: Double, tags: Int) throws -> PerSongReport {
        let session = try EvaluationSession(inputs: [reference, generated], options: options,
                                            extraLayers: [ClassifierLayers.probabilitiesLayer])
        let referenceIsStatistics: Bool = { if case .statistics = session.sources[reference] { return true } else { return false } }()
        let ref = try session.analyze(reference, request: AnalysisRequest(keepFrames: !referenceIsStatistics, strict: options.strict))
        let set = try session.analyze(generated, request: AnalysisRequest(keepFrames: true, strict: options.strict))
        let paths = Dictionary(uniqueKeysWithValues: (session.sources[generated]?.files ?? []).map { ($0.key, $0.url.path) })
        let labels = session.model?.descriptor.labels ?? []
        let songs = set.fileFrames.map { (name: $0.key, frames: $0.frames) }
        let scores = try perSongFAD(reference: ref.statistics, songs: songs)
        var kad: [String: PerFileKAD] = [:], knn: [String: PRDCSample] = [:]
        var fileMetrics: PerSongFileMetrics?
        if !referenceIsStatistics {
            var sigma: Double?, kadWhy: String?
            do {
                let kernel = try KernelReference(ref.allFrames, options: KADOptions(bandwidth: options.kadBandwidth,
                                                                                   precision: options.kadPrecision,
                                                                                   seed: options.seed, threads: options.threads))
                for f in try perFileKAD(reference: kernel, files: songs) { kad[f.name] = f }
                switch options.kadBandwidth {
                case .reference: sigma = kernel.referenceMedian?.value
                case .fixed(let v): sigma = v
                case .generated: sigma = nil
                }
            } catch {
                kadWhy = FADError(error).message
            }
            var knnWhy: String?
            let k = options.prdcK
            if ref.fileFrames.count > k && songs.count > k {
                do {
                    let pooledReference = try options.madPooling.pool(ref.fileFrames.map { (name: $0.key, frames: $0.frames) })
                    let prdc = try precisionRecallDensityCoverage(reference: pooledReference, generated: options.madPooling.pool(songs), k: k)
                    for (song, sample) in zip(songs, prdc.generated) { knn[song.name] = sample }
                } catch {
                    knnWhy = FADError(error).message
                }
            } else {
                knnWhy = "need more than k = \(k) files in both sets (reference \(ref.fileFrames.count), generated \(songs.count))"
            }
            fileMetrics = PerSongFileMetrics(kadBandwidth: sigma, kadBandwidthSource: options.kadBandwidth.description,
                                             kadPrecision: options.kadPrecision.rawValue,
                                             k: knnWhy == nil ? k : nil, pooling: options.madPooling.rawValue,
                                             knnUnavailable: knnWhy, kadUnavailable: kadWhy)
        }
        let rows = scores.map { s -> PerSongRow in
            var top: [TagScore] = []
            if let p = set.clipProbabilities[s.name], p.count == labels.count {
                top = zip(labels, p).sorted { $0.1 > $1.1 }.prefix(tags).map { TagScore(label: $0.0, probability: Double($0.1)) }
            }
            return PerSongRow(path: paths[s.name] ?? s.name, key: s.name, score: s, isOutlier: (s.robustZ ?? 0) > outlierThreshold,
                              topTags: top, fileKAD: kad[s.name], neighbourhood: knn[s.name])
        }
        return PerSongReport(model: session.metadata.model, layer: session.layer, reference: reference, generated: generated,
                             outlierThreshold: outlierThreshold, rows: rows, failures: set.failures.map(\.description),
                             fileMetrics: fileMetrics)
    }
}
