// Set mode of `fad-bench encodec` and `fad-bench mert` (`--clips N`): N clips run the way `fad`
// runs a set, against the reference running them the way fadtk does (one file after another,
// torch's intra-op threads on every core).
import FAD
import Foundation

/// One timed pass of a set: medians over the repeats.
struct SetTiming {
    var seconds: Double
    var cpuSeconds: Double
    var peakMiB: Double
}

/// Times `clips` (mono or interleaved samples at the model's rate) through `EmbeddingExtractor`,
/// the code `fad embed` and `fad score` run: each clip a float32 WAV file (decoded back to the
/// same bits), no cache, `threads` workers, each file on one worker with one-thread kernels
/// (the last files of the set share idle workers' kernel threads, as in `fad`). Every file's
/// embeddings, every layer, are checked bit for bit against `analyze` of the same clip on one
/// thread; a mismatch throws. Returns the median wall-clock and CPU seconds of `repeats` passes
/// after a warm-up, and the peak RSS over them.
func timeAsSet(_ model: AudioEmbeddingModel, clips: [[Float]], threads: Int, repeats: Int) throws -> SetTiming {
    let d = model.descriptor
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fad-bench-set-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let files = try clips.enumerated().map { i, clip -> InputFile in
        let url = folder.appendingPathComponent(String(format: "clip%03d.wav", i))
        try writeFloatWAV(url, samples: clip, rate: d.sampleRate, channels: d.channels)
        return InputFile(url: url, key: url.lastPathComponent)
    }
    let layers = d.layers.map(\.name)
    let expected = try clips.map { clip in
        try BLAS.withKernelThreads(1) { try model.analyze(samples: clip, layers: Set(layers), windowHop: nil).embeddings }
    }
    let extractor = try EmbeddingExtractor(model: model, layers: layers, cache: nil, threads: threads)
    func pass() throws {
        var failure: Error?
        extractor.run(files) { index, result in
            do {
                let got = try result.get().layers
                for layer in layers {
                    guard let a = got[layer]?.values, let b = expected[index][layer]?.values, a.count == b.count,
                          zip(a, b).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
                        throw BenchmarkError("set mode: clip \(index) layer \(layer) differs from the 1-thread run")
                    }
                }
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
    }
    try pass()
    resetPeakResident()
    var times: [Double] = [], cpu: [Double] = []
    for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = processCPUSeconds()
        try pass()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        cpu.append(processCPUSeconds() - cpuStart)
    }
    return SetTiming(seconds: times.sorted()[times.count / 2], cpuSeconds: cpu.sorted()[cpu.count / 2], peakMiB: peakResidentSinceReset())
}

/// The reference's side of a set: `body` is Python that defines `model` and `run(x)` (one
/// clip through the reference model) with `torch` imported; `shape` the clip tensor's leading
/// dimensions before the sample axis. The clips run one after another, as fadtk's loop does,
/// with `torch.set_num_threads(threads)`; median wall-clock and process CPU seconds of
/// `repeats` passes after a warm-up, and the process's peak RSS.
func referenceSetTiming(python: String, setup: String, shape: String, clips: Int, samples: Int, threads: Int,
                        repeats: Int) throws -> SetTiming {
    let script = """
    import json, statistics, sys, time, warnings
    warnings.filterwarnings("ignore")
    import torch
    torch.set_num_threads(\(threads))
    \(setup)
    clips = []
    for i in range(\(clips)):
        g = torch.Generator().manual_seed(7 + i)
        clips.append(torch.rand(\(shape)\(samples), generator=g) * 0.6 - 0.3)
    with torch.no_grad():
        for x in clips: run(x)
        times, cpu = [], []
        for _ in range(\(repeats)):
            t, c = time.perf_counter(), time.process_time()
            for x in clips: run(x)
            times.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    print(json.dumps({"seconds": statistics.median(times), "cpu": statistics.median(cpu), "rss_kib": float(hwm)}))
    """
    let json = try pythonJSON(python, ["-c", script])
    guard let seconds = json["seconds"] as? Double, let cpu = json["cpu"] as? Double, let kib = json["rss_kib"] as? Double else {
        throw BenchmarkError("the reference's set run failed (\(python))")
    }
    return SetTiming(seconds: seconds, cpuSeconds: cpu, peakMiB: kib / 1024)
}

