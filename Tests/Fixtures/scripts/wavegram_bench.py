"""PyTorch reference timings for `fad-bench wavegram` (not a fixture writer).

Runs audioset_tagging_cnn's Wavegram_Logmel_Cnn14 (pytorch/models.py, eval mode, float32, no
grad) on CPU with torch.set_num_threads(N) on one waveform clip of --samples samples, the whole
forward pass (torchlibrosa front end included, as fad's forward computes the log-mel too), and
prints one JSON line: clip (median wall seconds per call), clip_cpu (process CPU seconds per call,
all threads; robust to other processes' load), peak_rss_mib (the process's peak RSS).
Usage: wavegram_bench.py --reference /tmp/wgref/pytorch --samples 320000 --runs 5 --threads 1
"""
import argparse
import json
import resource
import statistics
import sys
import time
import types

import torch

p = argparse.ArgumentParser()
p.add_argument("--reference", default="/tmp/wgref/pytorch", help="audioset_tagging_cnn's pytorch/ folder")
p.add_argument("--samples", type=int, default=320000)
p.add_argument("--runs", type=int, default=5)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
sys.path.insert(0, a.reference)
sys.modules.setdefault("matplotlib", types.ModuleType("matplotlib"))
sys.modules.setdefault("matplotlib.pyplot", types.ModuleType("matplotlib.pyplot"))
from models import Wavegram_Logmel_Cnn14  # noqa: E402

model = Wavegram_Logmel_Cnn14(sample_rate=32000, window_size=1024, hop_size=320, mel_bins=64, fmin=50, fmax=14000,
                              classes_num=527).eval()
wave = torch.randn(1, a.samples) * 0.1
with torch.no_grad():
    model(wave)  # warm-up
    times = []
    cpu = time.process_time()
    for _ in range(a.runs):
        t = time.perf_counter()
        model(wave)
        times.append(time.perf_counter() - t)
    cpu_per_call = (time.process_time() - cpu) / a.runs
print(json.dumps({"torch": torch.__version__, "threads": a.threads, "clip": statistics.median(times),
                  "clip_cpu": cpu_per_call, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
