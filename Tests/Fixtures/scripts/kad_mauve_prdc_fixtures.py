#!/usr/bin/env python3
"""Writes Tests/Fixtures/metrics/beyond_fad_*: reference values for KAD, MAUVE/MAD and PRDC.

Every value comes from the reference packages' own code, run here:
- KAD: kadtk 1.1.0 `kadtk/kad.py` (`calc_kernel_audio_distance`, `median_pairwise_distance`),
  imported from the wheel's module file because kadtk's declared dependencies pin old versions:
      pip download --no-deps kadtk==1.1.0 -d /tmp/kadtk && (cd /tmp/kadtk && unzip -o kadtk-1.1.0-py3-none-any.whl)
  and `--kadtk /tmp/kadtk`. Run in float64 (`precision=torch.float64`). kadtk's
  `median_pairwise_distance` casts to float32; the float64 median is taken the same way
  (`torch.median(torch.pdist(x))`, the lower median) on the float64 rows, and both are stored.
- MAUVE: mauve-text 0.4.0 `compute_mauve(p_features=generated, q_features=reference)` with its
  defaults (seed 25), plus its cluster assignments: `cluster_feats`' steps (sklearn `normalize`,
  `PCA(random_state=seed+1)`, `faiss.Kmeans(..., seed=seed+2)`) repeated here and checked to give
  the same histograms as `compute_mauve`; and `compute_mauve` for seeds 0..19 (its seed-to-seed spread).
- PRDC: prdc 0.2 `compute_prdc(real, fake, k)`; per generated row, the distance to its k-th
  nearest reference row and the precision criterion (inside some reference k-NN ball), in numpy.

Run from the repository root:
    python3 -m venv /tmp/beyond-venv
    /tmp/beyond-venv/bin/pip install numpy torch scikit-learn faiss-cpu mauve-text prdc
    /tmp/beyond-venv/bin/python Tests/Fixtures/scripts/kad_mauve_prdc_fixtures.py --kadtk /tmp/kadtk
(written with numpy 2.4.6, torch 2.15.0, scikit-learn 1.9.1, faiss-cpu 1.15.1, mauve-text 0.4.0,
prdc 0.2, kadtk 1.1.0).
"""
import argparse
import contextlib
import io
import json
import os
import sys
import types

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--kadtk", required=True, help="folder holding the unpacked kadtk wheel (kadtk/kad.py)")
args = parser.parse_args()

# kadtk/kad.py imports hypy_utils and its loaders at module level; only calc_kernel_audio_distance
# and median_pairwise_distance are used, so load the module file with stand-ins for those imports.
for name in ["hypy_utils", "hypy_utils.tqdm_utils", "kadtk", "kadtk.emb_loader", "kadtk.model_loader"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["hypy_utils"].write = None
sys.modules["hypy_utils.tqdm_utils"].tmap = None
sys.modules["hypy_utils.tqdm_utils"].tq = None
sys.modules["kadtk.emb_loader"].EmbeddingLoader = None
sys.modules["kadtk.model_loader"].ModelLoader = None
import importlib.util
spec = importlib.util.spec_from_file_location("kad", os.path.join(args.kadtk, "kadtk", "kad.py"))
kad = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kad)

import faiss
import mauve
import mauve.compute_mauve as mauve_module
from prdc import compute_prdc
from sklearn.decomposition import PCA
from sklearn.preprocessing import normalize

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics")
rng = np.random.default_rng(20261130)
result = {}


def save(name, array):
    np.save(os.path.join(OUT, name), array)


def kadtk_kad(x, y, bandwidth):
    """kadtk's formula in float64; bandwidth None -> kadtk's own (float32) median of y."""
    v = kad.calc_kernel_audio_distance(torch.from_numpy(x.astype(np.float64)), torch.from_numpy(y.astype(np.float64)),
                                       (None, None), "cpu", bandwidth=bandwidth, precision=torch.float64)
    return float(v.item())


def median64(x):
    return float(torch.median(torch.pdist(torch.from_numpy(x.astype(np.float64)))).item())


