// `fad-bench audio --stream-memory FILE`: streams FILE to 16 kHz and prints the peak RSS, to show
// that decoding + resampling memory does not grow with the file's length.
// `fad-bench audio [FILE] [--runs N] [--no-python]`: decoding, resampling and log-mel speed on one
// core, in audio-seconds per second (medians). Without FILE it builds a 60 s 44.1 kHz stereo
// 16-bit WAV (and an Ogg Vorbis copy) from Wesnoth tracks in /tmp, and times librosa's
// equivalent (load + resample with soxr_hq + melspectrogram) from /tmp/ref in the same run.
import FAD
import Foundation

func runAudioBenchmarks(arguments: [String]) throws {
    var runs = 5
    var python = true
    var files: [String] = []
    var i = 0
    while i < arguments.count {
        switch arguments[i] {
        case "--runs": runs = Int(arguments[i + 1]) ?? runs; i += 1
        case "--no-python": python = false
        case "--stream-memory":
            let url = URL(fileURLWithPath: arguments[i + 1])
            let before = peakResidentMegabytes()
            var samples = 0
            for quality in [ResamplerQuality.bestSinc, .kaiserPolyphase] {
                let start = DispatchTime.now().uptimeNanoseconds
                let info = try AudioLoader(targetSampleRate: 16_000, quality: quality).stream(url) { samples += $0.count }
                print(String(format: "%@ (%.0f s, %@): %d samples at 16 kHz in %.1f s; peak RSS %.1f MB before, %.1f MB after",
                             url.path, info.duration, quality.rawValue, samples,
                             Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, before, peakResidentMegabytes()))
                samples = 0
            }
            return
        default: files.append(arguments[i])
        }
        i += 1
    }
    if files.isEmpty { files = try makeBenchmarkAudio() }

    for path in files {
        let url = URL(fileURLWithPath: path)
        let info = try AudioFileInfo(contentsOf: url)
        let seconds = info.duration
        print("\n\(path): \(info)")
        fflush(nil)
        // Wall time and this thread's CPU time: on a shared, overloaded machine the CPU time is
        // the fairer measure of one core's throughput; both are medians over `runs`.
        func report(_ label: String, _ body: () throws -> Void) rethrows {
            var wall: [Double] = [], cpu: [Double] = []
            for _ in 0 ..< runs {
                let (w0, c0) = (DispatchTime.now().uptimeNanoseconds, threadCPUSeconds())
                try body()
                cpu.append(threadCPUSeconds() - c0)
                wall.append(Double(DispatchTime.now().uptimeNanoseconds - w0) / 1e9)
            }
            let w = wall.sorted()[runs / 2], c = cpu.sorted()[runs / 2]
            print("  " + label.padding(toLength: 48, withPad: " ", startingAt: 0)
                  + String(format: "wall %7.3f s %7.0fx | cpu %7.3f s %7.0fx real time", w, seconds / w, c, seconds / c))
        }
        // The cache key of every file a cached run embeds (`fad` without --no-cache).
        try report("content digest (SHA-256 of the file)") { _ = try contentDigest(of: url) }
        try report("decode only (libsndfile, interleaved)") {
            let decoder = try AudioDecoder(url)
            while try !decoder.read().isEmpty {}
        }
        for quality in [ResamplerQuality.bestSinc, .mediumSinc, .fastestSinc, .kaiserPolyphase] {
            try report("decode + downmix + resample 16k \(quality)") { _ = try AudioLoader(targetSampleRate: 16_000, quality: quality).load(url) }
        }
        for quality in [ResamplerQuality.bestSinc, .kaiserPolyphase] {
            try report("decode + downmix + resample 32k \(quality)") { _ = try AudioLoader(targetSampleRate: 32_000, quality: quality).load(url) }
        }
        let mono16 = try AudioLoader(targetSampleRate: 16_000, quality: .kaiserPolyphase).load(url)
        let mono32 = try AudioLoader(targetSampleRate: 32_000, quality: .kaiserPolyphase).load(url)
        for (name, configuration, samples) in [("musicnn", FrontEndConfiguration.musicnn, mono16),
                                               ("vggish", .vggish, mono16), ("pannsCNN14 (32k)", .pannsCNN14, mono32)] {
            let frontEnd = LogMelFrontEnd(configuration)
            try report("log-mel \(name) only") { _ = try frontEnd(samples) }
        }
        for (name, configuration) in [("musicnn", FrontEndConfiguration.musicnn), ("vggish", .vggish), ("pannsCNN14", .pannsCNN14)] {
            let frontEnd = LogMelFrontEnd(configuration)
            for quality in [ResamplerQuality.bestSinc, .kaiserPolyphase] where name == "musicnn" || quality == .kaiserPolyphase {
                try report("end to end \(name) (\(quality))") {
                    _ = try frontEnd(AudioLoader(targetSampleRate: configuration.sampleRate, quality: quality).load(url))
                }
            }
        }
        if python { try librosaReference(path, runs: runs, seconds: seconds) }
    }
}

