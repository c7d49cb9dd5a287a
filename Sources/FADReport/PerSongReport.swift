import FADMetrics
import Foundation

/// One generated file in the per-song report: the metrics' own per-file results.
public struct PerSongRow: Codable, Sendable, Equatable {
    public var path: String
    public var key: String
    /// The file's own frames against the reference statistics, with its robust z-score
    /// ((fad - median) / (1.4826 MAD), nil when the MAD is zero).
    public var score: PerSongScore
    public var isOutlier: Bool
    /// The classifier's strongest tags for the file (mean probability over its windows).
    public var topTags: [TagScore]
    /// The file's own KAD against all reference frames (its `kad` is nil for a one-frame file).
    public var fileKAD: PerFileKAD?
    /// The file's pooled vector against the reference manifold (PRDC's per-sample result).
    public var neighbourhood: PRDCSample?

    public init(path: String, key: String, score: PerSongScore, isOutlier: Bool, topTags: [TagScore],
                fileKAD: PerFileKAD? = nil, neighbourhood: PRDCSample? = nil) {
        self.path = path; self.key = key; self.score = score; self.isOutlier = isOutlier; self.topTags = topTags
        self.fileKAD = fileKAD; self.neighbourhood = neighbourhood
    }

    public var fad: Double { score.fad }
    public var robustZ: Double? { score.robustZ }
    public var frames: Int { score.frames }
    public var kad: Double? { fileKAD?.kad }
    /// Distance of the file's pooled vector to its k-th nearest reference file vector.
    public var knnDistance: Double? { neighbourhood?.kthReferenceDistance }
    /// Whether the file lies inside the reference manifold (some reference file's k-NN ball
    /// holds it); nil when there were too few files to tell.
    public var insideReference: Bool? { neighbourhood?.insideReference }
}

/// A label with its probability.
public struct TagScore: Codable, Sendable, Equatable {
    public var label: String
    public var probability: Double
    public init(label: String, probability: Double) { self.label = label; self.probability = probability }
}

/// Per-song FAD of every generated file, worst first, with outliers flagged.
public struct PerSongReport: Codable, Sendable {
    public var model: String
    public var layer: String
    public var reference: String
    public var generated: String
    /// Files whose robust z exceeds this are flagged as outliers.
    public var outlierThreshold: Double
    public var rows: [PerSongRow]
    public var failures: [String]
    /// How the per-file KAD and k-NN columns were computed (nil when they were not).
    public var fileMetrics: PerSongFileMetrics?

    public init(model: String, layer: String, reference: String, generated: String,
                outlierThreshold: Double, rows: [PerSongRow], failures: [String], fileMetrics: PerSongFileMetrics? = nil) {
        self.model = model; self.layer = layer; self.reference = reference; self.generated = generated
        self.outlierThreshold = outlierThreshold; self.rows = rows; self.failures = failures; self.fileMetrics = fileMetrics
    }

    /// `path,fad,robust_z,frames,outlier,top_tags,kad,knn_distance,inside_reference` rows, worst
    /// first (fadtk's `--indiv` CSV has the first two columns).
    public func csv() -> String {
        var out = "path,fad,robust_z,frames,outlier,top_tags,kad,knn_distance,inside_reference\n"
        for row in rows {
            let tags = row.topTags.map { "\($0.label) \(String(format: "%.2f", $0.probability))" }.joined(separator: "; ")
            out += [csvField(row.path), "\(row.fad)", row.robustZ.map { "\($0)" } ?? "", "\(row.frames)",
                    row.isOutlier ? "1" : "0", csvField(tags), row.kad.map { "\($0)" } ?? "",
                    row.knnDistance.map { "\($0)" } ?? "", row.insideReference.map { $0 ? "1" : "0" } ?? ""]
                .joined(separator: ",") + "\n"
        }
        return out
    }

