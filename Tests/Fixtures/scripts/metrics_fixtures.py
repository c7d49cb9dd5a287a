#!/usr/bin/env python3
"""Writes Tests/Fixtures/metrics/: reference values for FADStats and FADMetrics tests.

Run from the repository root with a Python that has numpy, scipy, torch and torchmetrics:
    python3 -m venv /tmp/metrics-venv
    /tmp/metrics-venv/bin/pip install numpy scipy torch torchmetrics
    /tmp/metrics-venv/bin/python Tests/Fixtures/scripts/metrics_fixtures.py
(written with numpy 2.4.6, scipy 1.17.1, torch 2.15.0, torchmetrics 1.9.0).

Each reference is independent of the Swift code:
- Fréchet distance: fadtk's `calc_frechet_distance` (microsoft/fadtk, fadtk/fad.py: scipy.linalg.eig of
  cov1 @ cov2, complex sqrt of the eigenvalues, V diag(sqrt D) V^-1, real part of the trace) and the
  pytorch-fid / frechet_audio_distance way (scipy.linalg.sqrtm of cov1 @ cov2); statistics by np.mean and
  np.cov(rowvar=False) in float64 of the float32 frames stored here.
- FAD-inf (replacement): fadtk's `score_inf` loop (fadtk/fad.py) with the subsets drawn here and stored,
  np.polyfit(1/n, fd, 1) and fadtk's R^2.
- KL: audioldm_eval `audioldm_eval/metrics/kl.py` (kl_softmax, kl_sigmoid), audiocraft
  `audiocraft/metrics/kld.py` (kld_pq, kld_qp, kld_both), stable-audio-metrics `src/passt_kld.py`, all
  `F.kl_div((q + 1e-6).log(), p, reduction=...)` = sum p (log p - log(q + 1e-6)), reimplemented in numpy.
- Inception Score: torchmetrics.image.InceptionScore (identity feature extractor, float64 logits, its
  torch.randperm shuffle reproduced and stored) and audioldm_eval `audioldm_eval/metrics/isc.py`
  reimplemented in numpy (np.random.RandomState permutation stored).
- KID: torchmetrics.image.KernelInceptionDistance (identity feature extractor, float64), its randperm
  draws reproduced and stored.
"""
import json
import os
import warnings

import numpy as np
import scipy.linalg as linalg

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261126)


def save(name, array):
    np.save(os.path.join(OUT, name), array)


def stats(frames):
    x = frames.astype(np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def fd_eig(mu1, cov1, mu2, cov2):
    """fadtk's eigenvalue method (no eps fallback needed for these cases)."""
    diff = mu1 - mu2
    d, v = linalg.eig(cov1.dot(cov2))
    covmean = (v * np.sqrt(d.astype(complex))) @ linalg.inv(v)
    return float((diff.dot(diff) + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean)).real)


def fd_sqrtm(mu1, cov1, mu2, cov2):
    diff = mu1 - mu2
    covmean = linalg.sqrtm(cov1.dot(cov2))
    return float((diff.dot(diff) + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean)).real)


def correlated(n, d, scale):
    """Frames with a random, well-spread covariance."""
    a = rng.normal(size=(d, d)) / np.sqrt(d)
    return (rng.normal(size=(n, d)) @ (np.eye(d) + 0.5 * a)) * scale + rng.normal(size=d) * 0.3