private func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

private func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// A 60 s 44.1 kHz stereo excerpt of Wesnoth music as 16-bit WAV and Ogg Vorbis in /tmp.
private func makeBenchmarkAudio() throws -> [String] {
    let wav = "/tmp/fad-bench-audio-60s.wav", ogg = "/tmp/fad-bench-audio-60s.ogg"
    let music = "/usr/share/games/wesnoth/1.16/data/core/music/"
    if !FileManager.default.fileExists(atPath: wav) {
        try shell(["sox", music + "heroes_rite.ogg", music + "battle.ogg", "-b", "16", wav, "trim", "0", "60"])
    }
    if !FileManager.default.fileExists(atPath: ogg) {
        try shell(["sox", wav, "-C", "5", ogg])
    }
    return [wav, ogg]
}

private func shell(_ arguments: [String], environment: [String: String] = [:]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "fad-bench", code: Int(process.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: "\(arguments.joined(separator: " ")) failed"])
    }
}

/// librosa's equivalent of the musicnn path, one thread, medians over `runs`.
private func librosaReference(_ path: String, runs: Int, seconds: Double) throws {
    let python = "/tmp/ref/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python) else {
        print("  (librosa reference skipped: \(python) not found)")
        return
    }
    let script = """
    import time, statistics, librosa, numpy as np, soundfile as sf
    path, runs, secs = \(String(reflecting: path)), \(runs), \(seconds)
    def med(f):
        ws, cs = [], []
        for _ in range(runs):
            w, c = time.perf_counter(), time.thread_time(); f()
            cs.append(time.thread_time() - c); ws.append(time.perf_counter() - w)
        return statistics.median(ws), statistics.median(cs)
    def show(label, t): print("  %-48swall %7.3f s %7.0fx | cpu %7.3f s %7.0fx real time" % (label, t[0], secs / t[0], t[1], secs / t[1]))
    show("librosa: soundfile decode only", med(lambda: sf.read(path, dtype="float32")))
    for res in ("soxr_hq", "soxr_vhq"):
        show("librosa: load mono 16k " + res, med(lambda: librosa.load(path, sr=16000, mono=True, res_type=res)))
    y, _ = librosa.load(path, sr=16000, mono=True)
    mel = lambda: np.log10(10000 * librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96, pad_mode="reflect") + 1)
    show("librosa: log-mel musicnn only", med(mel))
    show("librosa: end to end musicnn (soxr_hq)", med(lambda: np.log10(10000 * librosa.feature.melspectrogram(
        y=librosa.load(path, sr=16000, mono=True)[0], sr=16000, n_fft=512, hop_length=256, n_mels=96, pad_mode="reflect") + 1)))
    """
    fflush(nil)  // keep our lines before the child's when stdout is a pipe
    try shell([python, "-c", script], environment: ["OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                                    "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"])
}
