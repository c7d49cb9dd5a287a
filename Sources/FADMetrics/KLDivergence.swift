import Foundation

/// How classifier logits become the distributions that KL compares.
public enum LabelProbability: String, Codable, Sendable {
    /// `softmax(logits)`: one distribution over the classes.
    case softmax
    /// `sigmoid(logits)` per class, used as if it were a distribution (audioldm_eval's
    /// `kl_sigmoid`: not a Bernoulli KL, and it can be negative).
    case sigmoid
}

/// Which side of the KL divergence is which.
public enum KLDirection: String, Codable, Sendable {
    /// KL(reference ‖ generated) = Σ r (log r - log(g + ε)).
    case referenceToGenerated = "reference||generated"
    /// KL(generated ‖ reference) = Σ g (log g - log(r + ε)).
    case generatedToReference = "generated||reference"
}

/// Named conventions of the reference toolkits (their code read in
/// haoheliu/audioldm_eval `audioldm_eval/metrics/kl.py`, facebookresearch/audiocraft
/// `audiocraft/metrics/kld.py`, Stability-AI/stable-audio-metrics `src/passt_kld.py`).
///
/// All put ε = 1e-6 inside the log of the second argument only (`F.kl_div((q + ε).log(), p)`),
/// treat `p log p` as 0 where p = 0, and average the per-pair sums over pairs.
public enum KLPreset: String, Codable, Sendable, CaseIterable {
    /// audioldm_eval `kullback_leibler_divergence_softmax`: KL(ref ‖ gen), softmax.
    case audioldmSoftmax = "kl_softmax"
    /// audioldm_eval `kullback_leibler_divergence_sigmoid`: the same sum over sigmoids.
    case audioldmSigmoid = "kl_sigmoid"
    /// audiocraft `kld` (= `kld_pq`): KL(ref ‖ gen), softmax; it also reports `kld_qp` (the
    /// reverse) and `kld_both` (their sum), which `KLDivergenceResult` always carries. audiocraft
    /// pairs per window; here each file is one pair (the caller pools windows per file).
    case audiocraft
    /// stable-audio-metrics `passt_kld`: KL(gen ‖ ref), softmax of window-averaged logits.
    case stableAudioMetrics = "stable-audio-metrics"
    /// fad's default: KL(reference ‖ generated) of softmax probabilities with ε added to BOTH
    /// distributions, each renormalised (p' = (p + ε) / (1 + Cε)). Both sides are then proper
    /// distributions, so the value is never negative and is exactly 0 for identical inputs; the
    /// toolkit presets add ε to one side only, which scores identical files -5e-5 (C = 50) and
    /// can go negative. Differs from `audiocraft` by O(ε) otherwise.
    case smoothed

    /// The default: `smoothed`. Use `audiocraft` (or `kl_softmax`) to reproduce published
    /// audiocraft / audioldm_eval numbers.
    public static let `default` = KLPreset.smoothed

    public var probability: LabelProbability { self == .audioldmSigmoid ? .sigmoid : .softmax }
    public var direction: KLDirection { self == .stableAudioMetrics ? .generatedToReference : .referenceToGenerated }
    /// How a file's window logits are aggregated: per window for `audiocraft` (its published
    /// code stacks one probability vector per 10 s segment and averages the KL over segment
    /// pairs), the mean of the window logits for every other preset.
    public var aggregation: KLAggregation { self == .audiocraft ? .perWindow : .meanLogits }
}

/// How the classifier's window logits of each file become the distributions KL compares.
public enum KLAggregation: String, Codable, Sendable, CaseIterable {
    /// One pair per file: the mean of its window logits, then softmax or sigmoid
    /// (stable-audio-metrics `return_probabilities(collect='mean')`).
    case meanLogits = "mean-logits"
    /// One pair per window: probabilities of each window, the i-th window of a reference file
    /// paired with the i-th window of the generated file of the same key, and the KL averaged
    /// over all window pairs of all files (audiocraft `PasstKLDivergenceMetric`: softmax per
    /// segment, `kld_pq_sum / weight`). Windows without a partner (files of different lengths)
    /// are listed as unpaired `key#index`.
    case perWindow = "per-window"
}

/// KL divergence between files' window logits (rows of `[windows][classes]` per file key),
/// aggregated as `aggregation` says, then `klDivergence(reference:generated:preset:epsilon:)`.
///
/// - `meanLogits`: each file's logits are averaged over its windows (in `Double`), one pair
///   per file key.
/// - `perWindow`: pair `key#i` is window i of both files; the result averages over those pairs.
public func klDivergence(referenceWindows: [String: [[Float]]], generatedWindows: [String: [[Float]]],
                         preset: KLPreset = .default, aggregation: KLAggregation,
                         epsilon: Double = 1e-6) throws -> KLDivergenceResult {
    switch aggregation {
    case .meanLogits:
        func mean(_ windows: [[Float]]) throws -> [Float] {
            guard let first = windows.first, windows.allSatisfy({ $0.count == first.count }) else {
                throw MetricsError.invalid("a file has no classifier windows, or windows of different widths")
            }
            var sums = [Double](repeating: 0, count: first.count)
            for w in windows { for c in w.indices { sums[c] += Double(w[c]) } }
            return sums.map { Float($0 / Double(windows.count)) }
        }
        return try klDivergence(reference: referenceWindows.mapValues(mean), generated: generatedWindows.mapValues(mean),
                                preset: preset, epsilon: epsilon)
    case .perWindow:
        // Zero-padded indices keep each file's windows in order in the key-sorted sum.
        func split(_ files: [String: [[Float]]]) -> [String: [Float]] {
            var out: [String: [Float]] = [:]
            for (key, windows) in files {
                for (i, w) in windows.enumerated() { out[key + "#" + String(repeating: "0", count: max(0, 6 - String(i).count)) + String(i)] = w }
            }
            return out
        }
        return try klDivergence(reference: split(referenceWindows), generated: split(generatedWindows),
                                preset: preset, epsilon: epsilon)
    }
}

