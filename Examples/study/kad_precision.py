"""How far KAD's float32 inner products (`--kad-precision float32`, the default) move KAD on real
embeddings, against KAD's own sampling spread.

With the `fad` command itself: embeds the bundled example sets (musicnn `max_pool`, 753-d, and
musicnn-VGG `pool5`, 256-d, a window every 16 front-end frames for a few hundred frames per set),
scores both generated sets with `--kad-precision float64` and `float32`, and prints their
relative difference. The spread is the standard deviation of KAD over 50 bootstrap resamples of
the generated files (numpy, kadtk's formula in float64, the reference median as bandwidth).

Run: python3 Examples/study/kad_precision.py [--fad .build/release/fad] [--work /tmp/fad-kad-precision]
(needs numpy). The README (Metrics: KAD) quotes its output.
"""
import argparse
import glob
import json
import os
import subprocess

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--fad", default=".build/release/fad")
parser.add_argument("--work", default="/tmp/fad-kad-precision")
args = parser.parse_args()
SETS = ["reference", "generated-close", "generated-degraded"]


def load(folder):
    return [np.load(f).astype(np.float64) for f in sorted(glob.glob(os.path.join(folder, "*.npy")))]


def kad(x, y, sigma):
    gamma = 1 / (2 * sigma ** 2 + 1e-8)

    def k(a, b):
        return np.exp(-gamma * ((a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T))
    m, n = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    return 100 * ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                  - 2 * k(x, y).mean())


for model, layer in [("msd-musicnn", "max_pool"), ("msd-vgg", "pool5")]:
    folders = [os.path.join(args.work, model, s) for s in SETS]
    for s, out in zip(SETS, folders):
        subprocess.run([args.fad, "embed", os.path.join("Examples", s), "-o", out, "-m", model, "--layer", layer,
                        "--hop", "16", "--no-cache", "-q"], check=True)
    values = {}
    for precision in ["float64", "float32"]:
        run = subprocess.run([args.fad] + folders + ["--metrics", "kad", "--kad-precision", precision, "--json"],
                             check=True, capture_output=True, text=True)
        values[precision] = [s["kad"]["value"] for s in json.loads(run.stdout)["sets"]]
    ref = np.concatenate(load(folders[0]))
    mean = ref.mean(0)
    ref = ref - mean
    d = np.sqrt(np.maximum(0, (ref ** 2).sum(1)[:, None] + (ref ** 2).sum(1)[None, :] - 2 * ref @ ref.T))
    pairs = np.sort(d[np.triu_indices(len(ref), 1)])
    sigma = pairs[(len(pairs) - 1) // 2]
    rng = np.random.default_rng(0)
    for i, folder in enumerate(folders[1:]):
        files = [f - mean for f in load(folder)]
        boot = [kad(ref, np.concatenate([files[j] for j in rng.integers(0, len(files), len(files))]), sigma)
                for _ in range(50)]
        a, b = values["float64"][i], values["float32"][i]
        print(f"{model} {layer} {SETS[i + 1]}: {len(ref)} x {ref.shape[1]}-d reference frames; KAD float64 {a:.10g}, "
              f"float32 {b:.10g}, relative difference {abs(a - b) / abs(a):.2e}; bootstrap SD {np.std(boot, ddof=1):.3g}")
