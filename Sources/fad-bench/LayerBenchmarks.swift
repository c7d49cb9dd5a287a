// layers: FADNN's sequence layers (Conv1d, attention, LSTM) on the shapes of the models that will
// use them, against the SGEMM ceiling and PyTorch's own float32 layers on the CPU, in one run.
//
//   swift run -c release fad-bench layers [--runs 5] [--threads N] [--python /tmp/ref/bin/python] [--no-python]
//
// The reference timings come from Tests/Fixtures/scripts/nn_layers_bench.py with
// torch.set_num_threads(FADNN threads). Weights are arbitrary: speed does not depend on them.
import Foundation
import FADNN

private struct LayerCase {
    let name: String
    /// The same case for nn_layers_bench.py.
    let torch: [String: Any]
    let flops: Double
    let run: () -> Void
}

private func randomTensor(_ shape: [Int], scale: Float, state: inout UInt32) -> FADNN.Tensor {
    FADNN.Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return (Float(state >> 8) / 8_388_608 - 1) * scale
    })
}

func runLayerBenchmarks(arguments: [String]) throws {
    func option(_ name: String, _ fallback: String) -> String {
        guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
        return arguments[i + 1]
    }
    let runs = Int(option("--runs", "5")) ?? 5
    let python = option("--python", "/tmp/ref/bin/python")
    if let requested = Int(option("--threads", "")) { BLAS.threads = requested }
    let threads = BLAS.threads
    var state: UInt32 = 2026
    print("layers: \(threads) FADNN threads, medians of \(runs) runs")

    var cases: [LayerCase] = []
    // Conv1d: EnCodec's first convolution (1 s at 24 kHz), a HuBERT/MERT feature-encoder layer
    // (1 s of its 4800 frames), HuBERT's grouped positional convolution (10 s of 75 Hz tokens).
    for (name, cin, cout, k, s, groups, pad, length) in [
        ("conv1d 1->32 k7 (EnCodec, 1 s)", 1, 32, 7, 1, 1, 3, 24_000),
        ("conv1d 512->512 k3 s2 (MERT, 1 s)", 512, 512, 3, 2, 1, 0, 4_800),
        ("conv1d 768 k128 g16 (pos. conv, 750)", 768, 768, 128, 1, 16, 64, 750),
        ("conv1d 256 depthwise k7 (2000)", 256, 256, 7, 1, 256, 3, 2_000),
    ] {
        let conv = try Conv1D(weight: randomTensor([cout, cin / groups, k], scale: 0.1, state: &state),
                              bias: randomTensor([cout], scale: 0.1, state: &state), stride: s, groups: groups,
                              padding: .symmetric(pad))
        let x = randomTensor([1, length, cin], scale: 1, state: &state)
        cases.append(LayerCase(name: name, torch: ["kind": "conv1d", "in": cin, "out": cout, "kernel": k, "stride": s,
                                                   "groups": groups, "padding": pad, "batch": 1, "length": length],
                               flops: conv.flops(inputLength: length), run: { _ = conv(x) }))
    }
    // Attention: a MERT-95M layer on 10 s (750 tokens); HTSAT's first Swin stage (64 windows of 64 tokens).
    for (name, d, heads, batch, length) in [("attention 768/12h, 750 tokens (MERT)", 768, 12, 1, 750),
                                            ("attention 96/4h, 64 x 64 windows (Swin)", 96, 4, 64, 64)] {
        let attention = try MultiHeadAttention(inProjWeight: randomTensor([3 * d, d], scale: 0.05, state: &state),
                                               inProjBias: randomTensor([3 * d], scale: 0.05, state: &state),
                                               outWeight: randomTensor([d, d], scale: 0.05, state: &state),
                                               outBias: randomTensor([d], scale: 0.05, state: &state), heads: heads)
        let x = randomTensor([batch, length, d], scale: 1, state: &state)
        cases.append(LayerCase(name: name, torch: ["kind": "attention", "dim": d, "heads": heads, "batch": batch, "length": length],
                               flops: Double(batch) * attention.flops(length: length), run: { _ = attention(x) }))
    }
    // GroupNorm(512, 512) after MERT's first convolution, 10 s at 24 kHz (47999 frames).
    do {
        let (c, length) = (512, 47_999)
        let norm = try GroupNorm(weight: randomTensor([c], scale: 1, state: &state), bias: randomTensor([c], scale: 1, state: &state),
                                 groups: c, channels: c)
        let x = randomTensor([1, length, c], scale: 1, state: &state)
        cases.append(LayerCase(name: "GroupNorm 512/512, 47999 frames (MERT)",
                               torch: ["kind": "groupnorm", "groups": c, "channels": c, "batch": 1, "length": length],
                               flops: 0, run: { _ = norm(x) }))
    }
    // LSTM: EnCodec's two layers of 512 over 10 s of latents (750 steps).
    do {
        let (d, length) = (512, 750)
        let layers = (0..<2).map { _ in
            LSTM.TorchLayer(weightIH: randomTensor([4 * d, d], scale: 0.04, state: &state),
                            weightHH: randomTensor([4 * d, d], scale: 0.04, state: &state),
                            biasIH: randomTensor([4 * d], scale: 0.04, state: &state), biasHH: nil)
        }
        let lstm = try LSTM(layers: layers)
        let x = randomTensor([1, length, d], scale: 1, state: &state)
        cases.append(LayerCase(name: "LSTM 512 x 2 layers, 750 steps (EnCodec)", torch: ["kind": "lstm", "dim": d, "layers": 2,
                                                                                         "batch": 1, "length": length],
                               flops: 2 * 2 * Double(length) * Double(2 * d * 4 * d), run: { _ = lstm(x) }))
    }

    var reference: [String: Any] = [:]
    if !arguments.contains("--no-python") {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/scripts/nn_layers_bench.py")
        let described = cases.map { $0.torch.merging(["name": $0.name]) { a, _ in a } }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: described), as: UTF8.self)
        do {
            reference = try pythonJSON(python, [script.path, "--runs", "\(runs)", "--threads", "\(threads)", "--cases", json])
        } catch {
            print("PyTorch reference not run (\(python): \(error))")
        }
    }

    let n = 1024
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    let sgemm = medianSeconds(runs: runs) {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
            BLAS.parallelSgemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
        } } }
    }
    let peak = 2 * Double(n * n * n) / sgemm / 1e9
    print(String(format: "SGEMM 1024^3 (FADNN tiles, %d threads): %.1f GFLOP/s", threads, peak))
    for layer in cases {
        let time = medianSeconds(runs: runs, layer.run)
        var line = String(format: "%-42@ %9.3f ms", layer.name as NSString, time * 1e3)
        if layer.flops > 0 {
            line += String(format: " %7.1f GFLOP/s (%4.1f%% of SGEMM)", layer.flops / time / 1e9, 100 * layer.flops / time / 1e9 / peak)
        }
        if let t = reference[layer.name] as? Double {
            line += String(format: " | PyTorch %9.3f ms, fad/PyTorch speed %.2fx", t * 1e3, t / time)
        }
        print(line)
    }
    if let version = reference["torch"] as? String { print("PyTorch \(version), \(reference["threads"] ?? "?") threads") }
}

private func medianSeconds(runs: Int, _ body: () -> Void) -> Double {
    body()  // warm-up
    var times: [Double] = []
    for _ in 0..<max(1, runs) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[times.count / 2]
}
