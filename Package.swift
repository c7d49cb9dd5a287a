// swift-tools-version:6.0
//
// fad: Fréchet Audio Distance and friends, in Swift.
//
// The targets follow the data flow:
//   audio (FADAudio) -> features (FADFeatures) -> embeddings (FADNN, FADModels)
//   -> statistics (FADStats) -> metrics (FADMetrics) -> pipeline/report (FADPipeline, FADReport)
//   -> the `fad` command.
// Each C library sits behind its own thin system-library module (C*), found through pkg-config.
//
// Release builds keep Swift's bounds checks, overflow traps and preconditions (no -Ounchecked):
// fad parses files from strangers, and the hot loops already work on buffer pointers. No
// unsafeFlags either, so that other packages can depend on FAD by version.

import PackageDescription

let package = Package(
    name: "fad",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fad", targets: ["fad"]),
        .library(name: "FAD", targets: ["FAD"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: - C libraries (thin system-library shims)
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate",
                       providers: [.apt(["libsamplerate0-dev"]), .brew(["libsamplerate"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"]), .brew(["fftw"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke",
                       providers: [.apt(["liblapacke-dev"]), .brew(["lapack"])]),
        // The shipped musicnn weights and the model labels, compiled into the binary (C23 #embed of Models/).
        .target(name: "CEmbeddedModels"),
        // The polyphase resampler's dot products with AVX2, chosen at run time (see its .c file).
        .target(name: "CPolyphaseKernel"),

        // MARK: - Pipeline stages
        .target(name: "FADArrays"),
        .target(name: "FADAudio", dependencies: ["CSndFile", "CSampleRate", "CPolyphaseKernel"]),
        .target(name: "FADFeatures", dependencies: ["FADArrays", "CFFTW"]),
        // Scalar kernels and BLAS settings shared by the networks and the metrics.
        .target(name: "FADNumerics", dependencies: ["COpenBLAS"]),
        .target(name: "FADNN", dependencies: ["FADArrays", "FADNumerics", "COpenBLAS"]),
        // Reads PyTorch checkpoints (zip and legacy torch.save files) without running pickled code.
        .target(name: "FADTorch", dependencies: ["FADArrays"]),
        .target(name: "FADModels", dependencies: ["FADNN", "FADFeatures", "FADAudio", "FADTorch", "CEmbeddedModels"]),
        .target(name: "FADStats", dependencies: ["FADArrays", "COpenBLAS"]),
        .target(name: "FADMetrics", dependencies: ["FADStats", "FADNumerics", "CLAPACKE", "COpenBLAS"]),
        .target(name: "FADPipeline",
                dependencies: ["FADAudio", "FADFeatures", "FADNN", "FADModels", "FADStats", "FADMetrics",
                               .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "FADReport", dependencies: ["FADMetrics", "FADPipeline"]),
        .target(name: "FAD",
                dependencies: ["FADArrays", "FADAudio", "FADFeatures", "FADNN", "FADModels", "FADStats",
                               "FADMetrics", "FADPipeline", "FADReport"]),
        .executableTarget(name: "fad",
                          dependencies: ["FAD",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Crypto", package: "swift-crypto")]),

        // MARK: - Tests
        .executableTarget(name: "fad-bench", dependencies: ["FAD"]),
        .target(name: "_FADTestSupport", dependencies: ["FADArrays"], path: "Tests/_FADTestSupport"),
        .testTarget(name: "FADArraysTests", dependencies: ["FADArrays", "_FADTestSupport"]),
        .testTarget(name: "FADAudioTests", dependencies: ["FADAudio", "_FADTestSupport"]),
        .testTarget(name: "FADFeaturesTests", dependencies: ["FADFeatures", "FADAudio", "_FADTestSupport"]),
        .testTarget(name: "FADNNTests", dependencies: ["FADNN", "FADNumerics", "_FADTestSupport"]),
        .testTarget(name: "FADTorchTests", dependencies: ["FADTorch", "_FADTestSupport"]),
        .testTarget(name: "FADModelsTests", dependencies: ["FADModels", "FADTorch", "_FADTestSupport"]),
        .testTarget(name: "FADStatsTests", dependencies: ["FADStats", "_FADTestSupport"]),
        .testTarget(name: "FADMetricsTests", dependencies: ["FADMetrics", "FADNumerics", "_FADTestSupport"]),
        .testTarget(name: "FADPipelineTests", dependencies: ["FADPipeline", "_FADTestSupport"]),
        .testTarget(name: "fadCLITests", dependencies: ["fad", "_FADTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
