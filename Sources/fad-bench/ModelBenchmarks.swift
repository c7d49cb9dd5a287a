// `fad-bench models [--windows N] [--repeats R] [--threads 1,2] [--file AUDIO] [--python PY] [--no-reference]`
//
// Speed of the musicnn models (FADNN: im2col + serial OpenBLAS SGEMM tiles over FADNN workers)
// on 1 and 2 threads, next to OpenBLAS SGEMM 2048^3 measured in the same run, and next to
// musicnn's own TensorFlow graph on the same log-mel input (Python subprocess,
// Tests/Fixtures/scripts/musicnn_tf_benchmark.py), plus end to end on an audio file against the
// musicnn package's extractor. Medians of --repeats runs.
import Foundation
import FAD

func runModelBenchmarks(arguments: [String]) throws {
    var windows = 32, repeats = 5, threadCounts = [1, 2]
    var file: String? = "/usr/share/games/wesnoth/1.16/data/core/music/sad.ogg"
    var python: String? = "/tmp/ref/bin/python"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--windows": windows = Int(iterator.next() ?? "") ?? windows
        case "--repeats": repeats = Int(iterator.next() ?? "") ?? repeats
        case "--threads": threadCounts = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
        case "--file": file = iterator.next()
        case "--python": python = iterator.next()
        case "--no-reference": python = nil
        case "--no-file": file = nil
        default: throw BenchmarkError("unknown argument \(argument)")
        }
    }
    let savedThreads = BLAS.threads
    defer { BLAS.threads = savedThreads }
    let secondsPerWindow = Double(MusiCNN.windowFrames * 256) / 16000

    // 1. SGEMM ceiling, same process, same threads.
    var sgemm: [Int: Double] = [:]
    do {
        let n = 2048
        var a = [Float](repeating: 0, count: n * n)
        for i in a.indices { a[i] = Float(i % 1013) / 1013 - 0.5 }
        var c = [Float](repeating: 0, count: n * n)
        for threads in threadCounts {
            BLAS.threads = threads
            let seconds = median(repeats + 1, dropFirst: true) {
                a.withUnsafeBufferPointer { a in c.withUnsafeMutableBufferPointer { c in
                    BLAS.parallelSgemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: a.baseAddress!, ldb: n,
                                       c: c.baseAddress!, ldc: n)
                }}
            }
            sgemm[threads] = 2 * pow(Double(n), 3) / seconds / 1e9
            print(String(format: "SGEMM 2048^3 (serial OpenBLAS tiles, %d thread(s)): %.1f GFLOP/s", threads, sgemm[threads]!))
        }
    }

    // 2. The same synthetic log-mel for both implementations.
    var state: UInt64 = 42
    let frames = windows * MusiCNN.windowFrames
    let values: [Float] = (0..<(frames * 96)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * 4
    }
    let logMel = Matrix(rows: frames, columns: 96, values: values)
    let input = FileManager.default.temporaryDirectory.appendingPathComponent("fad-bench-models-\(getpid()).npy")
    try NPYArray(logMel).write(to: input)
    defer { try? FileManager.default.removeItem(at: input) }

    // 3. Swift models.
    print("\nmodel         threads  windows/s  audio-s/s  GFLOP/s  %SGEMM  (\(windows) windows of 187 frames, median of \(repeats))")
    var ours: [String: [Int: Double]] = [:]
    let entries: [(String, String)] = [("msd-musicnn", "MSD_musicnn"), ("mtt-musicnn", "MTT_musicnn"),
                                       ("msd-vgg", "MSD_vgg"), ("mtt-vgg", "MTT_vgg")]
    for (name, _) in entries {
        let model = try ModelRegistry.load(name)
        let flops: Double
        if let m = model as? MusiCNN { flops = m.flopsPerWindow() } else { flops = (model as! MusicnnVGG).flopsPerWindow() }
        let layers = Set(model.descriptor.layers.map(\.name))
        for threads in threadCounts {
            BLAS.threads = threads
            let seconds = median(repeats + 1, dropFirst: true) {
                if let m = model as? MusiCNN { _ = try! m.analyze(logMel: logMel, layers: layers, windowHop: nil) }
                else { _ = try! (model as! MusicnnVGG).analyze(logMel: logMel, layers: layers, windowHop: nil) }
            }
            let rate = Double(windows) / seconds
            ours[name, default: [:]][threads] = rate
            print(String(format: "%-13@ %7d  %9.1f  %9.1f  %7.1f  %5.0f%%", name as NSString, threads, rate,
                         rate * secondsPerWindow, rate * flops / 1e9, 100 * rate * flops / 1e9 / sgemm[threads]!))
        }
        print(String(format: "%-13@ %.3f GFLOP per window", name as NSString, flops / 1e9))
    }

    // 4. End to end on a file: decode + resample (libsndfile/libsamplerate) + front end + model.
    var endToEnd: Double?
    var fileSeconds = 0.0
    if let file, FileManager.default.fileExists(atPath: file) {
        BLAS.threads = threadCounts.max() ?? 2
        let model = try ModelRegistry.load("msd-musicnn")
        let url = URL(fileURLWithPath: file)
        var decodeTimes: [Double] = [], totalTimes: [Double] = []
        // Decode + resample as `fad` does it (libsndfile + the default Kaiser polyphase
        // resampler); reported apart.
        for _ in 0..<3 {
            let start = Date()
            let samples = try AudioLoader(targetSampleRate: 16000, quality: .kaiserPolyphase).load(url)
            let decoded = Date()
            _ = try model.analyze(samples: samples, layers: ["max_pool"], windowHop: nil)
            decodeTimes.append(decoded.timeIntervalSince(start))
            totalTimes.append(Date().timeIntervalSince(start))
            fileSeconds = Double(samples.count) / 16000
        }
        endToEnd = fileSeconds / totalTimes.sorted()[1]
        print(String(format: "\nend to end msd-musicnn on %@ (%.1f s audio, %d threads): %.1f audio-s/s (decode+resample %.2f s, total %.2f s)",
                     url.lastPathComponent as NSString, fileSeconds, BLAS.threads, endToEnd!, decodeTimes.sorted()[1], totalTimes.sorted()[1]))
    }

    // 5. TensorFlow reference in the same run.
    guard let python, FileManager.default.isExecutableFile(atPath: python) else { return }
    // fad-bench runs from a checkout (it is not installed), so its script is found from here.
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let script = repository.appendingPathComponent("Tests/Fixtures/scripts/musicnn_tf_benchmark.py").path
    var pythonArguments = [script, "--input", input.path, "--windows", "\(windows)", "--repeats", "\(repeats)",
                           "--threads", threadCounts.map(String.init).joined(separator: ",")]
    if let file, endToEnd != nil { pythonArguments += ["--extractor-file", file] }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = pythonArguments
    var environment = ProcessInfo.processInfo.environment
    environment["TF_USE_LEGACY_KERAS"] = "1"
    environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    // musicnn's extractor prints progress to stdout: the JSON is the last line.
    let lastLine = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    guard process.terminationStatus == 0,
          let json = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any],
          let graph = json["graph"] as? [String: [String: Double]] else {
        throw BenchmarkError("TensorFlow reference failed (status \(process.terminationStatus))")
    }
    print(String(format: "\nTensorFlow 2.21 reference (musicnn graph built once, batches of 64; numpy SGEMM 2048^3 %.1f GFLOP/s):",
                 json["numpy_sgemm_2048_gflops"] as? Double ?? 0))
    print("model         threads  TF windows/s  fad windows/s  speed-up")
    for (name, checkpoint) in entries {
        for threads in threadCounts {
            guard let theirs = graph[checkpoint]?[String(threads)], let mine = ours[name]?[threads] else { continue }
            print(String(format: "%-13@ %7d  %12.1f  %13.1f  %7.2fx", name as NSString, threads, theirs, mine, mine / theirs))
        }
    }
    if let extractor = (json["extractor"] as? [String: [String: Double]])?["MSD_musicnn"], let endToEnd {
        let rate = extractor["audio_seconds_per_second"] ?? 0
        print(String(format: "end to end msd-musicnn: musicnn package extractor %.1f audio-s/s, fad %.1f audio-s/s: %.2fx",
                     rate, endToEnd, endToEnd / rate))
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Median wall time of `count` runs (the first dropped as warm-up when asked).
private func median(_ count: Int, dropFirst: Bool, _ body: () -> Void) -> Double {
    var times: [Double] = []
    for i in 0..<count {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if !(dropFirst && i == 0) { times.append(seconds) }
    }
    times.sort()
    return times[times.count / 2]
}
