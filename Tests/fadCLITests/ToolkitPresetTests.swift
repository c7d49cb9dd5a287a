import FAD
import XCTest
import _FADTestSupport

/// The toolkit presets: each convention against a script of the toolkit's published code
/// (Tests/Fixtures/scripts/toolkit_conventions_reference.py), then the preset mechanics end to
/// end with the shipped musicnn model standing in for PaSST.
final class ToolkitPresetTests: XCTestCase {
    struct Conventions: Decodable {
        struct Audiocraft: Decodable { let kld: Double; let kld_qp: Double; let kld_both: Double; let pairs: Int }
        struct StableAudioMetrics: Decodable { let kl: Double; let reverse: Double; let pairs: Int }
        let reference: [String: [[Double]]]
        let generated: [String: [[Double]]]
        let audiocraft: Audiocraft
        let stable_audio_metrics: StableAudioMetrics
        let audio: [Double]
        let quiet: [Double]
        let peak_minus_1db_of_quiet: [Double]
        let int16_round_trip: [Double]
    }

    func conventions() throws -> Conventions { try Fixtures.json(Conventions.self, "presets/toolkit_conventions.json") }

    /// The fixture's logits are float32 values, so the conversion is exact.
    func windows(_ files: [String: [[Double]]]) -> [String: [[Float]]] { files.mapValues { $0.map { $0.map(Float.init) } } }

    func testAudiocraftKLIsItsPublishedCode() throws {
        let c = try conventions()
        let preset = try XCTUnwrap(ToolkitPreset.audiocraft.klPreset)
        XCTAssertEqual(preset.aggregation, .perWindow)
        let r = try klDivergence(referenceWindows: windows(c.reference), generatedWindows: windows(c.generated),
                                 preset: preset, aggregation: preset.aggregation)
        // Both sides sum the same float64 terms (softmax of float32 logits, log(q + 1e-6)) in
        // another order: 1e-9 relative is rounding (measured: 0).
        XCTAssertEqual(r.value, c.audiocraft.kld, accuracy: 1e-9 * c.audiocraft.kld)
        XCTAssertEqual(r.referenceToGenerated, c.audiocraft.kld, accuracy: 1e-9 * c.audiocraft.kld)
        XCTAssertEqual(r.generatedToReference, c.audiocraft.kld_qp, accuracy: 1e-9 * c.audiocraft.kld_qp)
        XCTAssertEqual(r.symmetric, c.audiocraft.kld_both, accuracy: 1e-9 * c.audiocraft.kld_both)
        XCTAssertEqual(r.pairs, c.audiocraft.pairs)
        // Windows of a file with no partner are listed, not dropped silently.
        XCTAssertEqual(r.unpairedReference, ["only-in-reference#000000", "only-in-reference#000001"])
        XCTAssertEqual(r.unpairedGenerated, ["only-in-generated#000000"])
    }

    func testStableAudioMetricsKLIsItsPublishedCode() throws {
        let c = try conventions()
        let preset = try XCTUnwrap(ToolkitPreset.stableAudioMetrics.klPreset)
        XCTAssertEqual(preset.aggregation, .meanLogits)
        XCTAssertEqual(preset.direction, .generatedToReference)
        let r = try klDivergence(referenceWindows: windows(c.reference), generatedWindows: windows(c.generated),
                                 preset: preset, aggregation: preset.aggregation)
        // fad rounds each file's mean logits to Float (the precision of the model's logits, as
        // stable-audio-metrics' float32 torch.mean does); the script averages in float64. One
        // float32 ulp of a logit moves the KL by ~1e-7 relative: 1e-6 is that bound (measured: 2e-9, 7e-9).
        XCTAssertEqual(r.value, c.stable_audio_metrics.kl, accuracy: 1e-6 * c.stable_audio_metrics.kl)
        XCTAssertEqual(r.referenceToGenerated, c.stable_audio_metrics.reverse, accuracy: 1e-6 * c.stable_audio_metrics.reverse)
        XCTAssertEqual(r.pairs, c.stable_audio_metrics.pairs)
    }

