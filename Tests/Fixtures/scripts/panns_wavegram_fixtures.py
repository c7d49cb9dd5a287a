"""PANNs Wavegram_Logmel_Cnn14 parity fixtures from the reference repository's own model code
(qiuqiangkong/audioset_tagging_cnn, pytorch/models.py; torchlibrosa front end), run in float64 with
deterministic full-size weights in the layout of the official `Wavegram_Logmel_Cnn14_mAP=0.439.pth`.

Needs: a Python with torch, numpy and torchlibrosa (e.g. /tmp/ref) and the reference code:
    git --git-dir=<mirror of audioset_tagging_cnn> archive HEAD pytorch | tar -x -C /tmp/wgref
    /tmp/ref/bin/python Tests/Fixtures/scripts/panns_wavegram_fixtures.py --reference /tmp/wgref/pytorch

Inputs are the CNN14 fixtures' clips (Tests/Fixtures/panns/music_32k.npy: 1.5 s of sonic-pi
loop_amen_full.flac, CC0; synth_32k.npy), plus two cuts of the music (the tests cut them too):
  music_cut    47800 samples: 47800 mod 640 = 440, where the log-mel branch is one frame longer
               than the wavegram branch after conv_block1 and the reference's torch.cat raises. The
               reference is run with a forward hook that cuts the log-mel branch to the wavegram's
               length (what fad does; see PANNsWavegramLogmelCNN14.swift).
  music_short  the first 6000 samples, zero-padded to 10240 (fad's minimum: 16 frames in both
               branches after conv_block1).
Writes Tests/Fixtures/panns_wavegram/:
  weights.json                     deterministic-weight manifest (Tests/FADModelsTests regenerates it)
  <input>_embedding.npy            2048-d embedding (relu(fc1)), float64
  <input>_logits.npy               527 fc_audioset outputs, float64 (sigmoid = clipwise_output, checked)
  checkpoint_legacy_header.bin     the official layout as torch.save(_use_new_zipfile_serialization=
  checkpoint_legacy_storages.json  False) writes it, less the storages' bytes: the Swift test rebuilds
                                   the full ~330 MB checkpoint from the manifest and imports it.
                                   Its storage keys are torch's memory addresses, so these two
                                   files differ from run to run (any run's pair is valid); the
                                   .npy outputs are identical.
"""
import argparse
import io
import json
import os
import struct
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_deterministic_weights import assign, deterministic_tensor  # noqa: E402

FIXTURES = os.path.join(HERE, "..")
OUT = os.path.join(FIXTURES, "panns_wavegram")
CONFIG = dict(sample_rate=32000, window_size=1024, hop_size=320, mel_bins=64, fmin=50, fmax=14000, classes_num=527)
FRONT_END = ("spectrogram_extractor", "logmel_extractor")
# As for CNN14 (panns_fixtures.py): bn0 normalises decibels; fc_audioset small enough that the
# sigmoid does not saturate.
OVERRIDES = {
    "bn0.running_mean": (5.0, -40.0),
    "bn0.running_var": (100.0, 400.0),
    "fc_audioset.weight": (0.02, 0.0),
}


def build(reference):
    sys.path.insert(0, reference)
    sys.modules.setdefault("matplotlib", types.ModuleType("matplotlib"))
    sys.modules.setdefault("matplotlib.pyplot", types.ModuleType("matplotlib.pyplot"))
    from models import Wavegram_Logmel_Cnn14
    m = Wavegram_Logmel_Cnn14(**CONFIG)
    used = assign(m, skip=lambda n: n.startswith(FRONT_END), overrides=OVERRIDES)
    m.eval()
    # Cut the log-mel branch (conv_block1's output) to the wavegram branch's time length
    # (pre_block4's output) where they differ; a no-op wherever the reference itself runs.
    lengths = {}
    m.pre_block4.register_forward_hook(lambda mod, inp, out: lengths.__setitem__("wavegram", out.shape[2]))
    m.conv_block1.register_forward_hook(lambda mod, inp, out: out[:, :, :lengths["wavegram"], :])
    return m, used


