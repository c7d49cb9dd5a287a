"""fadtk 1.1.0's statistics of stored float16 embeddings (`fadtk/utils.py`
calculate_embd_statistics_online, what `FrechetAudioDistance.load_stats` calls), run on small
float16 `.npy` files, for FADStatsTests.testFadtkFileMergeMatchesFadtkOnline.

fadtk is not imported as a package (its model loaders pull in torch, laion_clap...): only its
`utils.py`, from the wheel `pip download --no-deps fadtk==1.1.0` unzipped into FADTK_DIR, with
`hypy_utils` installed (its pmap runs the per-file step).

    python Tests/Fixtures/scripts/fadtk_statistics_fixtures.py FADTK_DIR

Writes Tests/Fixtures/fadtk_statistics/{a,b,c}.npy (float16, 8 columns) and expected.json
(mu, cov as fadtk returns them, float64).
"""
import importlib.util
import json
import os
import sys

import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fadtk_statistics")
spec = importlib.util.spec_from_file_location("fadtk_utils", os.path.join(sys.argv[1], "fadtk", "utils.py"))
utils = importlib.util.module_from_spec(spec)
sys.modules["fadtk_utils"] = utils  # its pmap pickles _process_file by module name
spec.loader.exec_module(utils)

rng = np.random.default_rng(20261204)
files = []
# Means far from zero against the spread, so rounding each file's mean to float16 matters.
for name, rows in [("a", 37), ("b", 5), ("c", 120)]:
    x = (rng.normal(size=(rows, 8)) * 0.3 + rng.normal(size=8) * 4 + 11).astype(np.float16)
    path = os.path.join(root, name + ".npy")
    np.save(path, x)
    files.append(path)

mu, cov = utils.calculate_embd_statistics_online(files)
with open(os.path.join(root, "expected.json"), "w") as f:
    json.dump({"files": ["a.npy", "b.npy", "c.npy"], "mu": [float(v) for v in mu],
               "cov": [[float(v) for v in row] for row in cov], "mu_dtype": str(mu.dtype)}, f, indent=1)
print("mu", mu[:3], "dtype", mu.dtype)
