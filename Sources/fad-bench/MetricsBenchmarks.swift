// Metrics benchmarks: Fréchet distance against SciPy's sqrtm-based FD (pytorch-fid's and
// fadtk's way) on the same matrices in the same run, and covariance accumulation speed.
//
//   swift run -c release fad-bench metrics [--dims 128,753,2048] [--runs 5] [--python python3] [--no-python]
//                                          [--python-runs-2048 1]   (SciPy's sqrtm takes minutes at d = 2048)
//
// KAD against kadtk's own `calc_kernel_audio_distance` (CPU, its defaults) and MAD against
// mauve-text's `compute_mauve`, in the same run, with peak memory:
//
//   swift run -c release fad-bench metrics beyond --kadtk DIR [--python PY] [--rows 10000] [--dim 512]
//        [--mad-files 2000] [--mad-dim 768] [--runs 3] [--python-runs 1] [--save DIR (writes the KAD inputs)] [--no-mad]
//        [--precision float32|float64 (only one of KAD's two precisions)]
//        [--spread N (KAD's own sampling spread: N further generated sets from the same distribution)]
//   (DIR holds kadtk/kad.py: `pip download --no-deps kadtk==1.1.0` and unzip; PY needs torch,
//    scikit-learn, faiss-cpu and mauve-text)
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
    try pythonJSON(python, ["-c", script] + arguments)
}

