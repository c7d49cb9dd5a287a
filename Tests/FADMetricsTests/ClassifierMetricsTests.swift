import FADArrays
import FADMetrics
import Foundation
import XCTest
import _FADTestSupport

final class KLDivergenceTests: XCTestCase {
    func logits(_ side: String) -> [String: [Float]] {
        let k = section("kl")[side] as! [String: [NSNumber]]
        return k.mapValues { $0.map(\.floatValue) }
    }

    func testPresetsMatchTheAnchorsFormulas() throws {
        // numpy float64 reimplementations of audioldm_eval kl.py, audiocraft kld.py and
        // stable-audio-metrics passt_kld.py on the same float32 logits: 1e-9 relative
        // (both sides are float64; only summation order differs).
        let k = section("kl")
        let ref = logits("reference"), gen = logits("generated")
        let soft = try klDivergence(reference: ref, generated: gen, preset: .audioldmSoftmax)
        XCTAssertLessThan(relativeError(soft.value, number(k["kl_softmax"])), 1e-9)
        let sig = try klDivergence(reference: ref, generated: gen, preset: .audioldmSigmoid)
        XCTAssertLessThan(relativeError(sig.value, number(k["kl_sigmoid"])), 1e-9)
        XCTAssertLessThan(relativeError(sig.generatedToReference, number(k["sigmoid_reverse"])), 1e-9)
        let ac = try klDivergence(reference: ref, generated: gen, preset: .audiocraft)
        XCTAssertLessThan(relativeError(ac.value, number(k["audiocraft_kld_pq"])), 1e-9)
        XCTAssertLessThan(relativeError(ac.generatedToReference, number(k["audiocraft_kld_qp"])), 1e-9)
        XCTAssertLessThan(relativeError(ac.symmetric, number(k["audiocraft_kld_both"])), 1e-9)
        for (pair, expected) in zip(ac.perPair, k["audiocraft_per_pair"] as! [NSNumber]) {
            XCTAssertLessThan(relativeError(pair.value, expected.doubleValue), 1e-9, pair.key)
        }
        let sam = try klDivergence(reference: ref, generated: gen, preset: .stableAudioMetrics)
        XCTAssertLessThan(relativeError(sam.value, number(k["stable_audio_metrics"])), 1e-9)
        for (pair, expected) in zip(sam.perPair, k["stable_audio_metrics_per_pair"] as! [NSNumber]) {
            XCTAssertLessThan(relativeError(pair.value, expected.doubleValue), 1e-9, pair.key)
        }
        // Issue 15 changed the default from `.audiocraft` to `.smoothed` on purpose (never
        // negative, exactly 0 for identical inputs); the audiocraft preset above is unchanged.
        XCTAssertEqual(KLPreset.default, .smoothed)
    }

    func testDefaultIsZeroForIdenticalInputsAndNeverNegative() throws {
        let ref = logits("reference")
        // The audiocraft preset: ε on one side only, so identical files score below zero.
        let audiocraft = try klDivergence(reference: ref, generated: ref, preset: .audiocraft)
        XCTAssertLessThan(audiocraft.value, 0)
        let smoothed = try klDivergence(reference: ref, generated: ref)
        XCTAssertEqual(smoothed.preset, .smoothed)
        XCTAssertEqual(smoothed.value, 0)
        XCTAssertEqual(smoothed.generatedToReference, 0)
        XCTAssertTrue(smoothed.perPair.allSatisfy { $0.value == 0 })
        // Nearly identical and sharply peaked distributions, where one-sided ε goes negative.
        var generator = SeededGenerator(seed: 9)
        for _ in 0..<200 {
            let a = (0..<50).map { _ in Float(generator.uniformDouble() * 40 - 20) }
            let b = a.map { $0 + Float(generator.uniformDouble() * 1e-3) }
            let r = try klDivergence(reference: ["x": a], generated: ["x": b])
            XCTAssertGreaterThanOrEqual(r.value, 0)
            XCTAssertGreaterThanOrEqual(r.generatedToReference, 0)
        }
        // Away from ties it is the usual KL up to O(ε).
        let gen = logits("generated")
        let s = try klDivergence(reference: ref, generated: gen), a = try klDivergence(reference: ref, generated: gen, preset: .audiocraft)
        XCTAssertLessThan(abs(s.value - a.value), 1e-3 * max(1, abs(a.value)))
    }

    func testUnpairedKeysAreListed() throws {
        let r = try klDivergence(reference: logits("reference"), generated: logits("generated"))
        XCTAssertEqual(r.perPair.count, 7)
        XCTAssertEqual(r.unpairedReference, ["only_ref"])
        XCTAssertEqual(r.unpairedGenerated, ["only_gen_a", "only_gen_b"])
        XCTAssertThrowsError(try klDivergence(reference: ["a": [1, 2]], generated: ["b": [1, 2]])) {
            XCTAssertTrue("\($0)".contains("no file key is present in both"), "\($0)")
        }
        XCTAssertThrowsError(try klDivergence(reference: ["a": [1, 2]], generated: ["a": [1, 2, 3]])) {
            XCTAssertTrue("\($0)".hasPrefix("a: classifier outputs have 2 (reference) and 3"), "\($0)")
        }
    }

