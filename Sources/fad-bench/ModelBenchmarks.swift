// `fad-bench models [--models a,b,...] [--threads T] [--repeats R] [--windows N] [--no-reference]
//                   [--tf-python PY] [--torch-python PY] [--file AUDIO]`
//
// Every shipped CNN in one run, one table: audio-s/s on 1 thread and on all T threads, each as a
// percentage of the OpenBLAS SGEMM 2048^3 rate measured right before that model on the same
// thread count (the machines are shared: ratios from the same moment are what compare), the
// reference framework's rate on the same input and thread count (TensorFlow running musicnn's
// own graph code for the musicnn models, PyTorch running torchvggish / panns_inference for
// VGGish and CNN14), and the peak RSS while the model ran.
//
// "all threads" is how `fad` runs a set: one file (here: one batch of windows) per worker, each
// worker's kernels on one thread (`BLAS.withKernelThreads(1)`). The "tiles" column is one call
// with each layer's GEMM tiles split over T threads, what a single long file gets.
//
// Reference environments (defaults of --tf-python / --torch-python; outside the repository):
//   python3 -m venv /tmp/speed-tf && /tmp/speed-tf/bin/pip install tensorflow-cpu tf-keras librosa
//     && /tmp/speed-tf/bin/pip install --no-deps musicnn
//   python3 -m venv /tmp/speed-torch, with torch importable (a .pth file pointing at an existing
//     torch venv will do), then pip install librosa torchlibrosa resampy; torchvggish 0.2 and
//     panns_inference 0.1.1 unpacked under /tmp/torchdl (`pip download --no-deps`).
//
// The musicnn models use their released weights and a synthetic log-mel; VGGish and CNN14 use
// arbitrary weights in the imported layout (speed does not depend on the values). %SGEMM counts
// the direct convolution's FLOPs: Winograd layers do fewer, so the figure can pass 100 %.
import Foundation
import FAD
import FADArrays
import FADModels
import FADNN

/// One model as the benchmark runs it: `run` computes one batch (`audioSeconds` of audio,
/// `flops` direct FLOPs) and returns nothing.
private struct BenchModel: Sendable {
    let name: String
    let audioSeconds: Double
    let flops: Double
    let reference: String
    let run: @Sendable () -> Void
}