func runMetricsBenchmarks(arguments: [String]) throws {
    if arguments.first == "beyond" { return try runBeyondFADBenchmarks(arguments: Array(arguments.dropFirst())) }
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

// kadtk 1.1.0's kad.py imports its loaders at module level; stand-ins let the metric itself load.
private let pythonKADTK = """
import json, os, resource, statistics, sys, time, types, importlib.util
import numpy as np, torch
for name in ["hypy_utils", "hypy_utils.tqdm_utils", "kadtk", "kadtk.emb_loader", "kadtk.model_loader"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["hypy_utils"].write = None
sys.modules["hypy_utils.tqdm_utils"].tmap = sys.modules["hypy_utils.tqdm_utils"].tq = None
sys.modules["kadtk.emb_loader"].EmbeddingLoader = sys.modules["kadtk.model_loader"].ModelLoader = None
spec = importlib.util.spec_from_file_location("kad", os.path.join(sys.argv[1], "kadtk", "kad.py"))
kad = importlib.util.module_from_spec(spec); spec.loader.exec_module(kad)
x = torch.from_numpy(np.load(sys.argv[2])); y = torch.from_numpy(np.load(sys.argv[3])); runs = int(sys.argv[4])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times, cpu = [], []
for _ in range(runs):
    t = time.perf_counter(); c = time.process_time()
    # kadtk's KernelAudioDistance.score path without cache folders: bandwidth None (median of
    # the evaluated set), float32, on the CPU.
    value = float(kad.calc_kernel_audio_distance(x, y, (None, None), "cpu").item())
    times.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"median_s": statistics.median(times), "cpu_s": statistics.median(cpu), "value": value, "rss_before_kib": before, "rss_peak_kib": after,
                  "torch_threads": torch.get_num_threads()}))
"""

private let pythonMAUVE = """
import contextlib, io, json, resource, statistics, sys, time
import numpy as np, mauve
p = np.load(sys.argv[1]); q = np.load(sys.argv[2]); runs = int(sys.argv[3])
times, cpu = [], []
for _ in range(runs):
    t = time.perf_counter(); c = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        out = mauve.compute_mauve(p_features=p, q_features=q)
    times.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
print(json.dumps({"median_s": statistics.median(times), "cpu_s": statistics.median(cpu), "mauve": float(out.mauve), "clusters": int(out.num_buckets),
                  "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

/// Wall-clock and CPU seconds (all threads of the process) of `body`: on a shared machine the
/// CPU time compares implementations more fairly than the wall clock.
private func timed(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    func cpuNow() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    let c = cpuNow()
    let w = try seconds(body)
    return (w, cpuNow() - c)
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
private func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kib / 1024
}

/// Rows drawn around `centres` cluster centres: embeddings of songs fall in groups, which is
/// what MAUVE's quantisation is for.
private func clusteredFrames(rows: Int, columns d: Int, centres: Int, seed: UInt64) -> Matrix<Float> {
    let base = benchmarkFrames(rows: centres, columns: d, seed: 1000)
    let noise = benchmarkFrames(rows: rows, columns: d, seed: seed)
    var g = SeededGenerator(seed: seed &+ 17)
    var values = [Float](repeating: 0, count: rows * d)
    for r in 0..<rows {
        let c = g.uniform(below: centres)
        for j in 0..<d { values[r * d + j] = 3 * base.values[c * d + j] + noise.values[r * d + j] }
    }
    return Matrix(rows: rows, columns: d, values: values)
}

func runBeyondFADBenchmarks(arguments: [String]) throws {
    var rows = 10_000, dim = 512, madFiles = 2000, madDim = 768, runs = 3, pythonRuns = 1
    var python = "python3"
    var kadtk: String?
    var save: String?
    var mad = true
    var spread = 0
    var precisions = KADPrecision.allCases
    var k = 0
    while k < arguments.count {
        switch arguments[k] {
        case "--rows": k += 1; rows = Int(arguments[k]) ?? rows
        case "--dim": k += 1; dim = Int(arguments[k]) ?? dim
        case "--mad-files": k += 1; madFiles = Int(arguments[k]) ?? madFiles
        case "--mad-dim": k += 1; madDim = Int(arguments[k]) ?? madDim
        case "--runs": k += 1; runs = Int(arguments[k]) ?? runs
        case "--python-runs": k += 1; pythonRuns = Int(arguments[k]) ?? pythonRuns
        case "--python": k += 1; python = arguments[k]
        case "--kadtk": k += 1; kadtk = arguments[k]
        case "--save": k += 1; save = arguments[k]
        case "--no-mad": mad = false
        case "--spread": k += 1; spread = Int(arguments[k]) ?? spread
        case "--precision": k += 1; precisions = KADPrecision(rawValue: arguments[k]).map { [$0] } ?? precisions
        default: throw MetricsError.invalid(subject: "fad-bench metrics beyond", reason: "unknown argument \(arguments[k])")
        }
        k += 1
    }
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fad-bench-beyond-\(getpid())")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let threads = ProcessInfo.processInfo.activeProcessorCount
    print("load average: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?")", terminator: "")

    print("== KAD, m = n = \(rows), d = \(dim): fad (blocked SGEMM or DGEMM, float64 sums, \(threads) threads) vs kadtk calc_kernel_audio_distance (torch CPU, float32, bandwidth None)")
    let x = benchmarkFrames(rows: rows, columns: dim, seed: 1)
    let y = benchmarkFrames(rows: rows, columns: dim, seed: 2)
    if let save {
        // The KAD inputs, for checking a value elsewhere (e.g. kadtk in float64).
        try NPYArray(x, dtype: .float32).write(to: URL(fileURLWithPath: save).appendingPathComponent("kad_reference.npy"))
        try NPYArray(y, dtype: .float32).write(to: URL(fileURLWithPath: save).appendingPathComponent("kad_generated.npy"))
    }
    let dataMiB = peakRSSMiB()
    var results: [String: KADResult] = [:]
    var times: [String: Double] = [:], cpus: [String: Double] = [:]
    let cases = precisions.flatMap { p in
        [("reference", KADBandwidth.reference), ("generated", .generated)].map { (name: "\(p) \($0.0)", precision: p, bandwidth: $0.1) }
    }
    // Runs interleaved (one of each case per round), so that load changes on the shared machine
    // fall on every case alike.
    var samples: [String: [(wall: Double, cpu: Double)]] = [:]
    for _ in 0..<runs {
        for c in cases {
            var last: KADResult?
            let t = try timed { last = try kernelAudioDistance(reference: x, generated: y, options: KADOptions(bandwidth: c.bandwidth, precision: c.precision)) }
            samples[c.name, default: []].append(t)
            results[c.name] = last
        }
        // Batch scoring: the reference side (its median and kernel sum) prepared once, then each
        // further generated set costs only its own kernel sum and the cross term.
        for p in precisions {
            let prepared = try KernelReference(x, options: KADOptions(bandwidth: .reference, precision: p))
            var cached: KADResult?
            let t = try timed { cached = try prepared.distance(to: y) }
            samples["\(p) cached", default: []].append(t)
            results["\(p) cached"] = cached
        }
    }
    for (name, t) in samples {
        times[name] = median(t.map(\.wall))
        cpus[name] = median(t.map(\.cpu))
    }
    let kadMiB = peakRSSMiB()
    // % of SGEMM per CPU-second: the kernel sums' multiply-adds (the same-set sums over one
    // triangle) against one serial 2048^3 SGEMM, both timed in CPU seconds.
    let sgemmRate: Double = {
        let n = 2048
        var g = SeededGenerator(seed: 5)
        let a = (0..<(n * n)).map { _ in Float(g.uniformDouble() - 0.5) }
        var c = [Float](repeating: 0, count: n * n)
        let cpu = (0..<3).map { _ in
            timed {
                BLAS.withKernelThreads(1) {
                    a.withUnsafeBufferPointer { a in c.withUnsafeMutableBufferPointer { c in
                        BLAS.parallelSgemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: a.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
                    }}
                }
            }.cpu
        }
        return 2 * pow(Double(n), 3) / median(cpu) / 1e9
    }()
    let kernelFlops = 2 * Double(dim) * (Double(rows) * Double(rows - 1) + Double(rows) * Double(rows))
    print(String(format: "SGEMM 2048^3, one thread: %.1f GFLOP per CPU-s; KAD kernel sums (generated bandwidth: xx, yy halves and xy) %.3g GFLOP", sgemmRate, kernelFlops / 1e9))
    let names = precisions.flatMap { p in ["reference", "generated", "cached"].map { "\(p) \($0)" } }
    print("fad precision bandwidth\tmedian_s\tcpu_s\tvalue\tsigma\tmedian_pairs")
    for name in names {
        let r = results[name]!
        print(name + String(format: "\t%.3f\t%.3f\t%.10g\t%.8g\t%d", times[name]!, cpus[name]!, r.value, r.bandwidth, r.medianPairs) + (r.medianExact ? " (exact)" : " (sampled)"))
    }
    for p in precisions {
        print(String(format: "\(p), generated bandwidth: %.1f GFLOP per CPU-s, %.0f %% of SGEMM's rate", kernelFlops / 1e9 / cpus["\(p) generated"]!,
                     100 * kernelFlops / 1e9 / cpus["\(p) generated"]! / sgemmRate))
    }
    for bandwidth in ["reference", "generated"] where precisions.count == 2 {
        let a = results["float32 \(bandwidth)"]!.value, b = results["float64 \(bandwidth)"]!.value
        print(String(format: "float32 vs float64, \(bandwidth) bandwidth: relative difference %.2e (absolute %.2e); float64 / float32 CPU time %.2fx",
                     abs(a - b) / abs(b), abs(a - b), cpus["float64 \(bandwidth)"]! / cpus["float32 \(bandwidth)"]!))
    }
    print(String(format: "fad peak RSS: %.0f MiB after generating the data, %.0f MiB after KAD (+%.0f MiB)", dataMiB, kadMiB, kadMiB - dataMiB))
    if spread >= 2 {
        // x and y come from one distribution, so KAD is sampling noise around 0: its standard
        // deviation over further generated sets is the scale any precision error competes with.
        let prepared = try KernelReference(x, options: KADOptions(bandwidth: .reference, precision: precisions[0]))
        let values = try (0..<spread).map { i in
            try prepared.distance(to: benchmarkFrames(rows: rows, columns: dim, seed: 100 + UInt64(i))).value
        }
        let mean = values.reduce(0, +) / Double(spread)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(spread - 1)).squareRoot()
        print(String(format: "KAD sampling spread (\(precisions[0]), reference bandwidth, %d generated sets): mean %.3g, sd %.3g", spread, mean, sd))
    }
    if let kadtk {
        let xp = tmp.appendingPathComponent("kad_x.npy"), yp = tmp.appendingPathComponent("kad_y.npy")
        try NPYArray(x, dtype: .float32).write(to: xp)
        try NPYArray(y, dtype: .float32).write(to: yp)
        let json = try runPython(python, pythonKADTK, [kadtk, xp.path, yp.path, String(pythonRuns)])
        let t = (json["median_s"] as! NSNumber).doubleValue, v = (json["value"] as! NSNumber).doubleValue
        let cpu = (json["cpu_s"] as! NSNumber).doubleValue
        let before = (json["rss_before_kib"] as! NSNumber).doubleValue / 1024, peak = (json["rss_peak_kib"] as! NSNumber).doubleValue / 1024
        print(String(format: "kadtk\t%.3f s, cpu %.3f s (median of %d, torch threads ", t, cpu, pythonRuns) + "\(json["torch_threads"]!))"
              + String(format: "\tvalue %.10g\tpeak RSS %.0f MiB (+%.0f MiB over its data)", v, peak, peak - before))
        for p in precisions {
            print(String(format: "speedup vs kadtk, \(p), wall (cpu): same bandwidth rule (generated) %.1fx (%.1fx); fad's default (reference) %.1fx (%.1fx); each further generated set against a prepared reference %.1fx (%.1fx)",
                         t / times["\(p) generated"]!, cpu / cpus["\(p) generated"]!, t / times["\(p) reference"]!, cpu / cpus["\(p) reference"]!,
                         t / times["\(p) cached"]!, cpu / cpus["\(p) cached"]!))
            print(String(format: "value: fad (generated bandwidth, \(p)) vs kadtk (float32): relative difference %.2e",
                         abs(results["\(p) generated"]!.value - v) / abs(v)))
        }
    }
    guard mad else { return }

    print("\n== MAD / MAUVE, \(madFiles) + \(madFiles) files, d = \(madDim): fad vs mauve-text compute_mauve (faiss k-means)")
    let p = clusteredFrames(rows: madFiles, columns: madDim, centres: 60, seed: 3)
    let q = clusteredFrames(rows: madFiles, columns: madDim, centres: 60, seed: 4)
    var m: MAUVEResult?
    let madTimes = try (0..<runs).map { _ in try timed { m = try mauve(generated: p, reference: q) } }
    let madTime = median(madTimes.map(\.wall)), madCPU = median(madTimes.map(\.cpu))
    print(String(format: "fad\t%.3f s, cpu %.3f s\tMAUVE %.6f\tMAD %.6f\tclusters %d\tPCA components %d", madTime, madCPU, m!.mauve, m!.mad, m!.clusters, m!.pcaComponents))
    let pp = tmp.appendingPathComponent("mauve_p.npy"), qp = tmp.appendingPathComponent("mauve_q.npy")
    try NPYArray(p, dtype: .float32).write(to: pp)
    try NPYArray(q, dtype: .float32).write(to: qp)
    if let json = try? runPython(python, pythonMAUVE, [pp.path, qp.path, String(pythonRuns)]) {
        let t = (json["median_s"] as! NSNumber).doubleValue
        let cpu = (json["cpu_s"] as! NSNumber).doubleValue
        print(String(format: "mauve-text\t%.3f s, cpu %.3f s\tMAUVE %.6f\tclusters ", t, cpu, (json["mauve"] as! NSNumber).doubleValue) + "\(json["clusters"]!)"
              + String(format: "\tpeak RSS %.0f MiB", (json["rss_peak_kib"] as! NSNumber).doubleValue / 1024))
        print(String(format: "speedup vs mauve-text, wall (cpu): %.1fx (%.1fx)", t / madTime, cpu / madCPU))
    } else {
        print("mauve-text: not run (\(python) lacks mauve-text, faiss-cpu or scikit-learn)")
    }
}