/// KL divergence between paired classifier outputs.
public struct KLDivergenceResult: Codable, Hashable, Sendable {
    public var preset: KLPreset
    /// The preset's number: `referenceToGenerated` or `generatedToReference`.
    public var value: Double
    /// Mean over pairs of KL(ref ‖ gen).
    public var referenceToGenerated: Double
    /// Mean over pairs of KL(gen ‖ ref).
    public var generatedToReference: Double
    /// Their sum (audiocraft's `kld_both`).
    public var symmetric: Double
    /// Pairs averaged over: files, or windows with `KLAggregation.perWindow`.
    public var pairs: Int
    /// Per pair, in key order: (key, KL in the preset's direction).
    public var perPair: [KLPair]
    /// Keys present on one side only: reported, not silently dropped.
    public var unpairedReference: [String]
    public var unpairedGenerated: [String]
}

public struct KLPair: Codable, Hashable, Sendable {
    public var key: String
    public var value: Double
}

/// KL divergence between the label distributions of reference and generated files paired by
/// key (the caller's choice, e.g. relative path without extension).
///
/// - Parameters:
///   - reference, generated: per-file classifier LOGITS; the preset applies softmax or sigmoid.
///   - epsilon: added to the second argument's probabilities inside the log (1e-6 in every
///     reference toolkit).
/// - Throws: when no key is shared, or a pair's vectors differ in length or hold non-finite values.
public func klDivergence(reference: [String: [Float]], generated: [String: [Float]],
                         preset: KLPreset = .default, epsilon: Double = 1e-6) throws -> KLDivergenceResult {
    let keys = Set(reference.keys).intersection(generated.keys).sorted()
    guard !keys.isEmpty else {
        throw MetricsError.invalid("KL divergence: no file key is present in both reference (\(reference.count)) "
                                   + "and generated (\(generated.count)) sets")
    }
    var forward = 0.0, backward = 0.0
    var perPair: [KLPair] = []
    for key in keys {
        let r = reference[key]!, g = generated[key]!
        guard r.count == g.count, !r.isEmpty else {
            throw MetricsError.invalid("classifier outputs have \(r.count) (reference) and \(g.count) (generated) classes",
                                       subject: key)
        }
        guard r.allSatisfy({ $0.isFinite }), g.allSatisfy({ $0.isFinite }) else {
            throw MetricsError.invalid("classifier outputs contain NaN or infinity", subject: key)
        }
        let p = probabilities(r.map(Double.init), preset.probability)
        let q = probabilities(g.map(Double.init), preset.probability)
        let rg: Double, gr: Double
        if preset == .smoothed {
            rg = smoothedKLSum(p, q, epsilon: epsilon)
            gr = smoothedKLSum(q, p, epsilon: epsilon)
        } else {
            rg = klSum(p, q, epsilon: epsilon)
            gr = klSum(q, p, epsilon: epsilon)
        }
        forward += rg
        backward += gr
        perPair.append(KLPair(key: key, value: preset.direction == .referenceToGenerated ? rg : gr))
    }
    let n = Double(keys.count)
    forward /= n
    backward /= n
    return KLDivergenceResult(
        preset: preset, value: preset.direction == .referenceToGenerated ? forward : backward,
        referenceToGenerated: forward, generatedToReference: backward, symmetric: forward + backward,
        pairs: perPair.count, perPair: perPair,
        unpairedReference: reference.keys.filter { generated[$0] == nil }.sorted(),
        unpairedGenerated: generated.keys.filter { reference[$0] == nil }.sorted())
}

/// `Σ_c p_c (log p_c - log(q_c + ε))`, with `0 · log 0 = 0` (PyTorch's `kl_div`).
public func klSum(_ p: [Double], _ q: [Double], epsilon: Double) -> Double {
    var s = 0.0
    for c in p.indices where p[c] > 0 {
        s += p[c] * (log(p[c]) - log(q[c] + epsilon))
    }
    return s
}

/// KL(p' ‖ q') with p' = (p + ε) / (1 + Cε) and q' likewise, as
/// `Σ_c max(0, p'_c log(p'_c / q'_c) - p'_c + q'_c)`: the terms sum to the KL divergence because
/// Σ p' = Σ q', and each is ≥ 0 mathematically (log x ≤ x - 1), so clipping only removes rounding
/// below zero. The sum is never negative, and exactly 0 when p == q (each term is then
/// p' · log 1 - p' + p' = 0 in floating point too).
public func smoothedKLSum(_ p: [Double], _ q: [Double], epsilon: Double) -> Double {
    let zp = 1 + Double(p.count) * epsilon, zq = 1 + Double(q.count) * epsilon
    var s = 0.0
    for c in p.indices {
        let a = (p[c] + epsilon) / zp, b = (q[c] + epsilon) / zq
        s += max(0, a * log(a / b) - a + b)
    }
    return s
}

func probabilities(_ logits: [Double], _ kind: LabelProbability) -> [Double] {
    switch kind {
    case .softmax:
        let m = logits.max() ?? 0
        let e = logits.map { exp($0 - m) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    case .sigmoid:
        return logits.map { $0 >= 0 ? 1 / (1 + exp(-$0)) : exp($0) / (1 + exp($0)) }
    }
}