# ---- Fréchet distance cases (frames stored as float32) ----
fd_cases = {}
specs = [
    ("well_d8", 8, 200, 150),
    ("well_d32", 32, 400, 300),
    ("well_d128", 128, 400, 300),
    ("rankdef_both_d128", 128, 60, 40),    # both covariances rank-deficient
    ("rankdef_gen_d64", 64, 400, 30),      # per-song-like: generated side rank 29
    ("rankdef_ref_d64", 64, 50, 400),      # reference side rank-deficient
    ("single_frame_gen_d16", 16, 100, 1),  # one generated frame: covariance 0
]
for name, d, n1, n2 in specs:
    ref = correlated(n1, d, 1.0).astype(np.float32)
    gen = correlated(n2, d, 1.2).astype(np.float32) + np.float32(0.1)
    save(f"fd_{name}_ref.npy", ref)
    save(f"fd_{name}_gen.npy", gen)
    mu1, cov1 = stats(ref)
    if n2 == 1:
        mu2, cov2 = gen[0].astype(np.float64), np.zeros((d, d))
    else:
        mu2, cov2 = stats(gen)
    case = {"dimension": d, "ref_frames": n1, "gen_frames": n2, "fd_eig": fd_eig(mu1, cov1, mu2, cov2)}
    try:
        case["fd_sqrtm"] = fd_sqrtm(mu1, cov1, mu2, cov2)
    except Exception as e:  # noqa: BLE001
        case["fd_sqrtm"] = None
    case["mean_term"] = float((mu1 - mu2) @ (mu1 - mu2))
    # Exact value from the frames: with centred frames Y1, Y2, eig(S1 S2) = sigma(Y1 Y2^T)^2 / ((n1-1)(n2-1)),
    # so tr sqrt(S1 S2) is the nuclear norm of Y1 Y2^T over sqrt((n1-1)(n2-1)). The SVD's error is
    # eps * sigma_max (no square root of rounding noise), unlike eig/sqrtm of the singular product.
    if n2 > 1:
        y1 = ref.astype(np.float64) - mu1
        y2 = gen.astype(np.float64) - mu2
        nuclear = np.linalg.svd(y1 @ y2.T, compute_uv=False).sum() / np.sqrt((n1 - 1) * (n2 - 1))
    else:
        nuclear = 0.0
    case["fd_exact"] = float(case["mean_term"] + np.trace(cov1) + np.trace(cov2) - 2 * nuclear)
    case["trace_ref"] = float(np.trace(cov1))
    fd_cases[name] = case
# Statistics reference for one case: float64 mean and covariance of the float32 frames.
mu, cov = stats(np.load(os.path.join(OUT, "fd_well_d32_ref.npy")))
save("stats_well_d32_ref_mean.npy", mu)
save("stats_well_d32_ref_cov.npy", cov)

# ---- FAD-inf, fadtk's with-replacement loop on stored subsets ----
d, n_ref, n_eval = 32, 800, 700
inf_ref = correlated(n_ref, d, 1.0).astype(np.float32)
inf_eval = correlated(n_eval, d, 1.1).astype(np.float32)
save("fadinf_ref.npy", inf_ref)
save("fadinf_eval.npy", inf_eval)
mu_base, cov_base = stats(inf_ref)
ns = [int(n) for n in np.linspace(500, n_eval, 25)]
subsets, points = [], []
for n in ns:
    idx = rng.choice(n_eval, size=n, replace=True)
    subsets.append(idx)
    m, c = stats(inf_eval[idx])
    points.append(fd_eig(mu_base, cov_base, m, c))
xs = 1 / np.array(ns)
ys = np.array(points)
slope, intercept = np.polyfit(xs, ys, 1)
r2 = 1 - np.sum((ys - (slope * xs + intercept)) ** 2) / np.sum((ys - np.mean(ys)) ** 2)
save("fadinf_subsets.npy", np.concatenate(subsets).astype(np.int32))
fadinf = {"ns": ns, "points": points, "intercept": float(intercept), "slope": float(slope), "r2": float(r2),
          "linspace_checks": {str(t): [int(n) for n in np.linspace(500, t, 25)] for t in [501, 523, 700, 1000, 12345]}}

# ---- KL divergence ----
def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def kl_sum(p, q, eps=1e-6):  # torch.nn.functional.kl_div((q + eps).log(), p, reduction="sum")
    mask = p > 0
    return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask] + eps))))