    /// fadtk windows only CLAP; EncodecEmbModel.load_wav keeps the first 3 minutes, MERTModel
    /// the first 6 (limit_minutes), its other loaders the whole file, never padded.
    func testFadtkWindowsEachModelAsItsLoaderDoes() throws {
        XCTAssertEqual(ToolkitPreset.fadtk.windowing(model: "clap-laion-audio")?.layout, .everyHop)
        let encodec = try XCTUnwrap(ToolkitPreset.fadtk.windowing(model: "encodec-24k"))
        XCTAssertEqual(encodec.layout, .whole)
        XCTAssertEqual(encodec.float16Embeddings, true)
        XCTAssertEqual(encodec.windows(count: 5_000_000, sampleRate: 24_000), [0..<4_320_000])
        XCTAssertEqual(encodec.windows(count: 1_000, sampleRate: 24_000), [0..<1_000])
        XCTAssertFalse(encodec.pads(count: 1_000, windowSamples: 4_320_000))
        let mert = try XCTUnwrap(ToolkitPreset.fadtk.windowing(model: "mert-v1-95m"))
        XCTAssertEqual(mert.windows(count: 10_000_000, sampleRate: 24_000), [0..<8_640_000])
        let other = try XCTUnwrap(ToolkitPreset.fadtk.windowing(model: "vggish"))
        XCTAssertEqual(other.windows(count: 9_999_999, sampleRate: 16_000), [0..<9_999_999])
    }

    func testAudioNormalisationsAreTheToolkits() throws {
        let c = try conventions()
        // fadtk's int16 round trip: exact (the same truncation and divisions in float64).
        let roundTrip = AudioNormalization.int16RoundTrip.apply(c.audio.map(Float.init))
        XCTAssertEqual(roundTrip.map(Double.init), c.int16_round_trip)
        XCTAssertEqual(ToolkitPreset.fadtk.audioNormalization, .int16RoundTrip)
        // The round trip is CLAPLaionModel's; fadtk's other loaders read its 16-bit files as they are.
        XCTAssertEqual(ToolkitPreset.fadtk.audioNormalization(model: "clap-laion-audio"), .int16RoundTrip)
        XCTAssertEqual(ToolkitPreset.fadtk.audioNormalization(model: "encodec-24k"), AudioNormalization.none)
        // pyloudnorm's peak normalisation to -1 dB: the same gain rounded to float32 and the same
        // float32 products; allowed one float32 ulp in case pow and np.power round the gain apart.
        let peak = AudioNormalization.peak(decibels: -1).apply(c.quiet.map(Float.init))
        XCTAssertEqual(peak.count, c.peak_minus_1db_of_quiet.count)
        for (x, e) in zip(peak, c.peak_minus_1db_of_quiet) {
            XCTAssertEqual(Double(x), e, accuracy: Double(Float(e).ulp))
        }
        XCTAssertEqual(Double(peak.map(abs).max() ?? 0), pow(10, -1.0 / 20), accuracy: 1e-7)
        XCTAssertEqual(ToolkitPreset.stableAudioMetrics.audioNormalization, .peak(decibels: -1))
        XCTAssertEqual(AudioNormalization(parsing: "peak:-1dB"), .peak(decibels: -1))
        XCTAssertEqual(AudioNormalization(parsing: "int16"), .int16RoundTrip)
        XCTAssertNil(AudioNormalization(parsing: "peak:3"))
        // Silence stays silence (pyloudnorm would divide by zero).
        XCTAssertEqual(AudioNormalization.peak(decibels: -1).apply([0, 0]), [0, 0])
    }

    // MARK: - End to end

    var work: URL!

