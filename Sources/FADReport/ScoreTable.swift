import FADMetrics
import Foundation

extension ScoreReport {
    /// The terminal table: one row per generated set.
    public func table() -> String {
        var header = ["set", "files", "frames", "FAD"]
        let anyCI = sets.contains { $0.fad?.details.confidenceInterval != nil }
        let anyInf = sets.contains { $0.fadInf != nil }
        let anyKL = sets.contains { $0.kl != nil }
        let anyIS = sets.contains { $0.inceptionScore != nil }
        let anyKID = sets.contains { $0.kid != nil }
        if anyCI { header.append("FAD 95% CI") }
        if anyInf { header += ["FAD-inf", "R^2"] }
        if anyKL { header.append("KL") }
        if anyIS { header.append("IS") }
        if anyKID { header.append("KID") }
        let anyKAD = sets.contains { $0.kad != nil }
        let anyKADInf = sets.contains { $0.kadInf != nil }
        let anyMAD = sets.contains { $0.mad != nil }
        let anyPRDC = sets.contains { $0.prdc != nil }
        if anyKAD { header.append("KAD") }
        if anyKADInf { header.append("KAD-inf") }
        if anyMAD { header.append("MAD") }
        if anyPRDC { header += ["prec", "recall", "density", "cover"] }
        var rows: [[String]] = [header]
        for s in sets {
            var row = [s.set.path, "\(s.set.files)", "\(s.set.frames)", s.fad.map { $0.value.map(format) ?? "n/a" } ?? "-"]
            if anyCI { row.append(s.fad?.details.confidenceInterval.map { "\(format($0.low))-\(format($0.high))" } ?? "-") }
            if anyInf {
                row.append((s.fadInf?.result?.value).map(format) ?? "n/a")
                row.append((s.fadInf?.result?.rSquared).map { String(format: "%.3f", $0) } ?? "-")
            }
            if anyKL { row.append((s.kl?.result?.value).map(format) ?? "n/a") }
            if anyIS { row.append((s.inceptionScore?.result?.mean).map(format) ?? "n/a") }
            if anyKID { row.append((s.kid?.result?.mean).map(format) ?? "n/a") }
            if anyKAD { row.append((s.kad?.result?.value).map(format) ?? "n/a") }
            if anyKADInf { row.append((s.kadInf?.result?.value).map(format) ?? "n/a") }
            if anyMAD { row.append((s.mad?.result?.mad).map(format) ?? "n/a") }
            if anyPRDC {
                for v in [s.prdc?.result?.precision, s.prdc?.result?.recall, s.prdc?.result?.density, s.prdc?.result?.coverage] {
                    row.append(v.map { String(format: "%.3f", $0) } ?? "n/a")
                }
            }
            rows.append(row)
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = "model \(model.name), layer \(model.layer); reference \(reference.path): \(reference.files) files, \(reference.frames) frames\n"
        for (i, row) in rows.enumerated() {
            out += zip(row, widths).enumerated().map { c, pair in
                c == 0 ? pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: pair.1 - pair.0.count) + pair.0
            }.joined(separator: "  ") + "\n"
            if i == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        var notes: [String] = []
        for s in sets {
            for (metric, error) in s.metricFailures { notes.append("\(s.set.path): \(metric): \(error.message)") }
            if let kad = s.kad?.result {
                notes.append("\(s.set.path): KAD bandwidth \(format(kad.bandwidth)) (\(kad.bandwidthSource))")
            }
            if let mad = s.mad, let m = mad.result {
                notes.append("\(s.set.path): MAD on \(mad.details.pooling.rawValue)-pooled file vectors, \(m.clusters) clusters, \(m.pcaComponents) PCA components")
            }
            if let prdc = s.prdc, prdc.result != nil, let outside = prdc.details.outsideReference, !outside.isEmpty {
                notes.append("\(s.set.path): \(outside.count) file(s) outside the reference manifold (k = \(prdc.details.options.k)): \(outside.prefix(5).joined(separator: ", "))\(outside.count > 5 ? ", ..." : "")")
            }
            if let ci = s.fad?.details.confidenceInterval, ci.method != "BCa" {
                notes.append("\(s.set.path): \(ci.resamplesBelowEstimate) of \(ci.resamples) bootstrap resamples fall below FAD (too few or too different files), so the CI is the resamples' spread shifted onto the estimate, not BCa")
            }
            if let kid = s.kid?.result, kid.identicalSubsets { notes.append("\(s.set.path): KID subsets hold all \(kid.subsetSize) frames, so they are identical and its std is 0") }
            if let kl = s.kl?.result, !kl.unpairedGenerated.isEmpty || !kl.unpairedReference.isEmpty {
                notes.append("\(s.set.path): KL paired \(kl.pairs) files; unpaired: \(kl.unpairedGenerated.count) generated, \(kl.unpairedReference.count) reference")
            }
            if !s.set.failures.isEmpty { notes.append("\(s.set.path): skipped \(s.set.failures.count) unreadable file(s)") }
        }
        if !reference.failures.isEmpty { notes.append("\(reference.path): skipped \(reference.failures.count) unreadable file(s)") }
        return out + notes.map { "note: \($0)\n" }.joined()
    }

    /// One CSV row per generated set.
    public func csv() -> String {
        var out = "set,files,frames,fad,fad_ci_low,fad_ci_high,fad_inf,fad_inf_r2,kl,is_mean,is_std,kid_mean,kid_std,kad,kad_bandwidth,kad_inf,mad,mauve,precision,recall,density,coverage\n"
        func v(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        for s in sets {
            out += [csvField(s.set.path), "\(s.set.files)", "\(s.set.frames)", v(s.fad?.value),
                    v(s.fad?.details.confidenceInterval?.low), v(s.fad?.details.confidenceInterval?.high),
                    v(s.fadInf?.result?.value), v(s.fadInf?.result?.rSquared), v(s.kl?.result?.value),
                    v(s.inceptionScore?.result?.mean), v(s.inceptionScore?.result?.std), v(s.kid?.result?.mean), v(s.kid?.result?.std),
                    v(s.kad?.result?.value), v(s.kad?.result?.bandwidth), v(s.kadInf?.result?.value), v(s.mad?.result?.mad), v(s.mad?.result?.mauve),
                    v(s.prdc?.result?.precision), v(s.prdc?.result?.recall), v(s.prdc?.result?.density), v(s.prdc?.result?.coverage)]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}
