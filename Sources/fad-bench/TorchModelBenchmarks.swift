// torch-models: VGGish and PANNs CNN14 throughput, against the SGEMM ceiling and PyTorch's own CPU
// run of the reference model code, all in one run on the same machine.
//
//   swift run -c release fad-bench torch-models [--runs 5] [--batch 32] [--seconds 10]
//       [--python /tmp/torch/bin/python] [--no-python]
//
// Weights are arbitrary (speed does not depend on them); the reference timings come from
// Tests/Fixtures/scripts/torch_models_bench.py with torch.set_num_threads(FADNN threads).
import Foundation
import FADArrays
import FADFeatures
import FADModels
import FADNN

private func medianSeconds(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()  // warm-up
    var times: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[times.count / 2]
}

/// Arbitrary but bounded weights in the imported layout, fast to make.
private func benchmarkWeights(_ spec: TorchImportSpec) -> InMemoryWeights {
    var tensors: [String: FADNN.Tensor] = [:]
    var state: UInt32 = 12345
    for t in spec.tensors {
        let count = t.importedShape.reduce(1, *)
        let fanIn = max(1, t.torchShape.dropFirst().reduce(1, *))
        let scale = t.layout == .vector ? 0.1 : (6 / Float(fanIn)).squareRoot()
        let offset: Float = t.name.hasSuffix("running_var") || (t.layout == .vector && t.name.hasSuffix("weight")) ? 1 : 0
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            values[i] = (Float(state >> 8) / 8_388_608 - 1) * scale + offset
        }
        tensors[t.name] = FADNN.Tensor(shape: t.importedShape, values: values)
    }
    return InMemoryWeights(tensors)
}

private func sgemmGFLOPs(runs: Int) -> Double {
    let n = 2048
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    let seconds = medianSeconds(runs: runs) {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
            BLAS.parallelSgemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n,
                               c: c.baseAddress!, ldc: n)
        } } }
    }
    return 2 * Double(n * n * n) / seconds / 1e9
}

func runTorchModelBenchmarks(arguments: [String]) throws {
    func option(_ name: String, _ fallback: String) -> String {
        guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
        return arguments[i + 1]
    }
    let runs = Int(option("--runs", "5")) ?? 5
    let batch = Int(option("--batch", "32")) ?? 32
    let seconds = Int(option("--seconds", "10")) ?? 10
    let python = option("--python", "/tmp/torch/bin/python")
    let threads = BLAS.threads
    print("torch-models: \(threads) FADNN threads, medians of \(runs) runs")

    let peak = sgemmGFLOPs(runs: runs)
    print(String(format: "SGEMM 2048^3 (FADNN row-split, %d threads): %.1f GFLOP/s", threads, peak))

    // VGGish: network on a batch of examples, and from the waveform through the front end.
    let vggish = try VGGish(weights: benchmarkWeights(VGGish.importSpec))
    var generator = SystemRandomNumberGenerator()
    let examples = FADNN.Tensor(shape: [batch, 96, 64], values: (0..<(batch * 96 * 64)).map { _ in Float.random(in: -5...2, using: &generator) })
    let vggishSeconds = medianSeconds(runs: runs) { _ = vggish.embed(examples: examples) }
    let vggishFlops = VGGish.flopsPerExample * Double(batch)
    let clip16k = (0..<(batch * 15_360 + 240)).map { i in 0.3 * sin(Float(i) * 0.031) + Float.random(in: -0.05...0.05, using: &generator) }
    let vggishFrontEnd = LogMelFrontEnd(.vggish)
    let vggishClipSeconds = try medianSeconds(runs: runs) {
        let (x, _) = try VGGish.examples(of: clip16k, framing: .fadtk, frontEnd: vggishFrontEnd)
        precondition(x.shape[0] == batch)
        _ = vggish.embed(examples: x)
    }

    // CNN14: one clip of `seconds` s at 32 kHz; network on its log-mel, and from the waveform.
    let cnn14 = try PANNsCNN14(weights: benchmarkWeights(PANNsCNN14.importSpec(.khz32)), variant: .khz32)
    let pannsFrontEnd = LogMelFrontEnd(.pannsCNN14)
    let clip32k = (0..<(seconds * 32_000)).map { i in 0.3 * sin(Float(i) * 0.021) + Float.random(in: -0.05...0.05, using: &generator) }
    let logMel = try pannsFrontEnd(clip32k)
    let logMelTensor = FADNN.Tensor(shape: [1, logMel.rows, logMel.columns], values: logMel.values)
    let cnnSeconds = medianSeconds(runs: runs) { _ = cnn14(logMel: logMelTensor) }
    let cnnClipSeconds = try medianSeconds(runs: runs) { _ = try cnn14(samples: clip32k, frontEnd: pannsFrontEnd) }
    let cnnFlops = PANNsCNN14.flops(frames: logMel.rows)

    var reference: [String: Any] = [:]
    if !arguments.contains("--no-python") {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/scripts/torch_models_bench.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--batch", "\(batch)", "--frames", "\(logMel.rows)",
                             "--samples", "\(clip32k.count)", "--runs", "\(runs)", "--threads", "\(threads)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            reference = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        } catch {
            print("PyTorch reference not run (\(python): \(error))")
        }
    }

    func row(_ name: String, windows: Int, audioSeconds: Double, flops: Double?, time: Double, torchKey: String) {
        var line = String(format: "%-34@ %8.2f windows/s %8.1f audio-s/s", name as NSString,
                          Double(windows) / time, audioSeconds / time)
        if let flops {
            line += String(format: " %7.1f GFLOP/s (%4.1f%% of SGEMM)", flops / time / 1e9, 100 * flops / time / 1e9 / peak)
        }
        if let t = reference[torchKey] as? Double {
            line += String(format: " | PyTorch %8.1f audio-s/s, fad/PyTorch %.2fx", audioSeconds / t, t / time)
        }
        print(line)
    }
    row("VGGish network (\(batch) examples)", windows: batch, audioSeconds: Double(batch) * 0.96, flops: vggishFlops,
        time: vggishSeconds, torchKey: "vggish_batch")
    row("VGGish waveform->embedding (fadtk)", windows: batch, audioSeconds: Double(batch) * 0.96, flops: nil,
        time: vggishClipSeconds, torchKey: "")
    row("CNN14 network (\(seconds) s clip)", windows: 1, audioSeconds: Double(seconds), flops: cnnFlops,
        time: cnnSeconds, torchKey: "cnn14_logmel")
    row("CNN14 waveform->outputs (\(seconds) s)", windows: 1, audioSeconds: Double(seconds), flops: nil,
        time: cnnClipSeconds, torchKey: "cnn14_clip")
    if let version = reference["torch"] as? String { print("PyTorch \(version), \(reference["threads"] ?? "?") threads") }
}
