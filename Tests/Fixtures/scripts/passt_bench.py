"""PyTorch reference timings for `fad-bench passt` (not a fixture writer).

Runs hear21passt 0.0.26's own model (AugmentMelSTFT + PaSST `passt_s_swa_p16_128_ap476` in
PasstBasicWrapper, mode "all", eval, float32, random weights: speed does not depend on them) on CPU
with torch.set_num_threads(N), on a batch of waveform windows, and prints one JSON line:
  seconds      median wall seconds per batch
  cpu_seconds  mean process CPU seconds per batch (all threads; robust to other processes' load)
  peak_rss_mib the process's peak resident memory
Usage: passt_bench.py --batch 4 --samples 320000 --runs 3 --threads 2
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=4)
p.add_argument("--samples", type=int, default=320000)
p.add_argument("--runs", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)

ORIGINAL_STFT = torch.stft


def stft(*args, **kwargs):
    # hear21passt passes return_complex=False, which current torch rejects: same numbers.
    kwargs.pop("return_complex", None)
    return torch.view_as_real(ORIGINAL_STFT(*args, return_complex=True, **kwargs))


torch.stft = stft
with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
    from hear21passt.models.passt import get_model
    from hear21passt.models.preprocess import AugmentMelSTFT
    from hear21passt.wrapper import PasstBasicWrapper
    mel = AugmentMelSTFT(n_mels=128, sr=32000, win_length=800, hopsize=320, n_fft=1024, freqm=48, timem=192,
                         htk=False, fmin=0.0, fmax=None, norm=1, fmin_aug_range=10, fmax_aug_range=2000)
    model = PasstBasicWrapper(mel=mel, net=get_model(arch="passt_s_swa_p16_128_ap476", pretrained=False), mode="all").eval()
    wave = torch.randn(a.batch, a.samples) * 0.1
    with torch.no_grad():
        model(wave)  # warm-up (and hear21passt's first-run prints)
        times = []
        cpu = time.process_time()
        for _ in range(a.runs):
            t = time.perf_counter()
            model(wave)
            times.append(time.perf_counter() - t)
        cpu_seconds = (time.process_time() - cpu) / a.runs
print(json.dumps({"torch": torch.__version__, "threads": a.threads, "seconds": statistics.median(times),
                  "cpu_seconds": cpu_seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
