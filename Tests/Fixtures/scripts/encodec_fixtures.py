"""EnCodec encoder parity fixtures from the `encodec` package's own model code (0.1.1), with
deterministic full-size weights, run in float64 on real music.

Needs: /tmp/ref (torch, numpy, encodec 0.1.1, torchaudio, soundfile).
    /tmp/ref/bin/python Tests/Fixtures/scripts/encodec_fixtures.py

Both models are built exactly as `EncodecModel.encodec_model_24khz/48khz(pretrained=False)` build
them (encoder, decoder and quantizer: the official state-dict layout), every float tensor of the
state dict overwritten in state_dict() order by torch_deterministic_weights (regenerated in Swift
from the manifests), then run through the package's own `EncodecModel.encode` (segmenting and
per-segment scale included) with the quantizer's input captured: the latent fad embeds.

Writes Tests/Fixtures/encodec/:
  weights_24k.json / weights_48k.json  manifests of the encoder tensors (index, name, shape, scale, offset)
  music_24k.npy        3.0 s + 123 samples of Examples/reference/battle.ogg at 24 kHz, mono (the
                       odd length exercises EnCodec's extra right padding)
  music_24k_latent.npy [frames, 128] encoder output (before the quantiser), 75 frames/s
  music_48k.npy        [samples, 2] 2.2 s at 48 kHz: battle.ogg left, frantic.ogg right
  music_48k_latent.npy [frames, 128]: the latent of every 1 s segment (stride int(0.99 * 48000)),
                       segments concatenated in order, each encoded at scale 1e-8 + RMS(mono)
  music_48k_scales.npy the per-segment scales
and /tmp/fad-torch/encodec_{24,48}khz-deterministic.th: the full state dicts (not committed).
"""
import json
import math
import os
import sys

import numpy as np
import soundfile as sf
import torch
import torchaudio

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
from torch_deterministic_weights import assign  # noqa: E402

from encodec import EncodecModel  # noqa: E402

OUT = os.path.join(HERE, "..", "encodec")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(2)


def overrides(model):
    """Weight-norm gains as the norm of each filter (about He scale for ELU stacks), LSTM weights
    at PyTorch's own init scale (1/sqrt(hidden)) so that the gates do not saturate."""
    out = {}
    for name, tensor in model.state_dict().items():
        if name.endswith("weight_g"):
            out[name] = (0.25, 1.25)               # [1.0, 1.5)
        elif ".lstm." in name:
            out[name] = (1.0 / math.sqrt(512), 0.0)
    return out


def build(rate):
    model = (EncodecModel.encodec_model_24khz if rate == 24 else EncodecModel.encodec_model_48khz)(pretrained=False)
    used = assign(model, overrides=overrides(model))
    model.eval()
    return model, used


def load(path, rate):
    wave, sr = sf.read(path, dtype="float32", always_2d=True)
    wave = torch.from_numpy(wave.mean(axis=1))
    return torchaudio.functional.resample(wave, sr, rate).numpy().astype(np.float32)


def latent(model, wave):
    """The package's own encode path (segments, scale) with the quantiser's input captured."""
    captured = []

    def capture(emb, frame_rate, bandwidth):
        captured.append(emb.clone())
        return torch.zeros(1, emb.shape[0], emb.shape[-1], dtype=torch.long)

    model.quantizer.encode = capture
    x = torch.from_numpy(wave.T.copy() if wave.ndim == 2 else wave[None].copy())[None].double()
    with torch.no_grad():
        frames = model.encode(x)
    scales = [s.item() for _, s in frames if s is not None]
    return torch.cat([e[0].T for e in captured], dim=0).numpy(), np.array(scales)


def main():
    battle = os.path.join(ROOT, "Examples/reference/battle.ogg")
    frantic = os.path.join(ROOT, "Examples/reference/frantic.ogg")
    music24 = load(battle, 24000)[:3 * 24000 + 123]
    left, right = load(battle, 48000), load(frantic, 48000)
    music48 = np.stack([left[:105600], right[:105600]], axis=1)
    os.makedirs("/tmp/fad-torch", exist_ok=True)
    for rate, wave in [(24, music24), (48, music48)]:
        model, used = build(rate)
        sd = model.state_dict()
        manifest = [{"index": i, "name": n, "shape": list(sd[n].shape), "scale": s, "offset": o}
                    for (i, n, s, o) in used if n.startswith("encoder.")]
        torch.save(sd, f"/tmp/fad-torch/encodec_{rate}khz-deterministic.th")
        model.double()
        z, scales = latent(model, wave)
        np.save(os.path.join(OUT, f"music_{rate}k.npy"), wave)
        np.save(os.path.join(OUT, f"music_{rate}k_latent.npy"), z.astype(np.float64))
        if rate == 48:
            np.save(os.path.join(OUT, "music_48k_scales.npy"), scales)
        with open(os.path.join(OUT, f"weights_{rate}k.json"), "w") as f:
            json.dump({"tensors": manifest}, f, indent=1)
        print(rate, wave.shape, "latent", z.shape, "mean %.4f std %.4f max %.4f" % (z.mean(), z.std(), np.abs(z).max()),
              "scales", scales)


if __name__ == "__main__":
    main()