    /// A single self-contained HTML page (inline CSS and SVG, no scripts, no external files):
    /// the distribution of per-song scores with the outliers marked, then every file worst first
    /// with a player to listen to it. Audio links are made relative to `reportURL`'s folder.
    public func html(reportURL: URL) -> String {
        let scores = rows.map(\.fad)
        let outliers = rows.filter(\.isOutlier).count
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>fad per-song report: \(escape(generated))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}
        table{border-collapse:collapse;font-size:14px}td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}
        td.num{text-align:right;font-variant-numeric:tabular-nums}tr.outlier{background:#fde8e8}td.off{color:#b02a2a;font-weight:bold}
        .meta{color:#555}svg{display:block;margin:1em 0}
        </style></head><body>
        <h1>Per-song FAD</h1>
        <p class="meta">Generated <b>\(escape(generated))</b> against reference <b>\(escape(reference))</b>;
        model <b>\(escape(model))</b>, layer <b>\(escape(layer))</b>. \(rows.count) files,
        \(outliers) outlier\(outliers == 1 ? "" : "s") (robust z &gt; \(format(outlierThreshold))).
        Each file's score is the Fréchet distance between its own frames and the reference set.\(fileMetricsNote())</p>

        """
        page += histogramSVG(scores: scores, outlierCut: outlierCutoff())
        page += "<table><tr><th>#</th><th>file</th><th>per-song FAD</th><th>robust z</th><th>KAD</th><th>k-NN distance</th><th>in reference</th><th>frames</th><th>top tags</th><th>listen</th></tr>\n"
        let folder = reportURL.deletingLastPathComponent().standardizedFileURL
        for (i, row) in rows.enumerated() {
            let tags = row.topTags.map { "\(escape($0.label)) \(String(format: "%.2f", $0.probability))" }.joined(separator: ", ")
            let src = relativePath(from: folder, to: URL(fileURLWithPath: row.path).standardizedFileURL)
            page += "<tr\(row.isOutlier ? " class=\"outlier\"" : "")><td class=\"num\">\(i + 1)</td><td>\(escape(row.key))</td>"
                + "<td class=\"num\">\(format(row.fad))</td><td class=\"num\">\(row.robustZ.map(format) ?? "-")</td>"
                + "<td class=\"num\">\(row.kad.map(format) ?? "-")</td><td class=\"num\">\(row.knnDistance.map(format) ?? "-")</td>"
                + "<td\(row.insideReference == false ? " class=\"off\"" : "")>\(row.insideReference.map { $0 ? "yes" : "no" } ?? "-")</td>"
                + "<td class=\"num\">\(row.frames)</td><td>\(tags)</td>"
                + "<td><audio controls preload=\"none\" src=\"\(escape(src))\"></audio></td></tr>\n"
        }
        page += "</table>\n"
        if !failures.isEmpty {
            page += "<h2>Files not scored</h2><ul>\n" + failures.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
        }
        return page + "</body></html>\n"
    }

    private func fileMetricsNote() -> String {
        guard let m = fileMetrics else { return "" }
        let sigma = m.kadBandwidth.map { "\(format($0)), \(escape(m.kadBandwidthSource))" } ?? "each file's own median distance"
        let precision = m.kadPrecision.map { ", \(escape($0)) inner products" } ?? ""
        var note = " KAD: the file's frames against all reference frames (bandwidth \(sigma)\(precision))."
        if let k = m.k {
            note += " k-NN distance: from the file's \(escape(m.pooling))-pooled embedding to its k-th nearest reference file (k = \(k));"
                + " \"in reference\" = inside some reference file's \(k)-NN ball (the precision criterion of Kynkäänniemi et al.)."
        }
        if let why = m.knnUnavailable { note += " k-NN columns: \(escape(why))." }
        if let why = m.kadUnavailable { note += " KAD column: \(escape(why))." }
        return note
    }

    /// The smallest flagged score, to draw the outlier boundary.
    private func outlierCutoff() -> Double? {
        rows.filter(\.isOutlier).map(\.fad).min()
    }

    private func histogramSVG(scores: [Double], outlierCut: Double?) -> String {
        guard let lo = scores.min(), let hi = scores.max() else { return "" }
        let width = 640.0, height = 200.0, left = 40.0, bottom = 30.0
        let binCount = max(5, min(40, Int(Double(scores.count).squareRoot() * 2)))
        let span = hi > lo ? hi - lo : 1
        var bins = [Int](repeating: 0, count: binCount)
        var outlierBins = [Int](repeating: 0, count: binCount)
        for (s, row) in zip(scores, rows) {
            let b = min(binCount - 1, Int((s - lo) / span * Double(binCount)))
            bins[b] += 1
            if row.isOutlier { outlierBins[b] += 1 }
        }
        let tallest = Double(bins.max() ?? 1)
        let barWidth = (width - left) / Double(binCount)
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height + bottom))\" viewBox=\"0 0 \(Int(width)) \(Int(height + bottom))\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Distribution of per-song FAD\">\n"
        svg += "<line x1=\"\(left)\" y1=\"\(height)\" x2=\"\(width)\" y2=\"\(height)\" stroke=\"#333\"/>\n"
        for b in 0..<binCount where bins[b] > 0 {
            let x = left + Double(b) * barWidth
            let h = Double(bins[b]) / tallest * (height - 10)
            let hOut = Double(outlierBins[b]) / tallest * (height - 10)
            svg += "<rect x=\"\(format(x + 1))\" y=\"\(format(height - h))\" width=\"\(format(barWidth - 2))\" height=\"\(format(h))\" fill=\"#6b8fc7\"><title>\(bins[b]) files</title></rect>\n"
            if hOut > 0 {
                svg += "<rect class=\"outlier\" x=\"\(format(x + 1))\" y=\"\(format(height - hOut))\" width=\"\(format(barWidth - 2))\" height=\"\(format(hOut))\" fill=\"#d9534f\"><title>\(outlierBins[b]) outliers</title></rect>\n"
            }
        }
        if let cut = outlierCut {
            let x = left + (cut - lo) / span * (width - left)
            svg += "<line x1=\"\(format(x))\" y1=\"0\" x2=\"\(format(x))\" y2=\"\(height)\" stroke=\"#d9534f\" stroke-dasharray=\"4 3\"/>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(height + 20)\" font-size=\"12\">\(format(lo))</text>\n"
        svg += "<text x=\"\(width)\" y=\"\(height + 20)\" font-size=\"12\" text-anchor=\"end\">\(format(hi))</text>\n"
        svg += "<text x=\"\((left + width) / 2)\" y=\"\(height + 20)\" font-size=\"12\" text-anchor=\"middle\">per-song FAD (outliers in red)</text>\n"
        svg += "<text x=\"4\" y=\"12\" font-size=\"12\">\(Int(tallest))</text>\n"
        return svg + "</svg>\n"
    }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

func format(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    return abs(x) >= 1000 || (abs(x) < 0.01 && x != 0) ? String(format: "%.3g", x) : String(format: "%.3f", x)
}

/// A CSV field, quoted when it holds a comma, quote or newline.
public func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// `to` relative to the folder `from`, percent-encoded for an HTML attribute.
func relativePath(from folder: URL, to file: URL) -> String {
    let a = folder.pathComponents, b = file.pathComponents
    var common = 0
    while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
    let parts = Array(repeating: "..", count: a.count - common) + b[common...]
    let path = parts.joined(separator: "/")
    return path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
}

/// How the per-song report's per-file KAD and k-NN columns were computed.
public struct PerSongFileMetrics: Codable, Sendable, Equatable {
    /// σ of the KAD kernel; nil when each file's own median was used (`generated`).
    public var kadBandwidth: Double?
    public var kadBandwidthSource: String
    /// Arithmetic of the per-file KAD's inner products ("float32" or "float64").
    public var kadPrecision: String?
    /// k of the k-NN columns, nil when they could not be computed.
    public var k: Int?
    public var pooling: String
    /// Why the k-NN columns are empty.
    public var knnUnavailable: String?
    /// Why the KAD column is empty.
    public var kadUnavailable: String?
    public init(kadBandwidth: Double?, kadBandwidthSource: String, kadPrecision: String? = nil, k: Int?, pooling: String,
                knnUnavailable: String?, kadUnavailable: String? = nil) {
        self.kadBandwidth = kadBandwidth; self.kadBandwidthSource = kadBandwidthSource; self.kadPrecision = kadPrecision; self.k = k
        self.pooling = pooling; self.knnUnavailable = knnUnavailable; self.kadUnavailable = kadUnavailable
    }
}