    func testStableAudioMetricsOwnChecks() throws {
        // stable-audio-metrics src/test_kld.py: KL(P||Q) without epsilon = 0.589885181619163 and
        // 1.3356800935337299 (scipy rel_entr). 1e-12 relative: a 3–8 term float64 sum.
        let p1 = [0.05, 0.1, 0.2, 0.05, 0.15, 0.25, 0.08, 0.12], q1 = [0.3, 0.1, 0.2, 0.1, 0.1, 0.02, 0.08, 0.1]
        XCTAssertLessThan(relativeError(klSum(p1, q1, epsilon: 0), 0.589885181619163), 1e-12)
        let p2 = [0.10, 0.40, 0.50], q2 = [0.80, 0.15, 0.05]
        XCTAssertLessThan(relativeError(klSum(p2, q2, epsilon: 0), 1.3356800935337299), 1e-12)
        // Through the public API: logits log P give softmax = P (to rounding), KL(gen || ref).
        let r = try klDivergence(reference: ["x": q1.map { Float(log($0)) }], generated: ["x": p1.map { Float(log($0)) }],
                                 preset: .stableAudioMetrics, epsilon: 0)
        // float32 logits: ~1e-7 relative perturbation of the probabilities.
        XCTAssertLessThan(relativeError(r.value, 0.589885181619163), 1e-6)
    }
}

final class InceptionScoreTests: XCTestCase {
    func testWorkedExample() throws {
        // METRICS.md: four probability rows, one split -> 1.509877520123136 (1e-10 relative).
        let p = Matrix<Double>(rows: 4, columns: 3, values: [0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.05, 0.15, 0.8, 0.33, 0.33, 0.34])
        let r = try inceptionScore(p, options: InceptionScoreOptions(splits: 1, shuffle: false, input: .probabilities))
        XCTAssertLessThan(relativeError(r.mean, 1.509877520123136), 1e-10)
        XCTAssertEqual(r.splitScores.count, 1)
    }

    func testMatchesTorchmetricsAndAudioldmEval() throws {
        // Same float64 logits and the same shuffles (stored by the script): 1e-9 relative.
        let s = section("inception")
        let logits = try Fixtures.npy("metrics/is_logits.npy").matrix(of: Double.self)
        let tm = try inceptionScore(logits, order: s["torchmetrics_perm"] as! [Int], options: .torchmetrics)
        XCTAssertLessThan(relativeError(tm.mean, number(s["torchmetrics_mean"])), 1e-9)
        XCTAssertLessThan(relativeError(tm.std, number(s["torchmetrics_std"])), 1e-9)
        let ald = try inceptionScore(logits, order: s["audioldm_perm"] as! [Int], options: .audioldmEval)
        XCTAssertLessThan(relativeError(ald.mean, number(s["audioldm_mean"])), 1e-9)
        XCTAssertLessThan(relativeError(ald.std, number(s["audioldm_std"])), 1e-9)
        XCTAssertEqual(ald.splitScores.count, 10)
        // torch.chunk of 53 rows into 10: chunks of 6 -> 9 splits.
        XCTAssertEqual(tm.splitScores.count, 9)
    }

    func testSeededShuffleIsReproducible() throws {
        let logits = try Fixtures.npy("metrics/is_logits.npy").matrix(of: Double.self)
        let a = try inceptionScore(logits, options: InceptionScoreOptions(seed: 1))
        XCTAssertEqual(a, try inceptionScore(logits, options: InceptionScoreOptions(seed: 1)))
        XCTAssertNotEqual(a.std, try inceptionScore(logits, options: InceptionScoreOptions(seed: 2)).std)
    }
}

final class KIDTests: XCTestCase {
    func testMatchesTorchmetricsOnTheSameDraws() throws {
        // torchmetrics KernelInceptionDistance on float64 features, its randperm draws stored:
        // mean and std (ddof 0) to 1e-9 relative.
        let k = section("kid")
        let real = try Fixtures.npy("metrics/kid_real.npy").matrix(of: Float.self)
        let fake = try Fixtures.npy("metrics/kid_fake.npy").matrix(of: Float.self)
        let draws = (k["draws"] as! [[[Int]]]).map { (reference: $0[0], generated: $0[1]) }
        let r = try kernelInceptionDistance(reference: real, generated: fake, subsets: draws)
        XCTAssertLessThan(relativeError(r.mean, number(k["mean"])), 1e-9)
        XCTAssertLessThan(relativeError(r.std, number(k["std"])), 1e-9)
        XCTAssertEqual(r.subsetSize, 20)
    }

    func testClampingIsFlagged() throws {
        let real = try Fixtures.npy("metrics/kid_real.npy").matrix(of: Float.self)
        let fake = try Fixtures.npy("metrics/kid_fake.npy").matrix(of: Float.self)
        let a = try kernelInceptionDistance(reference: real, generated: fake, options: KIDOptions(subsets: 5))
        XCTAssertTrue(a.clamped)
        XCTAssertEqual(a.subsetSize, 35)
        XCTAssertFalse(a.identicalSubsets)
        let same = try kernelInceptionDistance(reference: real.selectingRows(0..<35), generated: fake, options: KIDOptions(subsets: 4))
        XCTAssertTrue(same.identicalSubsets)
        // Every subset is the whole of both sets: identical values up to summation order.
        XCTAssertLessThan(same.std, 1e-12)
        let seeded = try kernelInceptionDistance(reference: real, generated: fake, options: KIDOptions(subsets: 5, subsetSize: 10, seed: 9))
        XCTAssertFalse(seeded.clamped)
        XCTAssertEqual(seeded, try kernelInceptionDistance(reference: real, generated: fake,
                                                           options: KIDOptions(subsets: 5, subsetSize: 10, seed: 9)))
    }
}
