"""PyTorch reference timings for `fad-bench layers` (not a fixture writer).

Times torch.nn's own float32 layers on the CPU with torch.set_num_threads(N), on the shapes the
Swift benchmark uses (given as JSON), and prints one JSON line of median seconds per case name.
Usage: nn_layers_bench.py --runs 5 --threads 2 --cases '[{"name": ..., "kind": "conv1d", ...}]'
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--runs", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--cases", required=True)
a = p.parse_args()
torch.set_num_threads(a.threads)


def median_time(fn):
    with torch.no_grad():
        fn()  # warm-up
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
for case in json.loads(a.cases):
    kind = case["kind"]
    if kind == "conv1d":
        m = nn.Conv1d(case["in"], case["out"], case["kernel"], stride=case["stride"], groups=case["groups"],
                      padding=case["padding"]).eval()
        x = torch.randn(case["batch"], case["in"], case["length"])
        result[case["name"]] = median_time(lambda: m(x))
    elif kind == "attention":
        m = nn.MultiheadAttention(case["dim"], case["heads"], batch_first=True).eval()
        x = torch.randn(case["batch"], case["length"], case["dim"])
        result[case["name"]] = median_time(lambda: m(x, x, x, need_weights=False))
    elif kind == "groupnorm":
        m = nn.GroupNorm(case["groups"], case["channels"]).eval()
        x = torch.randn(case["batch"], case["channels"], case["length"])
        result[case["name"]] = median_time(lambda: m(x))
    elif kind == "lstm":
        m = nn.LSTM(case["dim"], case["dim"], case["layers"]).eval()
        x = torch.randn(case["length"], case["batch"], case["dim"])
        result[case["name"]] = median_time(lambda: m(x))
print(json.dumps(result))
