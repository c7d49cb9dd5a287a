import Foundation

extension ScoreReport {
    /// The terminal table: one row per generated set.
    public func table() -> String {
        var header = ["set", "files", "frames", "FAD"]
        let anyCI = sets.contains { $0.fad?.confidenceInterval != nil }
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
            var row = [s.set.path, "\(s.set.files)", "\(s.set.frames)", s.fad.map { format($0.value) } ?? "-"]
            if anyCI { row.append(s.fad?.confidenceInterval.map { "\(format($0.low))-\(format($0.high))" } ?? "-") }
            if anyInf {
                row.append(s.fadInf?.value.map(format) ?? "n/a")
                row.append(s.fadInf?.rSquared.map { String(format: "%.3f", $0) } ?? "-")
            }
            if anyKL { row.append(s.kl?.value.map(format) ?? "n/a") }
            if anyIS { row.append(s.inceptionScore?.mean.map(format) ?? "n/a") }
            if anyKID { row.append(s.kid?.mean.map(format) ?? "n/a") }
            if anyKAD { row.append(s.kad?.value.map(format) ?? "n/a") }
            if anyKADInf { row.append(s.kadInf?.value.map(format) ?? "n/a") }
            if anyMAD { row.append(s.mad?.value.map(format) ?? "n/a") }
            if anyPRDC {
                for v in [s.prdc?.precision, s.prdc?.recall, s.prdc?.density, s.prdc?.coverage] {
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
            if let e = s.fadInf?.error { notes.append("\(s.set.path): FAD-inf: \(e)") }
            if let e = s.kl?.error { notes.append("\(s.set.path): KL: \(e)") }
            if let e = s.inceptionScore?.error { notes.append("\(s.set.path): IS: \(e)") }
            if let e = s.kid?.error { notes.append("\(s.set.path): KID: \(e)") }
            if let e = s.kad?.error { notes.append("\(s.set.path): KAD: \(e)") }
            if let e = s.kadInf?.error { notes.append("\(s.set.path): KAD-inf: \(e)") }
            if let e = s.mad?.error { notes.append("\(s.set.path): MAD: \(e)") }
            if let e = s.prdc?.error { notes.append("\(s.set.path): PRDC: \(e)") }
            if let kad = s.kad, let sigma = kad.bandwidth {
                notes.append("\(s.set.path): KAD bandwidth \(format(sigma)) (\(kad.bandwidthSource))")
            }
            if let mad = s.mad, mad.value != nil {
                notes.append("\(s.set.path): MAD on \(mad.pooling)-pooled file vectors, \(mad.clusters ?? 0) clusters, \(mad.pcaComponents ?? 0) PCA components")
            }
            if let prdc = s.prdc, let outside = prdc.outsideReference, !outside.isEmpty {
                notes.append("\(s.set.path): \(outside.count) file(s) outside the reference manifold (k = \(prdc.k)): \(outside.prefix(5).joined(separator: ", "))\(outside.count > 5 ? ", ..." : "")")
            }
            if let ci = s.fad?.confidenceInterval, ci.method != "BCa" {
                notes.append("\(s.set.path): \(ci.resamplesBelowEstimate ?? 0) of \(ci.resamples) bootstrap resamples fall below FAD (too few or too different files), so the CI is the resamples' spread shifted onto the estimate, not BCa")
            }
            if let kid = s.kid, kid.identicalSubsets { notes.append("\(s.set.path): KID subsets hold all \(kid.subsetSize) frames, so they are identical and its std is 0") }
            if let kl = s.kl, !kl.unpairedGenerated.isEmpty || !kl.unpairedReference.isEmpty {
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
                    v(s.fad?.confidenceInterval?.low), v(s.fad?.confidenceInterval?.high),
                    v(s.fadInf?.value), v(s.fadInf?.rSquared), v(s.kl?.value),
                    v(s.inceptionScore?.mean), v(s.inceptionScore?.std), v(s.kid?.mean), v(s.kid?.std),
                    v(s.kad?.value), v(s.kad?.bandwidth), v(s.kadInf?.value), v(s.mad?.value), v(s.mad?.mauve),
                    v(s.prdc?.precision), v(s.prdc?.recall), v(s.prdc?.density), v(s.prdc?.coverage)]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}
