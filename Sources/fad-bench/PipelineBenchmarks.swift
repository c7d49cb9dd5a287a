import FAD
import Foundation
import Synchronization

/// `fad-bench pipeline [--clips N] [--seconds S] [--threads T] [--work DIR]`
///
/// End-to-end speed of what `fad` does to a set: decode -> resample -> log-mel -> musicnn ->
/// statistics, in files/s and audio-s/s, cold (empty cache) and warm (every embedding cached),
/// plus the process's peak resident memory after each pass. Clips are 10 s excerpts of the
/// Wesnoth soundtrack (Ogg Vorbis, 44.1 kHz stereo, as users' files are) when the Debian package
/// is installed, else synthetic 44.1 kHz stereo WAV files.
///
/// Against the model alone: the same clips' log-mels computed beforehand (untimed), then only
/// the CNN on them with the same scheduling (a file per worker, one-thread kernels): the cold
/// pass's rate over that one is how much of the model's throughput the whole pipeline keeps
/// (issue 17's target: within 10 %). Then `model / cold` shows the decode + resample + front-end
/// share that did not overlap with inference.
///
/// Memory: run once with --clips 100 and once with --clips 1000 (warm) and compare the peaks;
/// FAD keeps no per-file data, so the peak must not grow with the number of files.
func runPipelineBenchmarks(arguments: [String]) throws {
    var clips = 100, seconds = 10, threads = ProcessInfo.processInfo.activeProcessorCount
    var work = URL(fileURLWithPath: "/tmp/fad-bench-pipeline")
    var model = "msd-musicnn"
    var it = arguments.makeIterator()
    while let a = it.next() {
        switch a {
        case "--clips": clips = Int(it.next() ?? "") ?? clips
        case "--seconds": seconds = Int(it.next() ?? "") ?? seconds
        case "--threads": threads = Int(it.next() ?? "") ?? threads
        case "--work": work = URL(fileURLWithPath: it.next() ?? work.path)
        case "--model": model = it.next() ?? model
        default: throw CommandLineError("unknown argument \(a)")
        }
    }
    let audio = work.appendingPathComponent("clips-\(clips)x\(seconds)s")
    try makeClips(count: clips, seconds: seconds, in: audio)
    let cache = EmbeddingCache(directory: work.appendingPathComponent("cache-\(model)"))
    try? FileManager.default.removeItem(at: cache.directory)

    let loaded = try ModelRegistry.load(model)
    let extractor = try EmbeddingExtractor(model: loaded, layers: [loaded.descriptor.defaultLayer], cache: cache, threads: threads)
    let analyzer = SetAnalyzer(extractor: extractor, layer: loaded.descriptor.defaultLayer,
                               statisticsMetadata: StatisticsMetadata(model: model, layer: loaded.descriptor.defaultLayer, frontEnd: loaded.descriptor.processingDescription, files: 0),
                               quiet: true)
    print("pipeline: \(clips) clips x \(seconds) s, model \(model), \(threads) thread(s)")
    var modelOnly: (wall: Double, cpu: Double)?
    if let rate = try modelOnlyRate(loaded, folder: audio, threads: threads) {
        modelOnly = rate
        print(String(format: "  model only (log-mels precomputed, file per worker): %.0f audio-s/s, %.1f audio-s per CPU-s", rate.wall, rate.cpu))
    }
    for pass in ["cold", "warm", "warm"] {
        let start = Date()
        let cpuStart = processCPUSeconds()
        let set = try analyzer.analyze(audio.path, request: AnalysisRequest())
        let elapsed = Date().timeIntervalSince(start)
        let cpu = processCPUSeconds() - cpuStart
        let audioSeconds = Double(clips * seconds)
        print(String(format: "  %@: %.2f s, %.1f files/s, %.0f audio-s/s, %d frames, %d cached, peak RSS %.0f MiB",
                     pass, elapsed, Double(clips) / elapsed, audioSeconds / elapsed, set.frameCount, set.cachedFiles, peakResidentMiB()))
        if pass == "cold", let modelOnly {
            print(String(format: "  cold pass = %.0f %% of the model-only rate by wall clock, %.0f %% per CPU-second (%.1f audio-s per CPU-s)",
                         100 * audioSeconds / elapsed / modelOnly.wall, 100 * audioSeconds / cpu / modelOnly.cpu, audioSeconds / cpu))
        }
    }
}

