// `fad-bench mert [--size 95m|330m] [--seconds S] [--repeats R] [--threads T] [--minutes M]
//                 [--limit-seconds C] [--clips N] [--reference DIR] [--python PY] [--no-reference]`
//
// MERT-v1 (every hidden state, as `output_hidden_states=True` computes them) on one clip: fad's
// `MERT.hiddenStates` against m-a-p's `MERTModel` (modeling_MERT.py from DIR, default
// /tmp/mert_ref; transformers 4.46.3) in PyTorch, float32, `torch.no_grad`,
// `torch.set_num_threads(T)`, same clip length and threads, same run: audio-s/s (medians), % of
// the OpenBLAS SGEMM 2048^3 rate measured just before on the same threads, peak RSS of each.
// Then the peak RSS of fad on a 1-minute and an M-minute file (default 20; 0 skips both) through the runner's
// path (`windows(of:)`, which cuts files at the limit: fadtk's 6 minutes by default, C seconds
// with --limit-seconds, since attention over 6 minutes takes minutes per file).
//
// Set mode (`--clips N`, default 4; 0 skips it): N clips of S seconds as `fad` runs a set
// (`timeAsSet`: a file per worker through `EmbeddingExtractor`, every hidden state, checked bit
// for bit against the 1-thread run) against `MERTModel` running the same number of clips one
// after another with `torch.set_num_threads(T)`, as fadtk's loop does: audio-s/s by wall clock
// and per CPU-second, peak RSS.
//
// Weights are arbitrary values in the imported layout (speed does not depend on them).
import Foundation
import FADModels
import FADNN

func runMERTBenchmarks(arguments: [String]) throws {
    var seconds = 10, repeats = 3, minutes = 20, clips = 4
    var size = MERT.Size.base
    var limitSeconds: Int?
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var python: String? = "/tmp/ref/bin/python"
    var reference = "/tmp/mert_ref"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--size":
            guard let s = MERT.Size(rawValue: "mert-v1-" + (iterator.next() ?? "")) else { throw BenchmarkError("--size is 95m or 330m") }
            size = s
        case "--seconds": seconds = Int(iterator.next() ?? "") ?? seconds
        case "--repeats": repeats = Int(iterator.next() ?? "") ?? repeats
        case "--threads": threads = Int(iterator.next() ?? "") ?? threads
        case "--minutes": minutes = Int(iterator.next() ?? "") ?? minutes
        case "--limit-seconds": limitSeconds = Int(iterator.next() ?? "")
        case "--clips": clips = Int(iterator.next() ?? "") ?? clips
        case "--reference": reference = iterator.next() ?? reference
        case "--python": python = iterator.next()
        case "--no-reference": python = nil
        default: throw BenchmarkError("unknown argument \(argument)")
        }
    }
    threads = max(1, threads)
    let rate = MERT.sampleRate
    resetPeakResident()
    let spec = try ModelRegistry.spec(size.rawValue)
    let loaded = try NetworkModel<MERT>(spec: spec, weights: ModelWeights(benchmarkWeights(MERT.importSpec(size)), path: "benchmark", digest: "benchmark"),
                                        labels: [])
    var model = loaded.network
    let clip = pseudoRandom(seconds * rate, seed: 7, scale: 0.6, offset: -0.3)
    let flops = model.flops(samples: clip.count)
    let all = Set(0...size.layers)
    print(String(format: "%@, every hidden state: %d s clip, %.2f GFLOP per audio-second, medians of %d runs",
                 size.rawValue, seconds, flops / 1e9 / Double(seconds), repeats))
    print("threads | fad audio-s/s  %SGEMM  (SGEMM GFLOP/s) | PyTorch audio-s/s  %SGEMM | fad/PyTorch")
    var counts = [1]
    if threads > 1 { counts.append(threads) }
    for t in counts {
        let sgemm = sgemmGFLOPs(threads: t, repeats: repeats)
        let time = medianSeconds(repeats) { _ = BLAS.withKernelThreads(t) { model.hiddenStates(clip[...], wanted: all) } }
        let gflops = flops / time / 1e9
        var line = String(format: "%7d | %14.2f  %5.1f%%  (%6.1f)", t, Double(seconds) / time, 100 * gflops / sgemm, sgemm)
        if let python {
            do {
                let theirs = try pytorchMERTSeconds(python: python, reference: reference, size: size, samples: clip.count, threads: t, repeats: repeats)
                let rateTheirs = Double(seconds) / theirs.seconds
                line += String(format: " | %17.2f  %5.1f%% | %.2fx   (PyTorch peak RSS %.0f MiB)", rateTheirs,
                               100 * flops / theirs.seconds / 1e9 / sgemm, Double(seconds) / time / rateTheirs, theirs.peakMiB)
            } catch {
                line += " | PyTorch reference failed: \(error)"
            }
        }
        print(line)
    }
    print(String(format: "fad peak RSS (model, %d s clip, runs): %.0f MiB", seconds, peakResidentSinceReset()))

    if clips > 0 {
        try compareAsSet(loaded, clips: clips, seconds: seconds, rate: rate, threads: threads, repeats: repeats,
                         python: python, referenceSetup: mertReferenceSetup(reference: reference, size: size) + """

            def run(x): return model((x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7), output_hidden_states=True)
            """, shape: "1, ")
    }

    // Peak memory against file length, through the runner's path (cut at the limit).
    if let limitSeconds { model.limitSamples = limitSeconds * rate }
    // --minutes 0 skips this part.
    for length in (minutes > 0 ? [1, minutes] : []) {
        resetPeakResident()
        let before = peakResidentSinceReset()
        let samples = pseudoRandom(length * 60 * rate, seed: 9, scale: 0.6, offset: -0.3)
        let start = Date()
        let windows = try model.windows(of: samples, spec: spec, frontEnd: nil, hop: nil)
        let out = try BLAS.withKernelThreads(threads) { try windows.outputs!(0 ..< windows.starts.count, [String(size.layers)]) }
        let elapsed = Date().timeIntervalSince(start)
        let buffers = Double(samples.count + out.layers.values.reduce(0) { $0 + $1.count }) * 4 / 1_048_576
        print(String(format: "%2d-minute file (cut at %.0f s): peak RSS %.0f MiB (%.0f before loading it; audio + output buffers %.0f MiB), %.1f s on %d threads",
                      length, Double(model.limitSamples) / Double(rate), peakResidentSinceReset(), before, buffers, elapsed, threads))
    }
}

