"""PyTorch reference timings for `fad-bench torch-models` (not a fixture writer).

Runs torchvggish 0.2's VGG and panns_inference 0.1.1's Cnn14 on CPU with torch.set_num_threads(N),
on the same shapes as the Swift benchmark, and prints one JSON line of median seconds:
  vggish_batch   VGGish network on [batch, 1, 96, 64] log-mel examples
  cnn14_logmel   CNN14 network (bn0 .. fc_audioset) on one [1, 1, frames, 64] log-mel
  cnn14_clip     CNN14 including torchlibrosa's front end on one waveform clip
and NAME_cpu: the process CPU seconds per call (all threads), robust to other processes' load.
Needs torchlibrosa, librosa and resampy importable (panns_inference imports them).
Usage: torch_models_bench.py --batch 32 --frames 1001 --samples 320000 --runs 5 --threads 2
"""
import argparse
import json
import os
import statistics
import sys
import time
import types

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=32)
p.add_argument("--frames", type=int, default=1001)
p.add_argument("--samples", type=int, default=320000)
p.add_argument("--runs", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--vggish-src", default="/tmp/torchdl/torchvggish-0.2")
p.add_argument("--panns-src", default="/tmp/torchdl/panns-inference-0.1.1")
a = p.parse_args()
torch.set_num_threads(a.threads)
sys.path.insert(0, a.vggish_src)
sys.path.insert(0, a.panns_src)
sys.modules.setdefault("matplotlib", types.ModuleType("matplotlib"))
sys.modules.setdefault("matplotlib.pyplot", types.ModuleType("matplotlib.pyplot"))
devnull = open(os.devnull, "w")
stdout, sys.stdout = sys.stdout, devnull          # panns_inference.config prints wget noise
from torchvggish import torchvggish as tv  # noqa: E402
from panns_inference.models import Cnn14  # noqa: E402
sys.stdout = stdout


cpu_seconds = {}


def median_time(fn, name):
    """Median wall seconds of one call; the mean process CPU seconds per call (all threads,
    robust to other processes' load) go to cpu_seconds[name]."""
    with torch.no_grad():
        fn()  # warm-up
        times = []
        cpu = time.process_time()
        for _ in range(a.runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        cpu_seconds[name] = (time.process_time() - cpu) / a.runs
    return statistics.median(times)


vgg = tv._vgg(postprocess=False).eval()
examples = torch.randn(a.batch, 1, 96, 64)
cnn = Cnn14(sample_rate=32000, window_size=1024, hop_size=320, mel_bins=64, fmin=50, fmax=14000, classes_num=527).eval()
logmel = torch.randn(1, 1, a.frames, 64) * 10 - 40
wave = torch.randn(1, a.samples) * 0.1


def cnn14_from_logmel(x):
    x = cnn.bn0(x.transpose(1, 3)).transpose(1, 3)
    for i, block in enumerate([cnn.conv_block1, cnn.conv_block2, cnn.conv_block3, cnn.conv_block4, cnn.conv_block5, cnn.conv_block6]):
        x = block(x, pool_size=(2, 2) if i < 5 else (1, 1), pool_type="avg")
    x = torch.mean(x, dim=3)
    x = torch.max(x, dim=2)[0] + torch.mean(x, dim=2)
    return torch.sigmoid(cnn.fc_audioset(F.relu(cnn.fc1(x))))


result = {
    "torch": torch.__version__, "threads": a.threads,
    "vggish_batch": median_time(lambda: vgg(examples), "vggish_batch"),
    "cnn14_logmel": median_time(lambda: cnn14_from_logmel(logmel), "cnn14_logmel"),
    "cnn14_clip": median_time(lambda: cnn(wave), "cnn14_clip"),
}
result.update({name + "_cpu": seconds for name, seconds in cpu_seconds.items()})
print(json.dumps(result))