/// Set mode of a model benchmark: `clips` pseudo-random clips of `seconds` at `rate` through
/// `timeAsSet`, against the reference running the same clips in turn (`referenceSetTiming`
/// with `referenceSetup` and `shape`; skipped without `python`, reported if it fails), printed
/// by `printSetComparison`.
func compareAsSet(_ model: AudioEmbeddingModel, clips: Int, seconds: Int, rate: Int, threads: Int, repeats: Int,
                  python: String?, referenceSetup: String, shape: String) throws {
    let set = (0..<clips).map { pseudoRandom(seconds * rate, seed: UInt64(7 + $0), scale: 0.6, offset: -0.3) }
    let fad = try timeAsSet(model, clips: set, threads: threads, repeats: repeats)
    var reference: SetTiming?
    if let python {
        do {
            reference = try referenceSetTiming(python: python, setup: referenceSetup, shape: shape, clips: clips,
                                               samples: seconds * rate, threads: threads, repeats: repeats)
        } catch {
            print("PyTorch set run failed: \(error)")
        }
    }
    printSetComparison(clips: clips, seconds: seconds, threads: threads, fad: fad, reference: reference, referenceName: "PyTorch")
}

/// Prints the set-mode comparison: audio-s/s by wall clock and per CPU-second, peak RSS.
private func printSetComparison(clips: Int, seconds: Int, threads: Int, fad: SetTiming, reference: SetTiming?, referenceName: String) {
    let audio = Double(clips * seconds)
    print(String(format: "set of %d x %d s clips, %d threads: fad (file per worker, 1-thread kernels, bit-identical to 1 thread) %.2f audio-s/s, %.2f audio-s per CPU-s, peak RSS %.0f MiB",
                 clips, seconds, threads, audio / fad.seconds, audio / fad.cpuSeconds, fad.peakMiB))
    guard let reference else { return }
    print(String(format: "  %@ (clips one after another, torch.set_num_threads(%d)) %.2f audio-s/s, %.2f audio-s per CPU-s, peak RSS %.0f MiB",
                 referenceName, threads, audio / reference.seconds, audio / reference.cpuSeconds, reference.peakMiB))
    print(String(format: "  fad / %@: %.2fx by wall clock, %.2fx per CPU-second", referenceName,
                 reference.seconds / fad.seconds, reference.cpuSeconds / fad.cpuSeconds))
}

/// The 44-byte header of a canonical WAV file: `format` 1 (integer PCM) or 3 (IEEE float),
/// followed by `dataBytes` of interleaved samples.
func wavHeader(format: Int, channels: Int, rate: Int, bitsPerSample: Int, dataBytes: Int) -> Data {
    var data = Data()
    func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
    func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
    let frameBytes = channels * bitsPerSample / 8
    data.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataBytes); data.append(contentsOf: Array("WAVE".utf8))
    data.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(format); u16(channels); u32(rate); u32(rate * frameBytes)
    u16(frameBytes); u16(bitsPerSample)
    data.append(contentsOf: Array("data".utf8)); u32(dataBytes)
    return data
}

/// A 32-bit float WAV file (format 3), which libsndfile decodes to exactly these samples.
func writeFloatWAV(_ url: URL, samples: [Float], rate: Int, channels: Int) throws {
    var data = wavHeader(format: 3, channels: channels, rate: rate, bitsPerSample: 32, dataBytes: samples.count * 4)
    samples.withUnsafeBufferPointer { p in
        for x in p { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    }
    try data.write(to: url)
}