/// Median seconds of m-a-p's MERTModel (all hidden states) on one clip in PyTorch, and the
/// Python process's own peak RSS (VmHWM).
private func pytorchMERTSeconds(python: String, reference: String, size: MERT.Size, samples: Int, threads: Int,
                                repeats: Int) throws -> (seconds: Double, peakMiB: Double) {
    let script = """
    import json, statistics, sys, time, warnings
    warnings.filterwarnings("ignore")
    import torch
    torch.set_num_threads(\(threads))
    \(mertReferenceSetup(reference: reference, size: size))
    g = torch.Generator().manual_seed(7)
    x = torch.rand(1, \(samples), generator=g) * 0.6 - 0.3
    x = (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7)
    with torch.no_grad():
        model(x, output_hidden_states=True)
        times = []
        for _ in range(\(repeats)):
            t = time.perf_counter(); model(x, output_hidden_states=True); times.append(time.perf_counter() - t)
    # VmHWM, not ru_maxrss: Linux carries the parent's peak across fork + exec into ru_maxrss.
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    print(json.dumps({"seconds": statistics.median(times), "rss_kib": float(hwm)}))
    """
    let json = try pythonJSON(python, ["-c", script])
    guard let seconds = json["seconds"] as? Double, let kib = json["rss_kib"] as? Double else {
        throw BenchmarkError("the PyTorch reference failed (\(python), \(reference))")
    }
    return (seconds, kib / 1024)
}

/// Python that builds m-a-p's `MERTModel` from `reference`'s modeling_MERT.py as `model`
/// (MERT-v1's configs: no CQT, no deepnorm, group norm, no conv bias), in eval mode.
private func mertReferenceSetup(reference: String, size: MERT.Size) -> String {
    let large = size == .large
    return """
    import importlib, os, sys, types
    package = types.ModuleType("mert_hf"); package.__path__ = [os.path.abspath(\"\(reference)\")]; sys.modules["mert_hf"] = package
    modeling = importlib.import_module("mert_hf.modeling_MERT")
    configuration = importlib.import_module("mert_hf.configuration_MERT")
    config = configuration.MERTConfig(hidden_size=\(size.hidden), num_hidden_layers=\(size.layers), num_attention_heads=\(size.heads),
        intermediate_size=\(size.intermediate), do_stable_layer_norm=\(large ? "True" : "False"), conv_bias=False,
        feat_extract_norm="group", feat_proj_layer_norm=True, feature_extractor_cqt=False, deepnorm=False)
    model = modeling.MERTModel(config)
    model.eval()
    """
}