func runModelBenchmarks(arguments: [String]) throws {
    var names = ["msd-musicnn", "mtt-musicnn", "msd-vgg", "mtt-vgg", "vggish", "panns-cnn14"]
    var windows = 32, repeats = 5
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var tfPython: String? = "/tmp/speed-tf/bin/python"
    var torchPython: String? = "/tmp/speed-torch/bin/python"
    var file: String? = "/usr/share/games/wesnoth/1.16/data/core/music/sad.ogg"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--models": names = (iterator.next() ?? "").split(separator: ",").map(String.init)
        case "--windows": windows = Int(iterator.next() ?? "") ?? windows
        case "--repeats": repeats = Int(iterator.next() ?? "") ?? repeats
        case "--threads": threads = Int(iterator.next() ?? "") ?? threads
        case "--tf-python": tfPython = iterator.next()
        case "--torch-python": torchPython = iterator.next()
        case "--file": file = iterator.next()
        case "--no-file": file = nil
        case "--no-reference": tfPython = nil; torchPython = nil
        default: throw BenchmarkError("unknown argument \(argument)")
        }
    }
    threads = max(1, threads)
    print("models: \(threads) threads, medians of \(repeats) runs; %SGEMM against OpenBLAS SGEMM 2048^3 measured just before each model")

    // The same synthetic log-mel for FADNN and TensorFlow.
    var state: UInt64 = 42
    let frames = windows * MusiCNN.windowFrames
    let musicnnLogMel = Matrix(rows: frames, columns: 96, values: (0..<(frames * 96)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * 4
    })
    let logMelFile = FileManager.default.temporaryDirectory.appendingPathComponent("fad-bench-models-\(getpid()).npy")
    try NPYArray(musicnnLogMel).write(to: logMelFile)
    defer { try? FileManager.default.removeItem(at: logMelFile) }
    let musicnnSeconds = Double(windows * MusiCNN.windowFrames * 256) / 16000
    let vggishBatch = 32
    let cnn14Frames = 1001  // 10 s at 32 kHz, hop 320, centred

    var rows: [(name: String, cells: [String], rate: Double, cpuRate: Double)] = []
    var tfRequest: [(String, String)] = []
    for name in names {
        // Load (and build arbitrary weights) outside the measured region, but inside the RSS one.
        resetPeakResident()
        let model: BenchModel
        switch name {
        case "msd-musicnn", "mtt-musicnn", "msd-vgg", "mtt-vgg":
            let loaded = try ModelRegistry.load(name)
            let layers = Set(loaded.descriptor.layers.map(\.name))
            if let m = loaded as? NetworkModel<MusiCNN> {
                model = BenchModel(name: name, audioSeconds: musicnnSeconds, flops: Double(windows) * m.network.flopsPerWindow(),
                                   reference: "TensorFlow") { _ = try! m.analyze(logMel: musicnnLogMel, layers: layers) }
            } else {
                let m = loaded as! NetworkModel<MusicnnVGG>
                model = BenchModel(name: name, audioSeconds: musicnnSeconds, flops: Double(windows) * m.network.flopsPerWindow(),
                                   reference: "TensorFlow") { _ = try! m.analyze(logMel: musicnnLogMel, layers: layers) }
            }
            let checkpoint = name.hasPrefix("msd") ? "MSD" : "MTT"
            tfRequest.append((name, checkpoint + (name.hasSuffix("vgg") ? "_vgg" : "_musicnn")))
        case "vggish":
            let vggish = try VGGish(weights: benchmarkWeights(VGGish.importSpec))
            let examples = FADNN.Tensor(shape: [vggishBatch, 96, 64], values: pseudoRandom(vggishBatch * 96 * 64, seed: 3, scale: 4, offset: -2))
            model = BenchModel(name: name, audioSeconds: Double(vggishBatch) * 0.96, flops: Double(vggishBatch) * VGGish.flopsPerExample,
                               reference: "PyTorch") { _ = vggish.embed(examples: examples) }
        case "panns-cnn14":
            let cnn14 = try PANNsCNN14(weights: benchmarkWeights(PANNsCNN14.importSpec(.khz32)), variant: .khz32)
            let logMel = FADNN.Tensor(shape: [1, cnn14Frames, 64], values: pseudoRandom(cnn14Frames * 64, seed: 4, scale: 40, offset: -60))
            model = BenchModel(name: name, audioSeconds: 10, flops: PANNsCNN14.flops(frames: cnn14Frames),
                               reference: "PyTorch") { _ = cnn14(logMel: logMel) }
        default:
            throw BenchmarkError("unknown model \(name) (musicnn, musicnn-vgg, vggish, panns-cnn14 names)")
        }
        let one = measure(model, threads: 1, repeats: repeats)
        let all = threads > 1 ? measure(model, threads: threads, repeats: repeats) : one
        var cells = [String(format: "%7.1f  %4.0f%%", one.rate, 100 * one.gflops / one.sgemm),
                     String(format: "%7.1f  %4.0f%%  %4.2fx", all.rate, 100 * all.gflops / all.sgemm, all.rate / one.rate),
                     String(format: "%7.1f  %4.0f%%", all.tileRate, 100 * all.tileRate * model.flops / model.audioSeconds / 1e9 / all.sgemm)]
        cells.append(String(format: "%6.0f MiB", peakResidentSinceReset()))
        // Per CPU-second (1 thread): immune to time slicing by other processes.
        cells.append(String(format: "%7.1f  %4.0f%%", one.cpuRate, 100 * one.cpuRate * model.flops / model.audioSeconds / 1e9 / one.cpuSgemm))
        rows.append((name, cells, all.rate, one.cpuRate))
        print(String(format: "  %@ SGEMM %5.1f GFLOP/s (1 thread) %5.1f GFLOP/s (%d); %.2f GFLOP per batch of %.1f audio-s",
                     name as NSString, one.sgemm, all.sgemm, threads, model.flops / 1e9, model.audioSeconds))
    }

    // Reference frameworks, same input, 1 and T threads.
    var reference: [String: [Int: Double]] = [:]  // audio-s/s
    var referenceCPU: [String: Double] = [:]  // audio-s per CPU-s, 1 thread
    if let tfPython, FileManager.default.isExecutableFile(atPath: tfPython), !tfRequest.isEmpty {
        let json = try runPythonJSON(tfPython, script: "musicnn_tf_benchmark.py",
                                     ["--input", logMelFile.path, "--windows", "\(windows)", "--repeats", "\(repeats)",
                                      "--threads", Array(Set([1, threads])).sorted().map(String.init).joined(separator: ","),
                                      "--models", tfRequest.map(\.1).joined(separator: ",")],
                                     environment: ["TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"])
        let graph = json?["graph"] as? [String: [String: Double]] ?? [:]
        let graphCPU = json?["graph_cpu"] as? [String: [String: Double]] ?? [:]
        for (name, checkpoint) in tfRequest {
            for t in [1, threads] { if let w = graph[checkpoint]?[String(t)] { reference[name, default: [:]][t] = w * musicnnSeconds / Double(windows) } }
            if let w = graphCPU[checkpoint]?["1"] { referenceCPU[name] = w * musicnnSeconds / Double(windows) }
        }
    }
    if let torchPython, FileManager.default.isExecutableFile(atPath: torchPython),
       names.contains("vggish") || names.contains("panns-cnn14") {
        for t in Array(Set([1, threads])).sorted() {
            let json = try runPythonJSON(torchPython, script: "torch_models_bench.py",
                                         ["--batch", "\(vggishBatch)", "--frames", "\(cnn14Frames)", "--samples", "320000",
                                          "--runs", "\(repeats)", "--threads", "\(t)"], environment: [:])
            if let s = json?["vggish_batch"] as? Double { reference["vggish", default: [:]][t] = Double(vggishBatch) * 0.96 / s }
            if let s = json?["cnn14_logmel"] as? Double { reference["panns-cnn14", default: [:]][t] = 10 / s }
            if t == 1, let s = json?["vggish_batch_cpu"] as? Double { referenceCPU["vggish"] = Double(vggishBatch) * 0.96 / s }
            if t == 1, let s = json?["cnn14_logmel_cpu"] as? Double { referenceCPU["panns-cnn14"] = 10 / s }
        }
    }

    print("\nmodel        | 1 thread: audio-s/s %SGEMM | per CPU-s: audio-s %SGEMM | \(threads) threads, file per worker: audio-s/s %SGEMM scaling | \(threads) threads, tiles split: audio-s/s %SGEMM | peak RSS | reference audio-s/s (1, \(threads) threads), fad/reference at \(threads); reference audio-s per CPU-s (1 thread), fad/reference")
    for (name, cells, ours, oursCPU) in rows {
        var line = name.padding(toLength: 12, withPad: " ", startingAt: 0)
            + " | " + [cells[0], cells[4], cells[1], cells[2], cells[3]].joined(separator: " | ")
        if let r = reference[name], let theirs = r[threads] {
            line += String(format: " | %@ %.1f, %.1f: %.2fx", (name.contains("musicnn") || name.hasSuffix("vgg") ? "TF" : "PyTorch") as NSString,
                           r[1] ?? .nan, theirs, ours / theirs)
        }
        if let theirs = referenceCPU[name] {
            line += String(format: "; per CPU-s (1 thread) %.1f: %.2fx", theirs, oursCPU / theirs)
        }
        print(line)
    }

    // End to end on one file: decode + resample + front end + model, as `fad` does it.
    if let file, FileManager.default.fileExists(atPath: file), names.contains("msd-musicnn") {
        let model = try ModelRegistry.load("msd-musicnn")
        let url = URL(fileURLWithPath: file)
        var decode: [Double] = [], total: [Double] = []
        var seconds = 0.0
        for _ in 0..<3 {
            let start = Date()
            let samples = try AudioLoader(targetSampleRate: 16000, quality: .kaiserPolyphase).load(url)
            let decoded = Date()
            _ = try BLAS.withKernelThreads(threads) { try model.analyze(samples: samples, layers: ["max_pool"], windowHop: nil) }
            decode.append(decoded.timeIntervalSince(start))
            total.append(Date().timeIntervalSince(start))
            seconds = Double(samples.count) / 16000
        }
        print(String(format: "\none file end to end, msd-musicnn on %@ (%.1f s, tiles over %d threads): %.1f audio-s/s (decode+resample %.2f s of %.2f s)",
                     url.lastPathComponent as NSString, seconds, threads, seconds / total.sorted()[1], decode.sorted()[1], total.sorted()[1]))
    }
}