classes = 20
keys = [f"song{i:02d}" for i in range(7)]
ref_logits = {k: (rng.normal(size=classes) * 3).astype(np.float32) for k in keys + ["only_ref"]}
gen_logits = {k: (rng.normal(size=classes) * 3).astype(np.float32) for k in keys + ["only_gen_a", "only_gen_b"]}
kl = {"reference": {k: v.tolist() for k, v in ref_logits.items()},
      "generated": {k: v.tolist() for k, v in gen_logits.items()}}
r_soft = [softmax(ref_logits[k].astype(np.float64)) for k in keys]
g_soft = [softmax(gen_logits[k].astype(np.float64)) for k in keys]
r_sig = [sigmoid(ref_logits[k].astype(np.float64)) for k in keys]
g_sig = [sigmoid(gen_logits[k].astype(np.float64)) for k in keys]
n = len(keys)
# audioldm_eval: features_1 = generated (prediction), features_2 = reference (target); KL(ref || gen).
kl["kl_softmax"] = sum(kl_sum(r, g) for r, g in zip(r_soft, g_soft)) / n
kl["kl_sigmoid"] = sum(kl_sum(r, g) for r, g in zip(r_sig, g_sig)) / n
# audiocraft: kl_divergence(pred=gen, target=ref) = KL(ref || gen); kld_qp the reverse; kld_both the sum.
kl["audiocraft_kld_pq"] = kl["kl_softmax"]
kl["audiocraft_kld_qp"] = sum(kl_sum(g, r) for r, g in zip(r_soft, g_soft)) / n
kl["audiocraft_kld_both"] = kl["audiocraft_kld_pq"] + kl["audiocraft_kld_qp"]
kl["audiocraft_per_pair"] = [kl_sum(r, g) for r, g in zip(r_soft, g_soft)]
# stable-audio-metrics: F.kl_div((ref_p + 1e-6).log(), eval_p) = KL(gen || ref), mean over pairs.
kl["stable_audio_metrics"] = kl["audiocraft_kld_qp"]
kl["stable_audio_metrics_per_pair"] = [kl_sum(g, r) for r, g in zip(r_soft, g_soft)]
kl["sigmoid_reverse"] = sum(kl_sum(g, r) for r, g in zip(r_sig, g_sig)) / n

# ---- Inception Score ----
import torch  # noqa: E402
from torchmetrics.image.inception import InceptionScore  # noqa: E402
from torchmetrics.image.kid import KernelInceptionDistance  # noqa: E402