def run(m, wave):
    x = torch.from_numpy(wave.astype(np.float64))[None]
    with torch.no_grad():
        out = m(x)
        logits = m.fc_audioset(out["embedding"])
        assert torch.allclose(torch.sigmoid(logits), out["clipwise_output"], atol=1e-12)
    return out["embedding"][0].numpy(), logits[0].numpy()


def legacy_checkpoint(m, manifest):
    """The state dict nested under 'model' (as the official files), saved in the legacy format;
    returns the bytes before the first storage and, per storage in file order, its tensor name,
    the count field torch writes before it, and its byte size."""
    state = m.float().state_dict()
    buffer = io.BytesIO()
    torch.save({"iteration": 0, "model": state}, buffer, _use_new_zipfile_serialization=False)
    data = buffer.getvalue()
    by_key = {str(t.untyped_storage()._cdata): (name, t) for name, t in state.items()}
    storages = []
    for key in sorted(by_key):
        name, t = by_key[key]
        storages.append((name, t))
    total = sum(8 + t.numel() * t.element_size() for _, t in storages)
    header = data[: len(data) - total]
    # Rebuild: header, then per storage its count (little-endian int64) and its bytes.
    deterministic = {e["name"]: e for e in manifest}
    rebuilt = bytearray(header)
    entries = []
    offset = len(header)
    for name, t in storages:
        count = struct.unpack("<q", data[offset: offset + 8])[0]
        nbytes = t.numel() * t.element_size()
        entry = {"name": name, "count": count, "bytes": nbytes, "deterministic": name in deterministic}
        rebuilt += struct.pack("<q", count)
        if name in deterministic:
            e = deterministic[name]
            rebuilt += deterministic_tensor(e["index"], name, tuple(e["shape"]), OVERRIDES).tobytes()
        else:
            rebuilt += bytes(nbytes)  # front-end kernels and BatchNorm counters: never read
        entries.append(entry)
        offset += 8 + nbytes
    assert offset == len(data)
    # The rebuilt file differs from torch's only in the ignored tensors, and torch reads it back.
    loaded = torch.load(io.BytesIO(bytes(rebuilt)), map_location="cpu", weights_only=True)["model"]
    for e in manifest:
        assert torch.equal(loaded[e["name"]], state[e["name"]]), e["name"]
    return header, entries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True, help="audioset_tagging_cnn's pytorch/ folder")
    args = parser.parse_args()
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    m, used = build(args.reference)
    sd = m.state_dict()
    manifest = [{"index": i, "name": n, "shape": list(sd[n].shape), "scale": s, "offset": o} for (i, n, s, o) in used]
    m.double()
    music = np.load(os.path.join(FIXTURES, "panns", "music_32k.npy"))
    synth = np.load(os.path.join(FIXTURES, "panns", "synth_32k.npy"))
    cut = music[:47800].copy()
    short = np.concatenate([music[:6000], np.zeros(10240 - 6000, np.float32)])
    for name, wave in [("music", music), ("synth", synth), ("music_cut", cut), ("music_short", short)]:
        emb, logits = run(m, wave)
        np.save(os.path.join(OUT, f"{name}_embedding.npy"), emb)
        np.save(os.path.join(OUT, f"{name}_logits.npy"), logits)
        p = 1 / (1 + np.exp(-logits))
        print(name, len(wave), "emb mean %.3f max %.3f zero %.2f" % (emb.mean(), emb.max(), (emb == 0).mean()),
              "logits std %.3f; prob min %.3f max %.3f" % (logits.std(), p.min(), p.max()))
    with open(os.path.join(OUT, "weights.json"), "w") as f:
        json.dump({"tensors": manifest}, f, indent=1)
    header, entries = legacy_checkpoint(m, manifest)
    with open(os.path.join(OUT, "checkpoint_legacy_header.bin"), "wb") as f:
        f.write(header)
    with open(os.path.join(OUT, "checkpoint_legacy_storages.json"), "w") as f:
        json.dump({"storages": entries}, f, indent=1)
    print("legacy header", len(header), "bytes,", len(entries), "storages")


if __name__ == "__main__":
    main()