/// A front end as a function (nil for a waveform model).
private func logMelFunction(_ frontEnd: LogMelFrontEnd?) -> (@Sendable ([Float]) throws -> Matrix<Float>)? {
    guard let frontEnd else { return nil }
    return { try frontEnd($0) }
}

/// The CNN's rate alone on the folder's clips (musicnn and musicnn-VGG models; nil for others).
private func modelOnlyRate(_ model: AudioEmbeddingModel, folder: URL, threads: Int) throws -> (wall: Double, cpu: Double)? {
    let analyze: @Sendable (Matrix<Float>) throws -> Void
    let frontEnd: (@Sendable ([Float]) throws -> Matrix<Float>)?
    if let m = model as? NetworkModel<MusiCNN> {
        frontEnd = logMelFunction(m.frontEnd)
        analyze = { _ = try m.analyze(logMel: $0, layers: [m.descriptor.defaultLayer == "logits" ? "max_pool" : m.descriptor.defaultLayer]) }
    } else if let m = model as? NetworkModel<MusicnnVGG> {
        frontEnd = logMelFunction(m.frontEnd)
        analyze = { _ = try m.analyze(logMel: $0, layers: ["pool5"]) }
    } else {
        return nil
    }
    guard let frontEnd else { return nil }
    let loader = AudioLoader(targetSampleRate: model.descriptor.sampleRate, quality: .kaiserPolyphase)
    let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    var audioSeconds = 0.0
    let logMels = try files.map { url -> Matrix<Float> in
        let samples = try loader.load(url)
        audioSeconds += Double(samples.count) / Double(model.descriptor.sampleRate)
        return try frontEnd(samples)
    }
    let next = Mutex(0)
    let start = Date()
    let cpuStart = processCPUSeconds()
    DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
        while true {
            let i = next.withLock { i in defer { i += 1 }; return i }
            if i >= logMels.count { return }
            try? BLAS.withKernelThreads(1) { try analyze(logMels[i]) }
        }
    }
    return (audioSeconds / Date().timeIntervalSince(start), audioSeconds / (processCPUSeconds() - cpuStart))
}

struct CommandLineError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Peak resident set size of this process so far.
func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // Linux reports KiB
}

private func makeClips(count: Int, seconds: Int, in folder: URL) throws {
    let done = folder.appendingPathComponent(".complete")
    if FileManager.default.fileExists(atPath: done.path) { return }
    try? FileManager.default.removeItem(at: folder)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let music = "/usr/share/games/wesnoth/1.16/data/core/music"
    let tracks = ((try? FileManager.default.contentsOfDirectory(atPath: music)) ?? [])
        .filter { $0.hasSuffix(".ogg") && !["victory.ogg", "defeat.ogg", "silence.ogg", "defeat2.ogg", "victory2.ogg", "elf-land.ogg"].contains($0) }.sorted()
    for i in 0..<count {
        if !tracks.isEmpty {
            let track = tracks[i % tracks.count]
            let start = 5 + (i / tracks.count) * seconds % 40
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sox")
            process.arguments = ["\(music)/\(track)", folder.appendingPathComponent(String(format: "clip%05d.ogg", i)).path,
                                 "trim", "\(start)", "\(seconds)"]
            try process.run()
            process.waitUntilExit()
        } else {
            try syntheticWAV(seconds: seconds, seed: i).write(to: folder.appendingPathComponent(String(format: "clip%05d.wav", i)))
        }
    }
    try Data().write(to: done)
}

/// 44.1 kHz stereo 16-bit PCM: a few harmonic tones whose pitch depends on `seed`, plus noise.
private func syntheticWAV(seconds: Int, seed: Int) -> Data {
    let rate = 44100, frames = rate * seconds
    var data = wavHeader(format: 1, channels: 2, rate: rate, bitsPerSample: 16, dataBytes: frames * 4)
    func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    var state = UInt64(seed + 1) &* 0x9E3779B97F4A7C15
    let f0 = 110.0 * pow(2, Double(seed % 24) / 12)
    for n in 0..<frames {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let noise = Double(Int64(bitPattern: state) >> 11) / Double(1 << 52) * 0.02
        let t = Double(n) / Double(rate)
        let v = (1...4).reduce(0.0) { $0 + sin(2 * .pi * f0 * Double($1) * t) / Double($1) } * 0.2 + noise
        let s = Int16(max(-1, min(1, v)) * 32767)
        u16(UInt16(bitPattern: s)); u16(UInt16(bitPattern: s))
    }
    return data
}
