// `fad-bench torch-models [ARGS...]`: the PyTorch-ported models only, i.e.
// `fad-bench models --models vggish,panns-cnn14 [ARGS...]` (see ModelBenchmarks.swift).
func runTorchModelBenchmarks(arguments: [String]) throws {
    try runModelBenchmarks(arguments: ["--models", "vggish,panns-cnn14", "--no-file"] + arguments)
}
