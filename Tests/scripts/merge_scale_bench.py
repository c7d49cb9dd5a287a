#!/usr/bin/env python3
"""Times `fad stats merge` on many shard files (standard library only).

    python3 Tests/scripts/merge_scale_bench.py FAD_BINARY [--shards 1000] [--dimension 2048] [--dir /tmp/x]

Writes SHARDS valid shard files (shard i/SHARDS of one set, d = DIMENSION, float64 mean and a
symmetric covariance: (d + d^2) * 8 bytes each, 33.6 MB at d = 2048) to DIR, runs one
`fad stats merge` over all of them, prints its wall time, its peak resident memory (getrusage
of the child) and the bytes read, then deletes the files. Every file has the same payload (so
the FNV-1a checksum is computed once here, in pure Python); the merge cannot tell: it reads,
checks and folds each file in as if they differed.
"""
import argparse
import array
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("fad")
parser.add_argument("--shards", type=int, default=1000)
parser.add_argument("--dimension", type=int, default=2048)
parser.add_argument("--dir", default="/tmp/fad-merge-bench")
args = parser.parse_args()
d, n = args.dimension, args.shards

rng = random.Random(1)
mean = array.array("d", (rng.uniform(-1, 1) for _ in range(d)))
cov = array.array("d", bytes(8 * d * d))
for i in range(d):
    cov[i * d + i] = 1.0 + rng.random()
    for j in range(i + 1, d):
        v = rng.uniform(-0.01, 0.01)
        cov[i * d + j] = v
        cov[j * d + i] = v
if sys.byteorder != "little":
    mean.byteswap(); cov.byteswap()
payload = mean.tobytes() + cov.tobytes()

h = 0xCBF29CE484222325
for b in payload:
    h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
checksum = "fnv1a64:%016x" % h

os.makedirs(args.dir, exist_ok=True)
paths = []
t0 = time.time()
for i in range(1, n + 1):
    header = {
        "format": "fad-gaussian-statistics", "version": 1, "count": 1000, "dimension": d,
        "model": "bench", "layer": "embedding", "frontEnd": "bench", "files": 100,
        "extra": {"windowHop": "1", "weightsDigest": "sha256:bench"},
        "shard": {"index": i, "count": n, "partition": "sha256-relative-path-round-robin-v1",
                  "setFiles": 100 * n, "setDigest": "sha256:bench-set", "assignedFiles": 100},
        "dtype": "<f8", "checksum": checksum,
    }
    text = json.dumps(header, sort_keys=True).encode()
    path = os.path.join(args.dir, f"part-{i}.fadstats")
    with open(path, "wb") as f:
        f.write(b"FADSTATS" + len(text).to_bytes(8, "little") + text + payload)
    paths.append(path)
print(f"wrote {n} shard files of {len(payload) / 1e6:.1f} MB (d = {d}) in {time.time() - t0:.0f} s")

out = os.path.join(args.dir, "merged.fadstats")
subprocess.run(["sync"])
t0 = time.time()
result = subprocess.run([args.fad, "stats", "merge", *paths, "-o", out], capture_output=True, text=True)
wall = time.time() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(result.stderr.strip())
print(f"fad stats merge: {n} files x {len(payload) / 1e6:.1f} MB, d = {d}: wall {wall:.1f} s "
      f"({n * len(payload) / wall / 1e9:.2f} GB/s), peak resident {peak / 1024:.0f} MiB, exit {result.returncode}")
shutil.rmtree(args.dir)
sys.exit(result.returncode)
