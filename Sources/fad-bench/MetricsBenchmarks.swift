// Metrics benchmarks: Fréchet distance against SciPy's sqrtm-based FD (pytorch-fid's and
// fadtk's way) on the same matrices in the same run, and covariance accumulation speed.
//
//   swift run -c release fad-bench metrics [--dims 128,753,2048] [--runs 5] [--python python3] [--no-python]
//                                          [--python-runs-2048 1]   (SciPy's sqrtm takes minutes at d = 2048)
import FAD
import Foundation

private func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

private func median(_ x: [Double]) -> Double {
    let s = x.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Correlated pseudo-random frames: iid normals times a banded mixing, so covariances are full
/// rank and not diagonal.
private func benchmarkFrames(rows: Int, columns d: Int, seed: UInt64) -> Matrix<Float> {
    var g = SeededGenerator(seed: seed)
    var values = [Float](repeating: 0, count: rows * d)
    var z = [Float](repeating: 0, count: d)
    for r in 0..<rows {
        for j in 0..<d {
            let u1 = 1 - g.uniformDouble(), u2 = g.uniformDouble()
            z[j] = Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
        for j in 0..<d {
            values[r * d + j] = z[j] + 0.5 * z[(j + 1) % d] + 0.25 * z[(j + 7) % d] + Float(j % 5) * 0.1
        }
    }
    return Matrix(rows: rows, columns: d, values: values)
}

private let pythonFD = """
import json, sys, time, warnings
import numpy as np
from scipy import linalg
warnings.filterwarnings("ignore")
mu1, s1, mu2, s2 = (np.load(sys.argv[i]) for i in range(1, 5))
runs = int(sys.argv[5])
def fd_sqrtm():  # pytorch-fid / frechet_audio_distance
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
def fd_fadtk():  # fadtk calc_frechet_distance: sqrtm AND eig + inv
    diff = mu1 - mu2
    covmean_sqrtm, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    d, v = linalg.eig(s1.dot(s2))
    covmean = (v * np.sqrt(d.astype(complex))) @ linalg.inv(v)
    return (diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)).real
out = {}
for name, f in [("sqrtm", fd_sqrtm), ("fadtk", fd_fadtk)]:
    times, value = [], None
    for _ in range(runs):
        t = time.perf_counter(); value = float(np.real(f())); times.append(time.perf_counter() - t)
    out[name] = {"median_s": float(np.median(times)), "value": value}
print(json.dumps(out))
"""

private let pythonCov = """
import json, sys, time
import numpy as np
x = np.load(sys.argv[1])
runs = int(sys.argv[2])
times = []
for _ in range(runs):
    t = time.perf_counter(); c = np.cov(x.astype(np.float64), rowvar=False); times.append(time.perf_counter() - t)
print(json.dumps({"median_s": float(np.median(times))}))
"""

/// Runs `python -c script arguments…` and decodes the JSON object it prints.
private func runPython(_ python: String, _ script: String, _ arguments: [String]) throws -> [String: Any] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw MetricsError.invalid(subject: "fad-bench metrics", reason: "python reference failed (status \(process.terminationStatus))")
    }
    return json
}