# ---- KAD ----
d = 24
mix = rng.normal(size=(d, d)) / np.sqrt(d)
ref = (rng.normal(size=(300, d)) @ (np.eye(d) + 0.4 * mix)).astype(np.float32)
gen = (rng.normal(size=(240, d)) @ (np.eye(d) + 0.4 * mix) * 1.15 + 0.2).astype(np.float32)
gen2 = (rng.normal(size=(200, d)) @ (np.eye(d) + 0.4 * mix) + 0.05).astype(np.float32)
save("beyond_fad_kad_ref.npy", ref)
save("beyond_fad_kad_gen.npy", gen)
save("beyond_fad_kad_gen2.npy", gen2)
k = {}
sigma_ref = median64(ref)
k["median_reference_f64"] = sigma_ref
k["median_reference_kadtk_f32"] = kad.median_pairwise_distance(torch.from_numpy(ref.astype(np.float64)))
for name, g in [("gen", gen), ("gen2", gen2)]:
    sigma_gen = median64(g)
    k[name] = {
        "reference_bandwidth": kadtk_kad(ref, g, sigma_ref),
        "generated_bandwidth": kadtk_kad(ref, g, sigma_gen),
        "generated_bandwidth_kadtk_f32_median": kadtk_kad(ref, g, None),
        "fixed_bandwidth_3": kadtk_kad(ref, g, 3.0),
        "median_generated_f64": sigma_gen,
        "median_generated_kadtk_f32": kad.median_pairwise_distance(torch.from_numpy(g.astype(np.float64))),
    }
# Per-file KAD (kadtk score_individual: each file's frames against all reference rows).
files = []
start = 0
for n in [2, 5, 9, 17, 30]:
    files.append([start, start + n])
    start += n
k["files"] = files
k["per_file_reference_bandwidth"] = [kadtk_kad(ref, gen[a:b], sigma_ref) for a, b in files]
# kadtk's score_inf loop on stored subsets (drawn with replacement as kadtk does), its polyfit and R^2.
ns = [int(n) for n in np.linspace(60, 240, 6)]
subsets = [rng.choice(240, size=n, replace=True) for n in ns]
save("beyond_fad_kad_inf_subsets.npy", np.concatenate(subsets).astype(np.int64))
ys = np.array([kadtk_kad(ref, gen[s], sigma_ref) for s in subsets])
xs = 1 / np.array(ns)
slope, intercept = np.polyfit(xs, ys, 1)
r2 = 1 - np.sum((ys - (slope * xs + intercept)) ** 2) / np.sum((ys - np.mean(ys)) ** 2)
k["inf"] = {"ns": ns, "points": ys.tolist(), "value": float(intercept), "slope": float(slope), "r2": float(r2)}
result["kad"] = k

# ---- MAUVE ----
dm = 40
centres = rng.normal(size=(6, dm)) * 2.0
q_ref = (centres[rng.integers(0, 6, 150)] + rng.normal(size=(150, dm))).astype(np.float32)
p_gen = (centres[rng.integers(0, 4, 120)] * 1.1 + rng.normal(size=(120, dm)) * 1.2).astype(np.float32)
save("beyond_fad_mauve_ref.npy", q_ref)
save("beyond_fad_mauve_gen.npy", p_gen)
with contextlib.redirect_stdout(io.StringIO()):
    out = mauve.compute_mauve(p_features=p_gen, q_features=q_ref)
seed = 25
num_buckets = max(2, int(round(min(p_gen.shape[0], q_ref.shape[0]) / 10)))
data = normalize(np.vstack([q_ref, p_gen]), norm="l2", axis=1)
pca = PCA(n_components=None, whiten=False, random_state=seed + 1).fit(data)
s = np.cumsum(pca.explained_variance_ratio_)
idx = int(np.argmax(s >= 0.9))
proj = pca.transform(data)[:, :idx + 1].astype(np.float32)
km = faiss.Kmeans(proj.shape[1], num_buckets, niter=500, verbose=False, nredo=5, update_index=True, seed=seed + 2)
km.train(proj)
_, labels = km.index.search(proj, 1)
labels = labels.reshape(-1)
q_labels, p_labels = labels[:len(q_ref)], labels[len(q_ref):]
p_hist = np.histogram(p_labels, bins=num_buckets, range=[0, num_buckets])[0]
q_hist = np.histogram(q_labels, bins=num_buckets, range=[0, num_buckets])[0]
assert np.array_equal(p_hist / p_hist.sum(), out.p_hist) and np.array_equal(q_hist / q_hist.sum(), out.q_hist), \
    "repeated cluster_feats steps differ from compute_mauve"
