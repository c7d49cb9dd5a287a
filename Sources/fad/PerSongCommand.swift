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
        let session = try Session(inputs: [reference, generated], model, runOptions,
                                  extraLayers: [ClassifierLayers.probabilitiesLayer])
        let referenceIsStatistics: Bool = { if case .statistics = session.sources[reference] { return true } else { return false } }()
        let ref = try session.analyze(reference, request: AnalysisRequest(keepFrames: !referenceIsStatistics, strict: runOptions.strict))
        let set = try session.analyze(generated, request: AnalysisRequest(keepFrames: true, strict: runOptions.strict))
        let paths = Dictionary(uniqueKeysWithValues: (session.sources[generated]?.files ?? []).map { ($0.key, $0.url.path) })
        let labels = session.model?.descriptor.labels ?? []
        let songs = set.fileFrames.map { (name: $0.key, frames: $0.frames) }
        let scores = try perSongFAD(reference: ref.statistics, songs: songs)
        var kad: [String: Double] = [:], knn: [String: PRDCSample] = [:]
        var fileMetrics: PerSongFileMetrics?
        if !referenceIsStatistics {
            let kernel = try KernelReference(ref.allFrames, options: beyond.kadOptions(seed: seed, threads: runOptions.threads))
            for f in try perFileKAD(reference: kernel, files: songs) { kad[f.name] = f.kad }
            let sigma: Double? = {
                switch beyond.kadBandwidth {
                case .reference: return kernel.referenceMedian?.value
                case .fixed(let v): return v
                case .generated: return nil
                }
            }()
            var why: String?
            let k = beyond.prdcK
            if ref.fileFrames.count > k && songs.count > k {
                let pooledReference = try beyond.madPooling.pool(ref.fileFrames.map { (name: $0.key, frames: $0.frames) })
                let prdc = try precisionRecallDensityCoverage(reference: pooledReference, generated: beyond.madPooling.pool(songs), k: k)
                for (song, sample) in zip(songs, prdc.generated) { knn[song.name] = sample }
            } else {
                why = "need more than k = \(k) files in both sets (reference \(ref.fileFrames.count), generated \(songs.count))"
            }
            fileMetrics = PerSongFileMetrics(kadBandwidth: sigma, kadBandwidthSource: beyond.kadBandwidth.description,
                                             k: why == nil ? k : nil, pooling: beyond.madPooling.rawValue, knnUnavailable: why)
        }
        let rows = scores.map { s -> PerSongRow in
            var top: [TagScore] = []
            if let p = set.clipProbabilities[s.name], p.count == labels.count {
                top = zip(labels, p).sorted { $0.1 > $1.1 }.prefix(tags).map { TagScore(label: $0.0, probability: Double($0.1)) }
            }
            return PerSongRow(path: paths[s.name] ?? s.name, key: s.name, fad: s.fad, robustZ: s.robustZ,
                              frames: s.frames, isOutlier: (s.robustZ ?? 0) > threshold, topTags: top,
                              kad: kad[s.name], knnDistance: knn[s.name]?.kthReferenceDistance, insideReference: knn[s.name]?.insideReference)
        }
        return PerSongReport(model: session.metadata.model, layer: session.layer, reference: reference, generated: generated,
                             outlierThreshold: threshold, rows: rows, failures: set.failures.map(\.description), fileMetrics: fileMetrics)
    }
}
