"""PyTorch reference timings for `fad-bench clap` (not a fixture writer).

laion_clap 1.1.7's CLAP_Module (non-fusion, amodel HTSAT-base or HTSAT-tiny, float32, its own
randomly initialised weights: speed does not depend on them) computes `get_audio_embedding` -
torchlibrosa front end, HTSAT, audio projection, L2 norm - on a batch of 10 s windows of noise with
torch.set_num_threads(N). Prints one JSON line: median wall seconds per batch, process CPU seconds
per batch, and this process's peak RSS (MiB; it includes the text branch, which CLAP_Module always builds).
Offline stand-ins for the Hugging Face downloads come from clap_fixtures.py.
Usage: clap_bench.py --amodel HTSAT-base --windows 4 --runs 3 --threads 2
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clap_fixtures  # noqa: E402  (offline transformers stand-ins, laion_clap imported)
import laion_clap  # noqa: E402
import torch  # noqa: E402
from laion_clap.training.data import get_audio_features  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--amodel", default="HTSAT-base")
p.add_argument("--windows", type=int, default=4)
p.add_argument("--runs", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)

module = laion_clap.CLAP_Module(enable_fusion=False, amodel=a.amodel, device="cpu")
module.model.eval()
generator = torch.Generator().manual_seed(9)
waves = (torch.rand(a.windows, 480000, generator=generator) * 0.2 - 0.1)
samples = [get_audio_features({}, w, 480000, data_truncating="rand_trunc", data_filling="repeatpad",
                              audio_cfg=module.model_cfg["audio_cfg"]) for w in waves]

with torch.no_grad():
    module.model.get_audio_embedding(samples)  # warm-up
    times = []
    cpu = time.process_time()
    for _ in range(a.runs):
        t = time.perf_counter()
        module.model.get_audio_embedding(samples)
        times.append(time.perf_counter() - t)
    cpu = (time.process_time() - cpu) / a.runs
print(json.dumps({"torch": torch.__version__, "threads": a.threads, "seconds": statistics.median(times), "cpu_seconds": cpu,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