save("beyond_fad_mauve_labels_gen.npy", p_labels.astype(np.int64))
save("beyond_fad_mauve_labels_ref.npy", q_labels.astype(np.int64))
spread = []
for sd in range(20):
    with contextlib.redirect_stdout(io.StringIO()):
        spread.append(float(mauve.compute_mauve(p_features=p_gen, q_features=q_ref, seed=sd).mauve))
result["mauve"] = {
    "mauve": float(out.mauve), "num_buckets": int(out.num_buckets), "pca_components": idx + 1,
    "explained_variance_ratio": pca.explained_variance_ratio_[:idx + 1].tolist(),
    "divergence_curve": out.divergence_curve.tolist(), "seed_spread": spread,
    "frontier_integral": float(out.frontier_integral),
}

# ---- PRDC ----
dp = 16
real = rng.normal(size=(200, dp)).astype(np.float32)
fake = (rng.normal(size=(180, dp)) * 1.2 + np.r_[np.full(4, 0.8), np.zeros(dp - 4)]).astype(np.float32)
save("beyond_fad_prdc_real.npy", real)
save("beyond_fad_prdc_fake.npy", fake)
p = {}
for kk in [3, 5]:
    with contextlib.redirect_stdout(io.StringIO()):
        r = compute_prdc(real_features=real, fake_features=fake, nearest_k=kk)
    rr = real.astype(np.float64)
    ff = fake.astype(np.float64)
    dist_rf = np.sqrt(((rr[:, None, :] - ff[None, :, :]) ** 2).sum(-1))
    dist_rr = np.sqrt(((rr[:, None, :] - rr[None, :, :]) ** 2).sum(-1))
    radii = np.sort(dist_rr, axis=1)[:, kk]  # k-th neighbour, self excluded
    p[str(kk)] = {name: float(v) for name, v in r.items()}
    p[str(kk)]["kth_reference_distance"] = np.sort(dist_rf, axis=0)[kk - 1].tolist()
    p[str(kk)]["inside"] = (dist_rf < radii[:, None]).any(axis=0).astype(int).tolist()
    p[str(kk)]["reference_radii"] = radii.tolist()
result["prdc"] = p

# ---- The CLI's .npy fixture folders (Tests/Fixtures/cli): what `fad --metrics kad,prdc` and
# `fad per-song` must print for them. Files in name order; frames of a set stacked in that order.
cli = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli")
def folder(side):
    path = os.path.join(cli, side, "embeddings", "vggish")
    names = sorted(n for n in os.listdir(path) if n.endswith(".npy"))
    return names, [np.load(os.path.join(path, n)).astype(np.float32) for n in names]
ref_names, ref_files = folder("reference")
gen_names, gen_files = folder("generated")
ref_all, gen_all = np.concatenate(ref_files), np.concatenate(gen_files)
sigma = median64(ref_all)
with contextlib.redirect_stdout(io.StringIO()):
    cli_prdc = compute_prdc(real_features=np.stack([f.max(axis=0) for f in ref_files]),
                            fake_features=np.stack([f.max(axis=0) for f in gen_files]), nearest_k=2)
rmax = np.stack([f.max(axis=0) for f in ref_files]).astype(np.float64)
gmax = np.stack([f.max(axis=0) for f in gen_files]).astype(np.float64)
dist = np.sqrt(((rmax[:, None, :] - gmax[None, :, :]) ** 2).sum(-1))
result["cli"] = {
    "kad_reference_bandwidth": kadtk_kad(ref_all, gen_all, sigma), "bandwidth": sigma,
    "kad_fixed_bandwidth_3": kadtk_kad(ref_all, gen_all, 3.0),
    "per_file_kad": {n[:-4]: kadtk_kad(ref_all, f, sigma) for n, f in zip(gen_names, gen_files)},
    "per_file_knn_k2_max": {n[:-4]: float(np.sort(dist[:, j])[1]) for j, n in enumerate(gen_names)},
    "prdc_k2_max": {name: float(v) for name, v in cli_prdc.items()},
}

with open(os.path.join(OUT, "beyond_fad_reference.json"), "w") as f:
    json.dump(result, f, indent=1)
print("wrote", os.path.join(OUT, "beyond_fad_reference.json"))
