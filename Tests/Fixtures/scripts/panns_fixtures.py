"""PANNs CNN14 parity fixtures from panns_inference's own Cnn14 (torchlibrosa front end), with
deterministic weights.

Needs: /tmp/torch venv (torch, numpy, torchlibrosa, librosa, resampy, soundfile) and the sdist:
    /tmp/torch/bin/pip download --no-deps --no-binary :all: panns-inference==0.1.1 -d /tmp/torchdl
    tar xzf /tmp/torchdl/panns-inference-0.1.1.tar.gz -C /tmp/torchdl
    /tmp/torch/bin/python Tests/Fixtures/scripts/panns_fixtures.py [/tmp/torchdl/panns-inference-0.1.1]

Writes Tests/Fixtures/panns/ for the 32 kHz model (sr 32000, window 1024, hop 320, fmax 14000) and
the 16 kHz one (sr 16000, window 512, hop 160, fmax 8000):
  weights.json                  deterministic-weight manifest (same for both: identical layers)
  music_32k.npy / synth_32k.npy 1.5 s of sonic-pi loop_amen_full.flac (CC0) / 1.0 s synthetic, 32 kHz
  music_16k.npy                 the same music at 16 kHz
  <input>_<rate>_logmel.npy     the model's own log-mel [T, 64] (torchlibrosa)
  <input>_<rate>_embedding.npy  2048-d clip embedding (relu(fc1))
  <input>_<rate>_logits.npy     527 fc_audioset outputs; sigmoid = clipwise_output (checked)
and /tmp/fad-torch/panns-cnn14-deterministic{,-16k}.pth: full state dicts nested under 'model'
like the official files (not committed: ~320 MB).
"""
import json
import os
import sys
import types

import numpy as np
import soundfile as sf
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_deterministic_weights import assign  # noqa: E402

SRC = sys.argv[1] if len(sys.argv) > 1 else "/tmp/torchdl/panns-inference-0.1.1"
sys.path.insert(0, SRC)
# models.py imports matplotlib.pyplot without using it for Cnn14.
sys.modules.setdefault("matplotlib", types.ModuleType("matplotlib"))
sys.modules.setdefault("matplotlib.pyplot", types.ModuleType("matplotlib.pyplot"))
from panns_inference.models import Cnn14  # noqa: E402

OUT = os.path.join(HERE, "..", "panns")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(2)

# bn0 normalises decibels (about -100..+20) in the real model; keep that role so that the
# deterministic network sees unit-scale input. fc_audioset is scaled down so that sigmoid does
# not saturate.
OVERRIDES = {
    "bn0.running_mean": (5.0, -40.0),
    "bn0.running_var": (100.0, 400.0),
    "fc_audioset.weight": (0.02, 0.0),
}
FRONT_END = ("spectrogram_extractor", "logmel_extractor")

CONFIGS = {
    "32k": dict(sample_rate=32000, window_size=1024, hop_size=320, mel_bins=64, fmin=50, fmax=14000, classes_num=527),
    "16k": dict(sample_rate=16000, window_size=512, hop_size=160, mel_bins=64, fmin=50, fmax=8000, classes_num=527),
}


def build(rate):
    m = Cnn14(**CONFIGS[rate])
    used = assign(m, skip=lambda n: n.startswith(FRONT_END), overrides=OVERRIDES)
    m.eval()
    return m, used


def run(m, wave):
    x = torch.from_numpy(wave)[None]
    with torch.no_grad():
        out = m(x)
        logmel = m.logmel_extractor(m.spectrogram_extractor(x))[0, 0]
        # logits: recompute the head from the embedding (identical to the forward's fc_audioset).
        logits = m.fc_audioset(out["embedding"])
        assert torch.allclose(torch.sigmoid(logits), out["clipwise_output"], atol=1e-6)
    return logmel.numpy(), out["embedding"][0].numpy(), logits[0].numpy()


def main():
    import resampy
    audio, sr = sf.read("/usr/share/sonic-pi/samples/loop_amen_full.flac", dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    music32 = resampy.resample(audio, sr, 32000).astype(np.float32)[:48000]
    music16 = resampy.resample(audio, sr, 16000).astype(np.float32)[:24000]
    t = np.arange(32000) / 32000.0
    rng = np.random.default_rng(11)
    synth32 = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t * (1 + t))
               + 0.02 * rng.standard_normal(32000)).astype(np.float32)
    inputs = {"32k": {"music": music32, "synth": synth32}, "16k": {"music": music16}}
    manifest = None
    for rate, waves in inputs.items():
        m, used = build(rate)
        if manifest is None:
            sd = m.state_dict()
            manifest = [{"index": i, "name": n, "shape": list(sd[n].shape), "scale": s, "offset": o}
                        for (i, n, s, o) in used]
        for name, wave in waves.items():
            logmel, emb, logits = run(m, wave)
            np.save(os.path.join(OUT, f"{name}_{rate}.npy"), wave)
            np.save(os.path.join(OUT, f"{name}_{rate}_logmel.npy"), logmel)
            np.save(os.path.join(OUT, f"{name}_{rate}_embedding.npy"), emb)
            np.save(os.path.join(OUT, f"{name}_{rate}_logits.npy"), logits)
            p = 1 / (1 + np.exp(-logits))
            print(rate, name, logmel.shape, "emb mean %.3f max %.3f zero %.2f" % (emb.mean(), emb.max(), (emb == 0).mean()),
                  "logits std %.3f; prob min %.3f max %.3f" % (logits.std(), p.min(), p.max()))
        os.makedirs("/tmp/fad-torch", exist_ok=True)
        suffix = "" if rate == "32k" else "-16k"
        torch.save({"iteration": 0, "model": m.state_dict()}, f"/tmp/fad-torch/panns-cnn14-deterministic{suffix}.pth")
    with open(os.path.join(OUT, "weights.json"), "w") as f:
        json.dump({"tensors": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