/// Median rates of `model` on `threads` threads: file per worker (each of `threads` workers runs
/// its own batch with one-thread kernels) and tiles split (one batch, kernels on `threads`), with
/// the SGEMM rate on the same threads measured just before; and the file-per-worker rate per
/// CPU-second, with SGEMM's, which other processes' load barely moves.
private func measure(_ model: BenchModel, threads: Int, repeats: Int)
    -> (rate: Double, gflops: Double, tileRate: Double, sgemm: Double, cpuRate: Double, cpuSgemm: Double) {
    let cpuBefore = processCPUSeconds()
    let sgemm = sgemmGFLOPs(threads: threads, repeats: repeats)
    let cpuSgemm = 2 * pow(2048.0, 3) * Double(repeats + 1) / 1e9 / (processCPUSeconds() - cpuBefore)
    let cpuStart = processCPUSeconds()
    let perWorker = medianSeconds(repeats) {
        if threads == 1 {
            BLAS.withKernelThreads(1) { model.run() }
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { _ in BLAS.withKernelThreads(1) { model.run() } }
        }
    }
    let cpuRate = Double(threads * (repeats + 1)) * model.audioSeconds / (processCPUSeconds() - cpuStart)
    let rate = Double(threads) * model.audioSeconds / perWorker
    let tiles = threads == 1 ? perWorker : medianSeconds(repeats) { BLAS.withKernelThreads(threads) { model.run() } }
    return (rate, rate * model.flops / model.audioSeconds / 1e9, model.audioSeconds / tiles, sgemm, cpuRate, cpuSgemm)
}

