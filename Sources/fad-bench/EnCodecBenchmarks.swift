// `fad-bench encodec [--seconds S] [--repeats R] [--threads T] [--minutes M] [--clips N] [--python PY] [--no-reference]`
//
// The EnCodec 24 kHz encoder (the 128-d latent before the quantiser), fad's streamed
// `EnCodec.latent(of:)` against the `encodec` package's own `model.encoder(x)` in PyTorch
// (float32, `torch.no_grad`, `torch.set_num_threads(T)`) on the same clip length and thread
// count, in the same run: audio-s/s (medians), % of the OpenBLAS SGEMM 2048^3 rate measured just
// before on the same threads, peak RSS of each. Then the peak RSS of fad encoding a 2-minute and
// an M-minute file (default 20; 0 skips both) in one pass of `latent(of:)`: activations are bounded by one
// 10 s chunk, so the peak grows only by the audio and latent buffers themselves.
//
// Set mode (`--clips N`, default 4; 0 skips it): N clips of S seconds as `fad` runs a set
// (`timeAsSet`: a file per worker through `EmbeddingExtractor`, checked bit for bit against the
// 1-thread run) against the `encodec` package encoding the same number of clips one after
// another with `torch.set_num_threads(T)`, as fadtk's loop does: audio-s/s by wall clock and per
// CPU-second, peak RSS.
//
// Weights are arbitrary values in the imported layout (speed does not depend on them); PyTorch
// runs `EncodecModel.encodec_model_24khz(pretrained=False)`. Reference environment: /tmp/ref
// (torch + encodec 0.1.1), or any Python with both (`--python`).
import Foundation
import FADModels
import FADNN

func runEnCodecBenchmarks(arguments: [String]) throws {
    var seconds = 30, repeats = 5, minutes = 20, clips = 4
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var python: String? = "/tmp/ref/bin/python"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--seconds": seconds = Int(iterator.next() ?? "") ?? seconds
        case "--repeats": repeats = Int(iterator.next() ?? "") ?? repeats
        case "--threads": threads = Int(iterator.next() ?? "") ?? threads
        case "--minutes": minutes = Int(iterator.next() ?? "") ?? minutes
        case "--clips": clips = Int(iterator.next() ?? "") ?? clips
        case "--python": python = iterator.next()
        case "--no-reference": python = nil
        default: throw BenchmarkError("unknown argument \(argument)")
        }
    }
    threads = max(1, threads)
    let rate = EnCodec.Variant.khz24.sampleRate
    resetPeakResident()
    let spec = try ModelRegistry.spec(EnCodec.Variant.khz24.modelName)
    let loaded = try NetworkModel<EnCodec>(spec: spec, weights: ModelWeights(benchmarkWeights(EnCodec.importSpec(.khz24)), path: "benchmark", digest: "benchmark"),
                                           labels: [])
    let model = loaded.network
    let clip = pseudoRandom(seconds * rate, seed: 7, scale: 0.6, offset: -0.3)
    let flops = model.flops(samples: clip.count)
    print(String(format: "encodec-24k encoder: %d s clip, %.2f GFLOP per audio-second, medians of %d runs", seconds, flops / 1e9 / Double(seconds), repeats))
    print("threads | fad audio-s/s  %SGEMM  (SGEMM GFLOP/s) | PyTorch audio-s/s  %SGEMM | fad/PyTorch")
    var results: [Int: Double] = [:]
    var counts = [1]
    if threads > 1 { counts.append(threads) }
    for t in counts {
        let sgemm = sgemmGFLOPs(threads: t, repeats: repeats)
        let time = medianSeconds(repeats) { _ = BLAS.withKernelThreads(t) { try! model.latent(of: clip) } }
        results[t] = Double(seconds) / time
        let gflops = flops / time / 1e9
        var line = String(format: "%7d | %14.1f  %5.1f%%  (%6.1f)", t, Double(seconds) / time, 100 * gflops / sgemm, sgemm)
        if let python, let reference = try? pytorchEncoderSeconds(python: python, samples: clip.count, threads: t, repeats: repeats) {
            let theirs = Double(seconds) / reference.seconds
            line += String(format: " | %17.1f  %5.1f%% | %.2fx   (PyTorch peak RSS %.0f MiB)", theirs, 100 * flops / reference.seconds / 1e9 / sgemm,
                           Double(seconds) / time / theirs, reference.peakMiB)
        }
        print(line)
    }
    print(String(format: "fad peak RSS (model, %d s clip, runs): %.0f MiB", seconds, peakResidentSinceReset()))

    if clips > 0 {
        try compareAsSet(loaded, clips: clips, seconds: seconds, rate: rate, threads: threads, repeats: repeats,
                         python: python, referenceSetup: """
            from encodec import EncodecModel
            model = EncodecModel.encodec_model_24khz(pretrained=False)
            model.eval()
            def run(x): return model.encoder(x)
            """, shape: "1, 1, ")
    }

    // Peak memory against file length, one pass of the streamed encoder per file.
    // --minutes 0 skips this part.
    for length in (minutes > 0 ? [2, minutes] : []) {
        resetPeakResident()
        let before = peakResidentSinceReset()
        let samples = pseudoRandom(length * 60 * rate, seed: 9, scale: 0.6, offset: -0.3)
        let start = Date()
        let latent = try BLAS.withKernelThreads(threads) { try model.latent(of: samples) }
        let elapsed = Date().timeIntervalSince(start)
        let buffers = Double(samples.count + latent.count) * 4 / 1_048_576
        print(String(format: "%2d-minute file: peak RSS %.0f MiB (%.0f before loading it; audio + latent buffers %.0f MiB), %.1f audio-s/s on %d threads",
                      length, peakResidentSinceReset(), before, buffers, Double(length * 60) / elapsed, threads))
    }
}

/// Median seconds of the `encodec` package's encoder on one clip of `samples` samples in
/// PyTorch, and the Python process's own peak RSS (VmHWM).
private func pytorchEncoderSeconds(python: String, samples: Int, threads: Int, repeats: Int) throws -> (seconds: Double, peakMiB: Double) {
    let script = """
    import json, statistics, sys, time, warnings
    warnings.filterwarnings("ignore")
    import torch
    from encodec import EncodecModel
    torch.set_num_threads(\(threads))
    model = EncodecModel.encodec_model_24khz(pretrained=False)
    model.eval()
    g = torch.Generator().manual_seed(7)
    x = torch.rand(1, 1, \(samples), generator=g) * 0.6 - 0.3
    with torch.no_grad():
        model.encoder(x)
        times = []
        for _ in range(\(repeats)):
            t = time.perf_counter(); model.encoder(x); times.append(time.perf_counter() - t)
    # VmHWM, not ru_maxrss: Linux carries the parent's peak across fork + exec into ru_maxrss.
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    print(json.dumps({"seconds": statistics.median(times), "rss_kib": float(hwm)}))
    """
    let json = try pythonJSON(python, ["-c", script])
    guard let seconds = json["seconds"] as? Double, let kib = json["rss_kib"] as? Double else {
        throw BenchmarkError("the PyTorch reference failed (\(python))")
    }
    return (seconds, kib / 1024)
}