func runMetricsBenchmarks(arguments: [String]) throws {
    var dims = [128, 753, 2048]
    var runs = 5
    var python: String? = "python3"
    var pythonRunsLarge = 1
    var k = 0
    while k < arguments.count {
        switch arguments[k] {
        case "--dims": k += 1; dims = arguments[k].split(separator: ",").compactMap { Int($0) }
        case "--runs": k += 1; runs = Int(arguments[k]) ?? runs
        case "--python": k += 1; python = arguments[k]
        case "--no-python": python = nil
        case "--python-runs-2048": k += 1; pythonRunsLarge = Int(arguments[k]) ?? pythonRunsLarge
        default: throw MetricsError.invalid(subject: "fad-bench metrics", reason: "unknown argument \(arguments[k])")
        }
        k += 1
    }
    let meta = StatisticsMetadata(model: "bench", layer: "bench", frontEnd: "bench", files: 1)
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fad-bench-metrics-\(getpid())")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }

    print("== covariance accumulation (RunningStatistics.add, files of 64 frames, float32 in, float64 sums)")
    print("load average: \((try? String(contentsOfFile: "/proc/loadavg")) ?? "?")", terminator: "")
    print("d\tframes\tmedian_s\tframes/s\tGFLOP/s(syrk n·d²)\tnumpy_np.cov_s\tspeedup_vs_numpy")
    var statistics: [Int: (GaussianStatistics, GaussianStatistics)] = [:]
    for d in dims {
        let n = max(2 * d + 200, 4096)
        let framesA = benchmarkFrames(rows: n, columns: d, seed: 1)
        let framesB = benchmarkFrames(rows: n, columns: d, seed: 2)
        var times: [Double] = []
        var last = RunningStatistics(dimension: d)
        for _ in 0..<runs {
            times.append(seconds {
                var s = RunningStatistics(dimension: d)
                var start = 0
                while start < n {
                    let end = min(start + 64, n)
                    s.add(framesA.selectingRows(start..<end))
                    start = end
                }
                last = s
            })
        }
        let t = median(times)
        var line = String(format: "%d\t%d\t%.4f\t%.0f\t%.1f", d, n, t, Double(n) / t, Double(n) * Double(d) * Double(d) / t / 1e9)
        if let python {
            let path = tmp.appendingPathComponent("frames_\(d).npy")
            try NPYArray(framesA, dtype: .float32).write(to: path)
            let json = try runPython(python, pythonCov, [path.path, String(runs)])
            let numpy = (json["median_s"] as! NSNumber).doubleValue
            line += String(format: "\t%.4f\t%.1fx", numpy, numpy / t)
        }
        print(line)
        var b = RunningStatistics(dimension: d)
        b.add(framesB)
        statistics[d] = (try last.finalized(metadata: meta), try b.finalized(metadata: meta))
    }

    print("\n== Fréchet distance: fad (pivoted Cholesky + symmetric eigenvalues) vs SciPy sqrtm (pytorch-fid) and fadtk (sqrtm + eig + inv)")
    print("d\tfad_s\tsqrtm_s\tfadtk_s\tspeedup_vs_sqrtm\tspeedup_vs_fadtk\tfad_value\tsqrtm_value\tfadtk_value")
    for d in dims {
        let (a, b) = statistics[d]!
        var value = 0.0
        let ourRuns = d >= 2048 ? max(3, runs / 2) : runs
        let ours = median(try (0..<ourRuns).map { _ in try seconds { value = try frechetDistance(a, b).value } })
        var line = String(format: "%d\t%.4f", d, ours)
        if let python {
            let paths = ["mu1", "s1", "mu2", "s2"].map { tmp.appendingPathComponent("\($0)_\(d).npy") }
            try NPYArray(shape: [d], values: a.mean).write(to: paths[0])
            try NPYArray(shape: [d, d], values: a.covariance.values).write(to: paths[1])
            try NPYArray(shape: [d], values: b.mean).write(to: paths[2])
            try NPYArray(shape: [d, d], values: b.covariance.values).write(to: paths[3])
            let pyRuns = d >= 2048 ? pythonRunsLarge : runs
            let json = try runPython(python, pythonFD, paths.map(\.path) + [String(pyRuns)]) as! [String: [String: Double]]
            let sq = json["sqrtm"]!, fk = json["fadtk"]!
            line += String(format: "\t%.4f\t%.4f\t%.1fx\t%.1fx\t%.10g\t%.10g\t%.10g", sq["median_s"]!, fk["median_s"]!,
                           sq["median_s"]! / ours, fk["median_s"]! / ours, value, sq["value"]!, fk["value"]!)
        } else {
            line += String(format: "\t-\t-\t-\t-\t%.10g", value)
        }
        print(line)
    }
}