/// CPU time of the whole process so far (all threads).
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// OpenBLAS SGEMM 2048^3 on `threads` threads as FADNN runs it (serial OpenBLAS on row tiles).
func sgemmGFLOPs(threads: Int, repeats: Int) -> Double {
    let n = 2048
    let a = pseudoRandom(n * n, seed: 1, scale: 1, offset: -0.5)
    var c = [Float](repeating: 0, count: n * n)
    let seconds = medianSeconds(repeats) {
        BLAS.withKernelThreads(threads) {
            a.withUnsafeBufferPointer { a in c.withUnsafeMutableBufferPointer { c in
                BLAS.parallelSgemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: a.baseAddress!, ldb: n,
                                   c: c.baseAddress!, ldc: n)
            }}
        }
    }
    return 2 * pow(Double(n), 3) / seconds / 1e9
}

/// Median wall time of `count` runs after one warm-up run.
func medianSeconds(_ count: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<max(1, count) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[times.count / 2]
}

/// Uniform values in [offset, offset + scale), reproducible.
func pseudoRandom(_ count: Int, seed: UInt64, scale: Float, offset: Float) -> [Float] {
    var state = seed &* 0x9E3779B97F4A7C15 &+ 1
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * scale + offset
    }
}

/// Arbitrary but bounded weights in the imported layout of a PyTorch model (speed does not
/// depend on the values; BatchNorm variances near 1 keep activations finite).
func benchmarkWeights(_ spec: TorchImportSpec) -> InMemoryWeights {
    var tensors: [String: FADNN.Tensor] = [:]
    for (index, t) in spec.tensors.enumerated() {
        let count = t.importedShape.reduce(1, *)
        let fanIn = max(1, t.torchShape.dropFirst().reduce(1, *))
        let scale = t.layout == .vector ? 0.1 : (6 / Float(fanIn)).squareRoot()
        let offset: Float = t.name.hasSuffix("running_var") || (t.layout == .vector && t.name.hasSuffix("weight")) ? 1 : 0
        tensors[t.name] = FADNN.Tensor(shape: t.importedShape,
                                       values: pseudoRandom(count, seed: UInt64(index + 100), scale: 2 * scale, offset: offset - scale))
    }
    return InMemoryWeights(tensors)
}

/// Runs `python arguments…` (a bare name is looked up on PATH) and parses the JSON object on the
/// last line of its standard output (reference code may print warnings before it); throws when
/// the process fails or prints no such line. Every reference run of fad-bench goes through here.
func pythonJSON(_ python: String, _ arguments: [String], environment: [String: String] = [:]) throws -> [String: Any] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let lastLine = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    guard process.terminationStatus == 0 else {
        throw BenchmarkError("\(python) failed (status \(process.terminationStatus))")
    }
    guard let json = (try? JSONSerialization.jsonObject(with: Data(lastLine.utf8))) as? [String: Any] else {
        throw BenchmarkError("\(python) printed no JSON object on its last line")
    }
    return json
}

