// `fad-bench clap [--models clap-laion-music,clap-laion-audio] [--windows N] [--repeats R]
//                 [--threads T] [--python PY] [--no-reference]`
//
// The CLAP-LAION audio encoders (front end + HTSAT + projection) on a batch of N 10 s windows,
// on 1 and T threads (the GEMM tiles of one batch split over the threads), next to laion_clap's
// own CLAP_Module in PyTorch on the same batch and thread counts (Tests/Fixtures/scripts/
// clap_bench.py, run with --python, default /tmp/ref/bin/python). Rates are window-audio seconds
// per second; fadtk's 1 s hop puts ten windows on every second of a file, so a file is scored at
// a tenth of that rate (with `--window-hop 480000`, at the full rate). %SGEMM is the network's
// FLOPs per second against OpenBLAS SGEMM 2048^3 measured just before on the same threads.
// Weights are arbitrary but bounded (speed does not depend on them); the input is noise.
import Foundation
import FADModels
import FADNN

func runCLAPBenchmarks(arguments: [String]) throws {
    var names = CLAP.Variant.allCases.map(\.rawValue)
    var windows = 4, repeats = 3
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var python: String? = "/tmp/ref/bin/python"
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--models": names = (iterator.next() ?? "").split(separator: ",").map(String.init)
        case "--windows": windows = max(1, Int(iterator.next() ?? "") ?? windows)
        case "--repeats": repeats = max(1, Int(iterator.next() ?? "") ?? repeats)
        case "--threads": threads = max(1, Int(iterator.next() ?? "") ?? threads)
        case "--python": python = iterator.next()
        case "--no-reference": python = nil
        default: throw BenchmarkError("unknown argument \(argument)")
        }
    }
    let input = FADNN.Tensor(shape: [windows, CLAP.windowSamples],
                             values: pseudoRandom(windows * CLAP.windowSamples, seed: 9, scale: 0.2, offset: -0.1))
    let audioSeconds = Double(windows * CLAP.windowSamples) / Double(CLAP.sampleRate)
    let threadCounts = Array(Set([1, threads])).sorted()
    print("clap: \(windows) windows of 10 s per batch, medians of \(repeats) runs, threads \(threadCounts)")
    print("model            | threads | fad window-audio-s/s | %SGEMM | PyTorch window-audio-s/s | fad/PyTorch | fad peak RSS | PyTorch peak RSS")
    for name in names {
        guard let variant = CLAP.Variant(rawValue: name) else { throw BenchmarkError("unknown model \(name)") }
        resetPeakResident()
        let network = try CLAP(weights: clapBenchmarkWeights(CLAP.importSpec(variant)), variant: variant)
        var ours: [Int: (rate: Double, sgemm: Double)] = [:]
        var cpuRate = 0.0, cpuSgemm = 0.0
        for t in threadCounts {
            var cpu = processCPUSeconds()
            let sgemm = sgemmGFLOPs(threads: t, repeats: repeats)
            if t == 1 { cpuSgemm = 2 * pow(2048.0, 3) * Double(repeats + 1) / 1e9 / (processCPUSeconds() - cpu) }
            cpu = processCPUSeconds()
            let seconds = medianSeconds(repeats) { BLAS.withKernelThreads(t) { _ = try! network(windows: input) } }
            if t == 1 { cpuRate = audioSeconds * Double(repeats + 1) / (processCPUSeconds() - cpu) }
            ours[t] = (audioSeconds / seconds, sgemm)
        }
        let rss = peakResidentSinceReset()
        var theirs: [Int: Double] = [:]
        var theirCPURate = Double.nan
        var theirRSS = Double.nan
        if let python, FileManager.default.isExecutableFile(atPath: python) {
            for t in threadCounts {
                let json = try runPythonJSON(python, script: "clap_bench.py",
                                             ["--amodel", variant == .music ? "HTSAT-base" : "HTSAT-tiny", "--windows", "\(windows)",
                                              "--runs", "\(repeats)", "--threads", "\(t)"], environment: [:])
                if let s = json?["seconds"] as? Double { theirs[t] = audioSeconds / s }
                if t == 1, let s = json?["cpu_seconds"] as? Double { theirCPURate = audioSeconds / s }
                if let m = json?["peak_rss_mib"] as? Double { theirRSS = m }
            }
        }
        for t in threadCounts {
            let (rate, sgemm) = ours[t]!
            let gflops = rate / 10 * network.flopsPerWindow / 1e9
            print(String(format: "%@ | %7d | %20.2f | %5.0f%% | %24.2f | %10.2fx | %8.0f MiB | %8.0f MiB",
                         name.padding(toLength: 16, withPad: " ", startingAt: 0) as NSString, t, rate, 100 * gflops / sgemm,
                         theirs[t] ?? .nan, rate / (theirs[t] ?? .nan), rss, theirRSS))
        }
        // Per CPU-second on one thread: what time slicing by other processes barely moves.
        print(String(format: "%@ | per CPU-s, 1 thread: fad %.2f window-audio-s (%.0f%% of SGEMM's %.1f GFLOP per CPU-s), PyTorch %.2f: %.2fx",
                     name.padding(toLength: 16, withPad: " ", startingAt: 0) as NSString, cpuRate,
                     100 * cpuRate / 10 * network.flopsPerWindow / 1e9 / cpuSgemm, cpuSgemm, theirCPURate, cpuRate / theirCPURate))
        print(String(format: "  %@: %.1f GFLOP per window; SGEMM %@ GFLOP/s", name as NSString, network.flopsPerWindow / 1e9,
                     threadCounts.map { String(format: "%.1f (%d)", ours[$0]!.sgemm, $0) }.joined(separator: ", ") as NSString))
    }
}

/// Bounded weights in the PyTorch layouts CLAP imports: He-uniform matrices, LayerNorm and
/// BatchNorm scales near 1, variances near 1, small biases.
private func clapBenchmarkWeights(_ spec: TorchImportSpec) -> InMemoryWeights {
    var tensors: [String: FADNN.Tensor] = [:]
    for (index, t) in spec.tensors.enumerated() {
        let count = t.importedShape.reduce(1, *)
        let seed = UInt64(index + 200)
        let values: [Float]
        if t.torchShape.count >= 2 && !t.name.hasSuffix("relative_position_bias_table") {
            let bound = (6 / Float(max(1, t.torchShape.dropFirst().reduce(1, *)))).squareRoot()
            values = pseudoRandom(count, seed: seed, scale: 2 * bound, offset: -bound)
        } else if t.name.hasSuffix("weight") || t.name.hasSuffix("running_var") {
            values = pseudoRandom(count, seed: seed, scale: 0.5, offset: 0.75)
        } else {
            values = pseudoRandom(count, seed: seed, scale: 0.2, offset: -0.1)
        }
        tensors[t.name] = FADNN.Tensor(shape: t.importedShape, values: values)
    }
    return InMemoryWeights(tensors)
}
