// `fad-bench passt [--windows N] [--threads T] [--repeats R] [--python PY] [--no-reference]`
//
// PaSST (`passt`) on N 10 s windows of 32 kHz audio in one batch (front end + network, as
// `forward` runs a batch), against hear21passt's own PyTorch model on the same batch shape and
// thread count in the same run (Tests/Fixtures/scripts/passt_bench.py; --python defaults to
// /tmp/ref/bin/python, an environment with torch and hear21passt 0.0.26). Reports audio-s/s
// (median wall), audio-s per CPU-second (robust to other processes' load on shared machines), each
// as a percentage of the OpenBLAS SGEMM 2048^3 rate measured just before on the same threads, and
// peak RSS. Weights are arbitrary (He-uniform matrices, unit LayerNorm gains): speed does not
// depend on their values.
import Foundation
import FADModels
import FADNN

func runPaSSTBenchmarks(arguments: [String]) throws {
    var windows = 4, repeats = 3
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var python: String? = "/tmp/ref/bin/python"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--windows": windows = max(1, Int(iterator.next() ?? "") ?? windows)
        case "--repeats": repeats = max(1, Int(iterator.next() ?? "") ?? repeats)
        case "--threads": threads = max(1, Int(iterator.next() ?? "") ?? threads)
        case "--python": python = iterator.next()
        case "--no-reference": python = nil
        default: throw BenchmarkError("unknown argument \(argument)")
        }
    }
    let samples = PaSST.windowSamples
    let audioSeconds = Double(windows * samples) / Double(PaSST.sampleRate)
    let flops = Double(windows) * PaSST.flops(samples: samples)
    print(String(format: "passt: %d windows of 10 s per batch (%.0f GFLOP), medians of %d runs, SGEMM 2048^3 measured just before",
                 windows, flops / 1e9, repeats))

    resetPeakResident()
    var tensors: [String: FADNN.Tensor] = [:]
    for (index, t) in PaSST.importSpec.tensors.enumerated() {
        let count = t.torchShape.reduce(1, *)
        // LayerNorm gains: the 1-D weights (the patch bias and every other vector are biases).
        let isGain = t.torchShape.count == 1 && t.name.hasSuffix(".weight")
        let scale: Float = t.torchShape.count >= 2 ? (6 / Float(max(1, t.torchShape.dropFirst().reduce(1, *)))).squareRoot() : 0.02
        tensors[t.name] = FADNN.Tensor(shape: t.torchShape, values: pseudoRandom(count, seed: UInt64(index + 200), scale: 2 * scale,
                                                                                 offset: (isGain ? 1 : 0) - scale))
    }
    let model = try PaSST(weights: InMemoryWeights(tensors))
    let batch = FADNN.Tensor(shape: [windows, samples], values: pseudoRandom(windows * samples, seed: 5, scale: 0.2, offset: -0.1))

    var lines: [String] = []
    var fadRates: [Int: (wall: Double, cpu: Double)] = [:]
    for t in Array(Set([1, threads])).sorted() {
        let cpuBefore = processCPUSeconds()
        let sgemm = sgemmGFLOPs(threads: t, repeats: repeats)
        let cpuSgemm = 2 * pow(2048.0, 3) * Double(repeats + 1) / 1e9 / (processCPUSeconds() - cpuBefore)
        let cpuStart = processCPUSeconds()
        let seconds = medianSeconds(repeats) { BLAS.withKernelThreads(t) { _ = try! model(samples: batch) } }
        let cpuSeconds = (processCPUSeconds() - cpuStart) / Double(repeats + 1)
        fadRates[t] = (audioSeconds / seconds, audioSeconds / cpuSeconds)
        lines.append(String(format: "fad     %d thread%@: %6.2f audio-s/s (%3.0f%% of SGEMM %5.1f GFLOP/s); %6.2f audio-s per CPU-s (%3.0f%% of SGEMM %5.1f GFLOP/CPU-s)",
                            t, t == 1 ? " " : "s", audioSeconds / seconds, 100 * flops / seconds / 1e9 / sgemm, sgemm,
                            audioSeconds / cpuSeconds, 100 * flops / cpuSeconds / 1e9 / cpuSgemm, cpuSgemm))
    }
    let peak = peakResidentSinceReset()
    lines.append(String(format: "fad     peak RSS %.0f MiB (weights, one batch)", peak))

    if let python, FileManager.default.isExecutableFile(atPath: python) {
        for t in Array(Set([1, threads])).sorted() {
            guard let json = try runPythonJSON(python, script: "passt_bench.py",
                                               ["--batch", "\(windows)", "--samples", "\(samples)", "--runs", "\(repeats)", "--threads", "\(t)"],
                                               environment: [:]),
                  let seconds = json["seconds"] as? Double, let cpu = json["cpu_seconds"] as? Double else { continue }
            let rss = json["peak_rss_mib"] as? Double ?? .nan
            let ours = fadRates[t]!
            lines.append(String(format: "PyTorch %d thread%@: %6.2f audio-s/s; %6.2f audio-s per CPU-s; peak RSS %.0f MiB (torch %@); fad/PyTorch %.2fx wall, %.2fx per CPU-s",
                                t, t == 1 ? " " : "s", audioSeconds / seconds, audioSeconds / cpu, rss,
                                (json["torch"] as? String ?? "?") as NSString, ours.wall / (audioSeconds / seconds), ours.cpu / (audioSeconds / cpu)))
        }
    }
    lines.forEach { print($0) }
}
