"""VGGish parity fixtures from torchvggish's own model and front end, with deterministic weights.

Needs: /tmp/torch venv (torch, numpy, resampy, soundfile) and torchvggish's sdist unpacked:
    /tmp/torch/bin/pip download --no-deps --no-binary :all: torchvggish==0.2 -d /tmp/torchdl
    tar xzf /tmp/torchdl/torchvggish-0.2.tar.gz -C /tmp/torchdl
    /tmp/torch/bin/python Tests/Fixtures/scripts/vggish_fixtures.py [/tmp/torchdl/torchvggish-0.2]

Writes Tests/Fixtures/vggish/:
  weights.json                 the deterministic-weight manifest (index, key, shape, scale, offset)
  music_16k.npy                2.0 s of sonic-pi loop_amen_full.flac (CC0), mono, resampled to 16 kHz
  synth_16k.npy                1.0 s synthetic chord + noise at 16 kHz
  {music,synth}_examples.npy   torchvggish waveform_to_examples output [N, 96, 64]
  {music,synth}_embedding.npy  pre-activation 128-d embeddings [N, 128] (the final ReLU removed,
                               as fadtk and frechet_audio_distance do)
  music_google_examples.npy    Google-FAD framing: x / max(0.1, max(x)), 1 s windows every 0.5 s,
  music_google_embedding.npy   one example per window
and /tmp/fad-torch/vggish-deterministic.pth (+ _legacy.pth): the full-size state dict for a local
import test (not committed: 288 MB).
"""
import json
import os
import sys

import numpy as np
import soundfile as sf
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_deterministic_weights import assign  # noqa: E402

SRC = sys.argv[1] if len(sys.argv) > 1 else "/tmp/torchdl/torchvggish-0.2"
sys.path.insert(0, SRC)
from torchvggish import torchvggish as tv  # noqa: E402
from torchvggish import vggish_input  # noqa: E402

OUT = os.path.join(HERE, "..", "vggish")
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(2)


def model():
    m = tv._vgg(postprocess=False)
    used = assign(m)
    m.eval()
    return m, used


def embed(m, examples):
    """Pre-activation embedding: torchvggish's forward without the last ReLU."""
    x = torch.from_numpy(examples).float()[:, None]
    with torch.no_grad():
        x = m.features(x)
        x = torch.transpose(x, 1, 3)
        x = torch.transpose(x, 1, 2).contiguous().view(x.size(0), -1)
        for layer in list(m.embeddings.children())[:-1]:
            x = layer(x)
        # Cross-check: the full torchvggish forward is ReLU of the same thing.
        full = m(torch.from_numpy(examples).float()[:, None])
        assert torch.allclose(full, torch.relu(x), atol=1e-5)
    return x.numpy()


def examples_of(wave):
    return vggish_input.waveform_to_examples(wave, 16000, return_tensor=False).astype(np.float32)


def main():
    import resampy
    m, used = model()
    audio, sr = sf.read("/usr/share/sonic-pi/samples/loop_amen_full.flac", dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    music = resampy.resample(audio, sr, 16000).astype(np.float32)[:32000]
    t = np.arange(16000) / 16000.0
    rng = np.random.default_rng(7)
    synth = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 331 * t)
             + 0.1 * np.sin(2 * np.pi * 1760 * t * (1 + t)) + 0.02 * rng.standard_normal(16000)).astype(np.float32)

    for name, wave in (("music", music), ("synth", synth)):
        ex = examples_of(wave)
        emb = embed(m, ex)
        np.save(os.path.join(OUT, f"{name}_16k.npy"), wave)
        np.save(os.path.join(OUT, f"{name}_examples.npy"), ex)
        np.save(os.path.join(OUT, f"{name}_embedding.npy"), emb)
        print(name, ex.shape, "emb mean %.3f std %.3f min %.3f max %.3f" % (emb.mean(), emb.std(), emb.min(), emb.max()))

    # Google's FAD framing (positive-peak normalisation, 1 s windows, 0.5 s hop).
    x = music / max(0.1, float(music.max()))
    windows = [x[s:s + 16000] for s in range(0, len(x) - 16000 + 1, 8000)]
    gex = np.concatenate([examples_of(w) for w in windows])
    np.save(os.path.join(OUT, "music_google_examples.npy"), gex)
    np.save(os.path.join(OUT, "music_google_embedding.npy"), embed(m, gex))
    print("google", gex.shape)

    with open(os.path.join(OUT, "weights.json"), "w") as f:
        json.dump({"tensors": [{"index": i, "name": n, "shape": list(m.state_dict()[n].shape),
                                "scale": s, "offset": o} for (i, n, s, o) in used]}, f, indent=1)
    os.makedirs("/tmp/fad-torch", exist_ok=True)
    torch.save(m.state_dict(), "/tmp/fad-torch/vggish-deterministic.pth")
    torch.save(m.state_dict(), "/tmp/fad-torch/vggish-deterministic_legacy.pth", _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
