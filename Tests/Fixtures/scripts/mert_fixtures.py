"""MERT-v1 parity fixtures from m-a-p's own model code (`MERTModel` of modeling_MERT.py), with
deterministic full-size weights in the official state-dict layout, run in float64 on real music.

The reference code is not on PyPI (it lives with the checkpoints on the Hugging Face hub and in
m-a-p's GitHub repository yizhilll/MERT, scripts/mert_hf/{modeling_MERT.py, configuration_MERT.py});
it is not committed here. Fetch those two files into a directory and pass it:

    /tmp/ref/bin/python Tests/Fixtures/scripts/mert_fixtures.py /tmp/mert_ref [CLIP]

CLIP (default Examples/reference/battle.ogg) is any audio file soundfile reads; its first
3 s + 77 samples (or all of it, if shorter) are used.

Needs /tmp/ref with torch, numpy, soundfile and transformers 4.46.3 (the HuBERT classes the MERT
code imports; 5.x returns no hidden states).

Architectures: m-a-p's published configs (yizhilll/MERT scripts/hf_config/mert_base.json and
mert_large.json) on top of MERTConfig's defaults: conv feature encoder 7 x 512 channels, kernels
[10,3,3,3,3,2,2], strides [5,2,2,2,2,2,2], no conv bias, GroupNorm on the first layer
(feat_extract_norm "group"); feature projection LayerNorm(512) + Linear; positional conv kernel
128 in 16 groups; eps 1e-5; no CQT, no deepnorm. 95M: 12 layers of 768 (12 heads, 3072),
post-LN (HubertEncoder). 330M: 24 layers of 1024 (16 heads, 4096), pre-LN
(do_stable_layer_norm, HubertEncoderStableLayerNorm; its attention_relax 32 only acts in the
deepnorm encoder, which pre-LN excludes).

Input as MERT's processor prepares it (Wav2Vec2FeatureExtractor, do_normalize): float32, zero
mean, divided by sqrt(population variance + 1e-7) over the whole clip.

Writes Tests/Fixtures/mert/:
  weights_95m.json / weights_330m.json  manifests (index, name, shape, scale, offset), state_dict
                       order, official key names (pos_conv weight_g / weight_v)
  music.npy            3.0 s + 77 samples of CLIP (mono) resampled to 24 kHz
  music_95m_hidden.npy  [13, K, 768] float32: hidden_states[l] (l = 0...12) at frames 0, 16, 32, ...
                       and the last (K = 15 for 3 s: 0...208 and 223), subsampled to keep it small
  music_330m_hidden.npy [25, K, 1024] likewise (l = 0...24)
  music_95m_last.npy   [frames, 768]: every frame of hidden_states[12]
and /tmp/fad-torch/mert-v1-{95m,330m}-deterministic.bin: the full state dicts (torch.save, the
layout of the hub's pytorch_model.bin; not committed).
"""
import importlib
import json
import os
import sys
import types

import numpy as np
import soundfile as sf
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
from torch_deterministic_weights import assign  # noqa: E402

OUT = os.path.join(HERE, "..", "mert")
STRIDE = 16
torch.set_num_threads(2)

CONFIGS = {
    "95m": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                do_stable_layer_norm=False, mask_time_prob=0.05),
    "330m": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                 do_stable_layer_norm=True, attention_relax=32.0, mask_time_prob=0.075),
}
COMMON = dict(sample_rate=24000, conv_bias=False, feat_extract_norm="group", feat_proj_layer_norm=True,
              feature_extractor_cqt=False, deepnorm=False, layer_norm_eps=1e-5,
              num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16,
              hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0,
              layerdrop=0.0)


def load_reference(directory):
    """modeling_MERT.py imports `.configuration_MERT`: load both as a package."""
    package = types.ModuleType("mert_hf")
    package.__path__ = [os.path.abspath(directory)]
    sys.modules["mert_hf"] = package
    return importlib.import_module("mert_hf.modeling_MERT"), importlib.import_module("mert_hf.configuration_MERT")


def official_name(name):
    """transformers 4.46 registers weight norm as a parametrization; the hub checkpoints (saved
    by transformers 4.2x) name its tensors weight_g / weight_v."""
    return (name.replace("parametrizations.weight.original0", "weight_g")
                .replace("parametrizations.weight.original1", "weight_v"))


def overrides(model):
    """Weight-norm gains per kernel tap in [1, 1.5) (the norm of each tap's 768 x 48 matrix)."""
    return {n: (0.5, 1.0) for n in model.state_dict() if n.endswith("original0")}


def resample(x, rate, target):
    """Band-limited resampling by FFT (any resampler will do: the fixture stores its output)."""
    n = int(round(len(x) * target / rate))
    spectrum = np.fft.rfft(x.astype(np.float64))
    keep = min(len(spectrum), n // 2 + 1)
    out = np.zeros(n // 2 + 1, dtype=np.complex128)
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n) * (n / len(x))).astype(np.float32)


def normalize(wave):
    """Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm on float32, as the processor runs it."""
    x = wave.astype(np.float32)
    return (x - x.mean()) / np.sqrt(x.var() + 1e-7)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    clip = sys.argv[2] if len(sys.argv) == 3 else os.path.join(ROOT, "Examples/reference/battle.ogg")
    modeling, configuration = load_reference(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    os.makedirs("/tmp/fad-torch", exist_ok=True)
    wave, rate = sf.read(clip, dtype="float32", always_2d=True)
    music = resample(wave.mean(axis=1), rate, 24000)[:3 * 24000 + 77]
    np.save(os.path.join(OUT, "music.npy"), music)
    for size, extra in CONFIGS.items():
        config = configuration.MERTConfig(**COMMON, **extra)
        torch.manual_seed(0)
        model = modeling.MERTModel(config)
        used = assign(model, overrides=overrides(model))
        model.eval()
        sd = model.state_dict()
        manifest = [{"index": i, "name": official_name(n), "shape": list(sd[n].shape), "scale": s, "offset": o}
                    for (i, n, s, o) in used]
        with open(os.path.join(OUT, f"weights_{size}.json"), "w") as f:
            json.dump({"tensors": manifest}, f, indent=1)
        torch.save({official_name(n): t for n, t in sd.items()}, f"/tmp/fad-torch/mert-v1-{size}-deterministic.bin")
        model.double()
        x = torch.from_numpy(normalize(music))[None].double()
        with torch.no_grad():
            out = model(x, output_hidden_states=True, return_dict=True)
        hidden = torch.stack(out.hidden_states)[:, 0].numpy()          # [L + 1, frames, D]
        frames = list(range(0, hidden.shape[1], STRIDE)) + [hidden.shape[1] - 1]
        np.save(os.path.join(OUT, f"music_{size}_hidden.npy"), hidden[:, frames].astype(np.float32))
        if size == "95m":
            np.save(os.path.join(OUT, f"music_{size}_last.npy"), hidden[-1].astype(np.float32))
        print(size, "frames", hidden.shape[1], "per-layer max |h|:", " ".join("%.2f" % np.abs(h).max() for h in hidden))


if __name__ == "__main__":
    main()