/// Runs Tests/Fixtures/scripts/`script` through ``pythonJSON(_:_:environment:)``; nil (with a
/// message) when it fails.
func runPythonJSON(_ python: String, script: String, _ arguments: [String], environment: [String: String]) throws -> [String: Any]? {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/scripts/\(script)").path
    do {
        return try pythonJSON(python, [path] + arguments, environment: environment)
    } catch let error as BenchmarkError {
        print("reference \(script) failed: \(error)")
        return nil
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Resets the kernel's peak-RSS mark of this process (Linux: `clear_refs` 5), so that
/// `peakResidentSinceReset` measures one model at a time.
func resetPeakResident() {
    if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
        handle.write(Data("5".utf8))
        try? handle.close()
    }
}

/// VmHWM of this process in MiB (the peak since the last `resetPeakResident`), or the
/// process-lifetime peak where /proc is not available.
func peakResidentSinceReset() -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return kib / 1024
    }
    return peakResidentMiB()
}

/// `fad-bench conv3x3 [--repeats R]`: the shipped models' 3x3 convolutions on one thread,
/// Winograd F(2x2, 3x3) against im2col + SGEMM, then musicnn's convolutions (Winograd F(2, 7)
/// for the 7-high ones), by CPU time (robust to other processes' load), next to the SGEMM rate.
/// Decides where `Conv2D.Algorithm.automatic` uses Winograd.
func runConv3x3Benchmarks(arguments: [String]) throws {
    let repeats = arguments.firstIndex(of: "--repeats").flatMap { Int(arguments[($0 + 1) % arguments.count]) } ?? 5
    let cpuBefore = processCPUSeconds()
    _ = BLAS.withKernelThreads(1) { sgemmGFLOPs(threads: 1, repeats: repeats) }
    let sgemm = 2 * pow(2048.0, 3) * Double(repeats + 1) / 1e9 / (processCPUSeconds() - cpuBefore)
    print(String(format: "SGEMM 2048^3, 1 thread: %.1f GFLOP per CPU-s", sgemm))
    print("layer                           im2col GFLOP/CPU-s (%SGEMM)   Winograd (effective %SGEMM)   speed-up  max rel. diff")
    // (name, batch, height, width, cin, cout): the models' 3x3 layers at their input sizes.
    let layers: [(String, Int, Int, Int, Int, Int)] = [
        ("musicnn-vgg 2 (128->128)", 16, 92, 48, 128, 128), ("musicnn-vgg 3 (128->128)", 16, 46, 24, 128, 128),
        ("musicnn-vgg 5 (128->128)", 16, 11, 6, 128, 128),
        ("vggish conv2 (64->128)", 32, 48, 32, 64, 128), ("vggish conv3 (128->256)", 32, 24, 16, 128, 256),
        ("vggish conv4 (256->256)", 32, 24, 16, 256, 256), ("vggish conv6 (512->512)", 32, 12, 8, 512, 512),
        ("cnn14 block1b (64->64)", 1, 1001, 64, 64, 64), ("cnn14 block2 (128->128)", 1, 500, 32, 128, 128),
        ("cnn14 block3 (256->256)", 1, 250, 16, 256, 256), ("cnn14 block4 (512->512)", 1, 125, 8, 512, 512),
    ]
    for (name, n, h, w, cin, cout) in layers {
        let x = FADNN.Tensor(shape: [n, h, w, cin], values: pseudoRandom(n * h * w * cin, seed: 5, scale: 2, offset: -1))
        let winograd = Conv2D(hwio: pseudoRandom(9 * cin * cout, seed: 6, scale: 0.2, offset: -0.1), kernelHeight: 3,
                              kernelWidth: 3, inputChannels: cin, outputChannels: cout, padding: .same, activation: .relu)
        var direct = winograd
        direct.algorithm = .im2col
        func cpuRate(_ conv: Conv2D) -> (Double, [Float]) {
            var y: [Float] = []
            let start = processCPUSeconds()
            _ = BLAS.withKernelThreads(1) { medianSeconds(repeats) { y = conv(x).values } }
            return (conv.flops(height: h, width: w) * Double(n) * Double(repeats + 1) / 1e9 / (processCPUSeconds() - start), y)
        }
        let (d, yd) = cpuRate(direct)
        let (f, yf) = cpuRate(winograd)
        let scale = yd.reduce(0) { max($0, abs($1)) }
        let diff = zip(yd, yf).reduce(0) { max($0, abs($1.0 - $1.1)) } / max(scale, 1e-30)
        print(name.padding(toLength: 32, withPad: " ", startingAt: 0)
              + String(format: "%6.1f (%3.0f%%)                 %6.1f (%3.0f%%)%@          %5.2fx    %.1e",
                       d, 100 * d / sgemm, f, 100 * f / sgemm, (winograd.usesWinograd ? "" : " [not used]") as NSString, f / d, diff))
    }
    // musicnn's convolutions on 16 windows of 187 x 96: the front end (one input channel) and the
    // mid-end's [7, 1] ones, im2col against the automatic choice (Winograd F(2, 7) for the 7-high
    // kernels), by CPU time.
    print("\nmusicnn layer (16 windows)       im2col GFLOP/CPU-s (%SGEMM)   automatic (effective %SGEMM)   speed-up  max rel. diff  share of FLOPs")
    let timePad = Padding.explicit(top: 3, bottom: 3, left: 0, right: 0)
    // (name, kernel height, width, cin, cout, padding, input width: 96 mel bands or 1 for the mid-end)
    let convs: [(String, Int, Int, Int, Int, Padding, Int)] = [
        ("timbral 7x38 -> 204", 7, 38, 1, 204, timePad, 96), ("timbral 7x67 -> 204", 7, 67, 1, 204, timePad, 96),
        ("temporal 128x1 -> 51", 128, 1, 1, 51, .same, 96), ("temporal 64x1 -> 51", 64, 1, 1, 51, .same, 96),
        ("temporal 32x1 -> 51", 32, 1, 1, 51, .same, 96), ("mid-end 7x1 561 -> 64", 7, 1, 561, 64, timePad, 1),
        ("mid-end 7x1 64 -> 64", 7, 1, 64, 64, timePad, 1),
    ]
    let windowFlops = 2.79e9  // one window of musicnn, every layer
    for (name, kh, kw, cin, cout, padding, width) in convs {
        let x = FADNN.Tensor(shape: [16, 187, width, cin], values: pseudoRandom(16 * 187 * width * cin, seed: 7, scale: 4, offset: 0))
        let automatic = Conv2D(hwio: pseudoRandom(kh * kw * cin * cout, seed: 8, scale: 0.2, offset: -0.1), kernelHeight: kh,
                               kernelWidth: kw, inputChannels: cin, outputChannels: cout,
                               bias: pseudoRandom(cout, seed: 9, scale: 0.1, offset: 0), padding: padding, activation: .relu)
        var direct = automatic
        direct.algorithm = .im2col
        let flops = automatic.flops(height: 187, width: width) * 16
        func cpuRate(_ conv: Conv2D) -> (Double, [Float]) {
            var y: [Float] = []
            let start = processCPUSeconds()
            _ = BLAS.withKernelThreads(1) { medianSeconds(repeats) { y = width > 1 ? conv.maxOverWidth(x).values : conv(x).values } }
            return (flops * Double(repeats + 1) / 1e9 / (processCPUSeconds() - start), y)
        }
        let (d, yd) = cpuRate(direct)
        let (f, yf) = cpuRate(automatic)
        let scale = yd.reduce(0) { max($0, abs($1)) }
        let diff = zip(yd, yf).reduce(0) { max($0, abs($1.0 - $1.1)) } / max(scale, 1e-30)
        print(name.padding(toLength: 32, withPad: " ", startingAt: 0)
              + String(format: "%6.1f (%3.0f%%)                 %6.1f (%3.0f%%)%@           %5.2fx    %.1e       %4.1f%%",
                       d, 100 * d / sgemm, f, 100 * f / sgemm, (automatic.usesWinograd ? "" : " [im2col]") as NSString,
                       f / d, diff, 100 * flops / 16 / windowFlops))
    }
}
