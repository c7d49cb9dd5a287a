// `fad-bench wavegram [--threads T] [--repeats R] [--seconds S] [--torch-python PY] [--reference DIR]`
//
// PANNs Wavegram-Logmel-CNN14 (`panns-wavegram-logmel`) on one clip of S seconds (default 10, the
// length it was trained on), the whole forward pass: FADFeatures' log-mel front end, the wavegram
// branch and CNN14's blocks, as the registry runs it. Reports audio-s/s on 1 thread and with
// T workers (one clip each, one-thread kernels: how `fad` runs a set), audio-s per CPU-second
// (robust to other processes' load), each as a percentage of the OpenBLAS SGEMM 2048^3 rate
// measured just before on the same threads (direct-convolution FLOPs, front end not counted),
// and the peak RSS. The reference, in the same run: audioset_tagging_cnn's own
// `Wavegram_Logmel_Cnn14` in PyTorch on CPU (Tests/Fixtures/scripts/wavegram_bench.py; its
// forward includes torchlibrosa's front end) on 1 and T threads, with its process's peak RSS.
//
// Reference environment: a Python with torch and torchlibrosa (default /tmp/ref/bin/python) and
// the reference code exported to DIR (default /tmp/wgref/pytorch):
//   git --git-dir=<mirror of qiuqiangkong/audioset_tagging_cnn> archive HEAD pytorch | tar -x -C /tmp/wgref
// Weights are arbitrary in the imported layout (speed does not depend on the values).
import Foundation
import FADModels
import FADNN

func runWavegramBenchmarks(arguments: [String]) throws {
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var repeats = 5
    var seconds = 10.0
    var torchPython: String? = "/tmp/ref/bin/python"
    var reference = "/tmp/wgref/pytorch"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--threads": threads = Int(iterator.next() ?? "") ?? threads
        case "--repeats": repeats = Int(iterator.next() ?? "") ?? repeats
        case "--seconds": seconds = Double(iterator.next() ?? "") ?? seconds
        case "--torch-python": torchPython = iterator.next()
        case "--reference": reference = iterator.next() ?? reference
        case "--no-reference": torchPython = nil
        default: throw BenchmarkError("unknown argument \(argument)")
        }
    }
    threads = max(1, threads)
    let samples = max(PANNsWavegramLogmelCNN14.minimumSamples, Int(seconds * 32_000))
    let audioSeconds = Double(samples) / 32_000
    let flops = PANNsWavegramLogmelCNN14.flops(samples: samples)
    print(String(format: "wavegram: panns-wavegram-logmel on one %.1f s clip (%.2f GFLOP), %d threads, medians of %d runs",
                 audioSeconds, flops / 1e9, threads, repeats))

    resetPeakResident()
    let network = try PANNsWavegramLogmelCNN14(weights: benchmarkWeights(PANNsWavegramLogmelCNN14.importSpec))
    let clip = FADNN.Tensor(shape: [1, samples, 1], values: pseudoRandom(samples, seed: 12, scale: 0.2, offset: -0.1))
    let run: @Sendable () -> Void = { _ = try! network(waveforms: clip) }

    func rates(_ threads: Int) -> (rate: Double, cpuRate: Double, sgemm: Double, cpuSgemm: Double) {
        let cpuBefore = processCPUSeconds()
        let sgemm = sgemmGFLOPs(threads: threads, repeats: repeats)
        let cpuSgemm = 2 * pow(2048.0, 3) * Double(repeats + 1) / 1e9 / (processCPUSeconds() - cpuBefore)
        let cpuStart = processCPUSeconds()
        let perWorker = medianSeconds(repeats) {
            if threads == 1 {
                BLAS.withKernelThreads(1) { run() }
            } else {
                DispatchQueue.concurrentPerform(iterations: threads) { _ in BLAS.withKernelThreads(1) { run() } }
            }
        }
        let cpuRate = Double(threads * (repeats + 1)) * audioSeconds / (processCPUSeconds() - cpuStart)
        return (Double(threads) * audioSeconds / perWorker, cpuRate, sgemm, cpuSgemm)
    }
    func percent(_ rate: Double, _ sgemm: Double) -> Double { 100 * rate * flops / audioSeconds / 1e9 / sgemm }

    let one = rates(1)
    let all = threads > 1 ? rates(threads) : one
    let peak = peakResidentSinceReset()
    print(String(format: "fad     1 thread: %6.2f audio-s/s (%3.0f%% SGEMM) | per CPU-s: %6.2f audio-s (%3.0f%% SGEMM) | %d workers: %6.2f audio-s/s (%3.0f%% SGEMM, %.2fx) | peak RSS %4.0f MiB",
                 one.rate, percent(one.rate, one.sgemm), one.cpuRate, percent(one.cpuRate, one.cpuSgemm),
                 threads, all.rate, percent(all.rate, all.sgemm), all.rate / one.rate, peak))

    guard let torchPython, FileManager.default.isExecutableFile(atPath: torchPython),
          FileManager.default.fileExists(atPath: reference + "/models.py") else {
        print("reference: skipped (no \(torchPython ?? "python") or no \(reference)/models.py)")
        return
    }
    var referenceRates: [Int: (rate: Double, cpuRate: Double, rss: Double)] = [:]
    for t in Array(Set([1, threads])).sorted() {
        guard let json = try runPythonJSON(torchPython, script: "wavegram_bench.py",
                                           ["--reference", reference, "--samples", "\(samples)", "--runs", "\(repeats)",
                                            "--threads", "\(t)"], environment: [:]),
              let wall = json["clip"] as? Double, let cpu = json["clip_cpu"] as? Double else { continue }
        referenceRates[t] = (audioSeconds / wall, audioSeconds / cpu, json["peak_rss_mib"] as? Double ?? .nan)
    }
    if let r1 = referenceRates[1] {
        let rt = referenceRates[threads] ?? r1
        print(String(format: "PyTorch 1 thread: %6.2f audio-s/s | per CPU-s: %6.2f audio-s | %d threads: %6.2f audio-s/s | peak RSS %4.0f MiB",
                     r1.rate, r1.cpuRate, threads, rt.rate, max(r1.rss, rt.rss)))
        print(String(format: "fad/PyTorch: %.2fx (1 thread), %.2fx (per CPU-s), %.2fx (%d threads: fad's workers vs PyTorch's intra-op threads)",
                     one.rate / r1.rate, one.cpuRate / r1.cpuRate, all.rate / rt.rate, threads))
    }
}
