"""Writes Tests/Fixtures/cli/: two folders of .npy embeddings in fadtk's cache layout and the FAD
between them computed the way fadtk does (microsoft/fadtk v1.1.0, fad.py calc_frechet_distance:
float64 mean and unbiased covariance over all frames, tr sqrt via scipy.linalg.eig of S1 S2), plus
the sqrtm-based value pytorch-fid and frechet_audio_distance use, for comparison.

The reference set is float32, the generated set float16 (fadtk's cache dtype); the expected
values are computed from the arrays exactly as stored (float16 values widened), since that is
what any reader of those files sees.

Run: python3 Tests/Fixtures/scripts/cli_embedding_sets.py   (numpy, scipy)
"""
import json
import os

import numpy as np
from scipy import linalg

root = os.path.join(os.path.dirname(__file__), "..", "cli")
rng = np.random.default_rng(20261126)
dim = 16


def write_set(name, files, frames, dtype, shift):
    folder = os.path.join(root, name, "embeddings", "vggish")
    os.makedirs(folder, exist_ok=True)
    stored = []
    mix = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    for i in range(files):
        x = rng.normal(size=(frames, dim)) @ mix + shift
        x = x.astype(dtype)
        np.save(os.path.join(folder, f"song{i:02d}.npy"), x)
        stored.append(x.astype(np.float64))
    return np.concatenate(stored)


def fadtk_fd(mu1, s1, mu2, s2):
    # fadtk: eigenvalue method on S1 S2 (complex), real part of the trace.
    diff = mu1 - mu2
    eigval, eigvec = linalg.eig(s1.dot(s2))
    sqrt_prod = (eigvec * np.sqrt(eigval.astype(complex))).dot(linalg.inv(eigvec))
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(sqrt_prod).real)


def sqrtm_fd(mu1, s1, mu2, s2):
    covmean = linalg.sqrtm(s1.dot(s2))
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


ref = write_set("reference", files=6, frames=20, dtype=np.float32, shift=0.0)
gen = write_set("generated", files=5, frames=17, dtype=np.float16, shift=0.3)
mu1, s1 = ref.mean(0), np.cov(ref, rowvar=False)
mu2, s2 = gen.mean(0), np.cov(gen, rowvar=False)
expected = {
    "fad_fadtk_eig": fadtk_fd(mu1, s1, mu2, s2),
    "fad_sqrtm": sqrtm_fd(mu1, s1, mu2, s2),
    "reference_frames": int(ref.shape[0]),
    "generated_frames": int(gen.shape[0]),
    "dimension": dim,
}
with open(os.path.join(root, "expected.json"), "w") as f:
    json.dump(expected, f, indent=2)
print(expected)