    override func setUpWithError() throws { work = try Fixtures.temporaryDirectory("fad-preset") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// A folder holding one short real clip (under a second) as `clip.EXT`, so that the
    /// toolkits' 10 s windows are one zero-padded window each and musicnn runs quickly.
    func folder(_ name: String, clip: String) throws -> String {
        let target = work.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let source = Fixtures.url("audio/\(clip)")
        try FileManager.default.copyItem(at: source, to: target.appendingPathComponent("clip." + source.pathExtension))
        return target.path
    }

    func testWindowingIsTheToolkits() throws {
        struct Windowing: Decodable {
            let windowing_sample_rate: Int
            let windowing: [String: [String: [[Int]]]]
        }
        let w = try Fixtures.json(Windowing.self, "presets/toolkit_conventions.json")
        XCTAssertEqual(w.windowing.count, 10)
        for (count, toolkits) in w.windowing {
            let n = try XCTUnwrap(Int(count))
            for (preset, key) in [(ToolkitPreset.fadtk, "fadtk"), (.audiocraft, "audiocraft"), (.stableAudioMetrics, "stable_audio_metrics"),
                                  (.avBenchmark, "av_benchmark")] {
                let ranges = try XCTUnwrap(preset.windowing).windows(count: n, sampleRate: w.windowing_sample_rate)
                XCTAssertEqual(ranges.map { [$0.lowerBound, $0.count] }, toolkits[key], "\(key), \(n) samples")
            }
        }
    }

    /// kadtk's and MAD's MERT conventions: model, layer, metric; MERT frames the file itself.
    func testMERTPresets() throws {
        let kadtk = try ToolkitPreset.kadtk.options(from: EvaluationOptions())
        XCTAssertEqual(kadtk.model, "mert-v1-95m-kadtk")
        XCTAssertNil(kadtk.layer)
        XCTAssertEqual(kadtk.metrics, [.kad])
        XCTAssertNil(kadtk.clipWindowing)
        let mad = try ToolkitPreset.mad.options(from: EvaluationOptions())
        XCTAssertEqual(mad.model, "mert-v1-330m")
        XCTAssertEqual(mad.layer, "24")
        XCTAssertEqual(mad.metrics, [.mad])
        XCTAssertEqual(mad.madPooling, .max)
        XCTAssertNil(mad.clipWindowing)
        XCTAssertEqual(mad.audioNormalization, .none)
    }

    func testPresetWithoutItsModelIsAClearUsageError() throws {
        for preset in ToolkitPreset.allCases where !ModelRegistry.names.contains(preset.model) {
            let run = try FAD.run(["ref", "gen", "--preset", preset.rawValue, "--no-cache"])
            XCTAssertEqual(run.status, 64, run.stderr)
            XCTAssertTrue(run.stderr.contains("preset '\(preset.rawValue)' uses model '\(preset.model)'"), run.stderr)
        }
        let both = try FAD.run(["ref", "gen", "--preset", "audiocraft", "--kl-preset", "smoothed"])
        XCTAssertEqual(both.status, 64, both.stderr)
    }

    func testPresetMechanicsWithMusicnn() throws {
        let reference = try folder("reference", clip: "wav_f32_stereo_22k.wav")
        let generated = try folder("generated", clip: "flac_s16_stereo_44k.flac")
        let cache = work.appendingPathComponent("cache").path

        // audiocraft's conventions on musicnn: consecutive 10 s segments, unpadded as audiocraft
        // feeds them (here one, shorter than 10 s), each cut into musicnn's own windows; KL per
        // window pair.
        let audiocraft = try FAD.run([reference, generated, "--preset", "audiocraft", "--model", "msd-musicnn",
                                      "--json", "--cache-dir", cache, "--quiet"])
        XCTAssertEqual(audiocraft.status, 0, audiocraft.stderr)
        let a = try audiocraft.json()
        let preset = try XCTUnwrap(a["preset"] as? [String: Any])
        XCTAssertEqual(preset["name"] as? String, "audiocraft")
        XCTAssertEqual(preset["presetModel"] as? String, "passt")
        XCTAssertEqual(preset["model"] as? String, "msd-musicnn")
        XCTAssertEqual(preset["audioNormalization"] as? String, "none")
        XCTAssertEqual(preset["klPreset"] as? String, "audiocraft")
        XCTAssertEqual(preset["klAggregation"] as? String, "per-window")
        XCTAssertEqual(preset["klDirection"] as? String, "reference||generated")
        XCTAssertEqual(preset["metrics"] as? [String], ["kld"])
        XCTAssertEqual(preset["windows"] as? String, "consecutive")
        XCTAssertEqual(preset["windowSeconds"] as? Double, 10)
        XCTAssertEqual(preset["hopSeconds"] as? Double, 10)
        let setA = try XCTUnwrap((a["sets"] as? [[String: Any]])?.first)
        XCTAssertNil(setA["fad"], "the preset reports KL only")
        let klA = try XCTUnwrap(setA["kl"] as? [String: Any])
        XCTAssertNil(klA["error"], "\(klA)")
        XCTAssertEqual(klA["aggregation"] as? String, "per-window")
        // One pair per window: the short unpadded segment is one musicnn window (zero-padded to
        // 10 s it would be several).
        let pairsA = try XCTUnwrap(klA["pairs"] as? Int)
        XCTAssertEqual(pairsA, 1)
        XCTAssertEqual((klA["perPair"] as? [[String: Any]])?.count, pairsA)

        // stable-audio-metrics': half-window hop, peak -1 dB, KL(gen || ref) of mean logits.
        let sam = try FAD.run([reference, generated, "--preset", "stable-audio-metrics", "--model", "msd-musicnn",
                               "--json", "--cache-dir", cache, "--quiet"])
        XCTAssertEqual(sam.status, 0, sam.stderr)
        let s = try sam.json()
        let presetS = try XCTUnwrap(s["preset"] as? [String: Any])
        XCTAssertEqual(presetS["audioNormalization"] as? String, "peak:-1.0dB")
        XCTAssertEqual(presetS["klDirection"] as? String, "generated||reference")
        XCTAssertEqual(presetS["windows"] as? String, "stable-audio-metrics")
        XCTAssertEqual(presetS["hopSeconds"] as? Double, 5)
        let klS = try XCTUnwrap((s["sets"] as? [[String: Any]])?.first?["kl"] as? [String: Any])
        XCTAssertEqual(klS["pairs"] as? Int, 1)
        XCTAssertEqual(klS["aggregation"] as? String, "mean-logits")
        let value = try XCTUnwrap(klS["value"] as? Double)
        XCTAssertEqual(klS["generatedToReference"] as? Double, value)
        // The peak-normalised audio is embedded under its own recipe: no cache hit from the
        // un-normalised run, so the normalisation reached the model.
        XCTAssertEqual((s["reference"] as? [String: Any])?["cachedFiles"] as? Int, 0)

        // fadtk with a model other than CLAP: its loaders' whole-file pass (the model's own
        // windows), no int16 round trip (CLAP's), float16 embeddings, FAD.
        let fadtk = try FAD.run([reference, generated, "--preset", "fadtk", "--model", "msd-musicnn",
                                 "--json", "--cache-dir", cache, "--quiet"])
        XCTAssertEqual(fadtk.status, 0, fadtk.stderr)
        let f = try fadtk.json()
        let presetF = try XCTUnwrap(f["preset"] as? [String: Any])
        XCTAssertEqual(presetF["audioNormalization"] as? String, "none")
        XCTAssertEqual(presetF["windows"] as? String, "whole")
        XCTAssertEqual(presetF["float16Embeddings"] as? Bool, true)
        XCTAssertEqual(presetF["metrics"] as? [String], ["fad"])
        let setF = try XCTUnwrap((f["sets"] as? [[String: Any]])?.first)
        XCTAssertNotNil((setF["fad"] as? [String: Any])?["value"] as? Double)
        XCTAssertNil(setF["kl"])
    }
}
