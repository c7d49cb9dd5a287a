// fad-bench: benchmarks, not tests. `swift run -c release fad-bench NAME [ARGS...]`.
// Each stage's benchmarks live in their own file here and register one entry below; each prints
// medians (the machines are shared and noisy) in audio-seconds per second and GFLOP/s.
import Foundation
import FADNN

let benchmarks: [String: (_ arguments: [String]) throws -> Void] = [
    "audio": runAudioBenchmarks,
    "clap": runCLAPBenchmarks,
    "conv3x3": runConv3x3Benchmarks,
    "encodec": runEnCodecBenchmarks,
    "layers": runLayerBenchmarks,
    "mert": runMERTBenchmarks,
    "metrics": runMetricsBenchmarks,
    "models": runModelBenchmarks,
    "passt": runPaSSTBenchmarks,
    "pipeline": runPipelineBenchmarks,
    "torch-models": runTorchModelBenchmarks,
    "wavegram": runWavegramBenchmarks,
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = benchmarks[name] else {
    print("usage: fad-bench NAME [ARGS...]\nbenchmarks: \(benchmarks.keys.sorted().joined(separator: ", "))")
    exit(arguments.isEmpty ? 0 : 2)
}
// As `fad` runs (see FADCommand.main).
ActivationMemory.retainFreedBlocks()
do {
    try benchmark(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("fad-bench \(name): \(error)\n".utf8))
    exit(1)
}