is_logits = (rng.normal(size=(53, 12)) * 2).astype(np.float64)
save("is_logits.npy", is_logits)
torch.manual_seed(7)
tm_perm = torch.randperm(53).numpy()
torch.manual_seed(7)
metric = InceptionScore(feature=torch.nn.Identity(), splits=10)
metric.update(torch.from_numpy(is_logits))
tm_mean, tm_std = metric.compute()
# audioldm_eval isc.py: RandomState(seed).permutation, splits by i*N//splits, np.std (ddof 0).
ald_perm = np.random.RandomState(3).permutation(53)
x = is_logits[ald_perm]
p = np.exp(x - x.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
logp = x - x.max(1, keepdims=True) - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))
scores = []
for i in range(10):
    pc, lc = p[i * 53 // 10:(i + 1) * 53 // 10], logp[i * 53 // 10:(i + 1) * 53 // 10]
    q = pc.mean(0, keepdims=True)
    scores.append(float(np.exp((pc * (lc - np.log(q))).sum(1).mean())))
inception = {"torchmetrics_perm": tm_perm.tolist(), "torchmetrics_mean": float(tm_mean), "torchmetrics_std": float(tm_std),
             "audioldm_perm": ald_perm.tolist(), "audioldm_mean": float(np.mean(scores)), "audioldm_std": float(np.std(scores)),
             "audioldm_split_scores": scores}

# ---- KID ----
kid_real = rng.normal(size=(40, 16)).astype(np.float32)
kid_fake = (rng.normal(size=(35, 16)) * 1.1 + 0.2).astype(np.float32)
save("kid_real.npy", kid_real)
save("kid_fake.npy", kid_fake)
subsets_n, subset_size = 6, 20
torch.manual_seed(11)
draws = []
for _ in range(subsets_n):
    r = torch.randperm(40)[:subset_size].numpy().tolist()
    f = torch.randperm(35)[:subset_size].numpy().tolist()
    draws.append([r, f])
torch.manual_seed(11)
kid_metric = KernelInceptionDistance(feature=torch.nn.Identity(), subsets=subsets_n, subset_size=subset_size)
kid_metric.update(torch.from_numpy(kid_real.astype(np.float64)), real=True)
kid_metric.update(torch.from_numpy(kid_fake.astype(np.float64)), real=False)
kid_mean, kid_std = kid_metric.compute()
kid = {"draws": draws, "mean": float(kid_mean), "std": float(kid_std), "subsets": subsets_n, "subset_size": subset_size}

# ---- The seeded generator: xoshiro256** seeded by SplitMix64 (prng.di.unimi.it), Lemire's bounded ints ----
M64 = (1 << 64) - 1


def xoshiro_from_seed(seed):
    x = seed
    state = []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & M64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        state.append(z ^ (z >> 31))
    return state


def rotl(v, k):
    return ((v << k) | (v >> (64 - k))) & M64


def xoshiro_next(s):
    result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
    t = (s[1] << 17) & M64
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
    return result


def lemire(s, bound):
    m = xoshiro_next(s) * bound
    if (m & M64) < bound:
        threshold = ((1 << 64) - bound) % bound
        while (m & M64) < threshold:
            m = xoshiro_next(s) * bound
    return m >> 64


st = xoshiro_from_seed(42)
rng_ref = {"seed": 42, "next": [str(xoshiro_next(st)) for _ in range(5)]}
st = xoshiro_from_seed(2026)
rng_ref["uniform_seed"] = 2026
rng_ref["uniform_bounds"] = [1, 2, 3, 7, 1000, 2**40 + 3]
rng_ref["uniform"] = [lemire(st, b) for b in rng_ref["uniform_bounds"] for _ in range(3)]

# ---- A .fadstats file written by an independent Python writer of the documented format ----
def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & M64
    return "fnv1a64:%016x" % h


stats_frames = np.load(os.path.join(OUT, "fd_well_d8_ref.npy"))
smu, scov = stats(stats_frames)
payload = np.concatenate([smu, scov.ravel()]).astype("<f8").tobytes()
header = json.dumps({"format": "fad-gaussian-statistics", "version": 1, "count": len(stats_frames), "dimension": 8,
                     "model": "vggish", "layer": "embedding", "frontEnd": "python-writer", "files": 2,
                     "extra": {"written_by": "metrics_fixtures.py"}, "dtype": "<f8",
                     "checksum": fnv1a64(payload)}).encode()
with open(os.path.join(OUT, "python_written.fadstats"), "wb") as fh:
    fh.write(b"FADSTATS" + len(header).to_bytes(8, "little") + header + payload)

with open(os.path.join(OUT, "metrics_reference.json"), "w") as fh:
    json.dump({"fd": fd_cases, "fadinf": fadinf, "kl": kl, "inception": inception, "kid": kid, "rng": rng_ref}, fh, indent=1)
print(json.dumps({k: {"fd_exact": v["fd_exact"], "eig_rel_err": v["fd_eig"] / v["fd_exact"] - 1,
                      "sqrtm_rel_err": v["fd_sqrtm"] / v["fd_exact"] - 1} for k, v in fd_cases.items()}, indent=1))
print("fadinf", intercept, slope, r2, "IS tm", float(tm_mean), float(tm_std), "KID", float(kid_mean), float(kid_std))
