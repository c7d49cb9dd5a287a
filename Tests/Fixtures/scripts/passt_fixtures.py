"""PaSST parity fixtures from hear21passt 0.0.26's own code (AugmentMelSTFT + PaSST
`passt_s_swa_p16_128_ap476` in PasstBasicWrapper, mode "all"), run in float64 with deterministic
full-size weights in the official checkpoint's state-dict layout.

    /tmp/ref/bin/python Tests/Fixtures/scripts/passt_fixtures.py

Music: Examples/reference/battle.ogg (10 s) followed by the first 2.5 s of knolls.ogg
(The Battle for Wesnoth, GPL-2+; see Examples/README.md), resampled to 32 kHz: 12.5 s, so that
audiocraft's split into 10 s segments gives one full segment and a 2.5 s tail, which audiocraft
runs unpadded (audiocraft/metrics/kld.py, `_process_audio`).

Writes Tests/Fixtures/passt/:
  weights.json            deterministic-weight manifest (the PaSST state dict, official key names)
  music.npy               the 12.5 s waveform, float32, 32 kHz
  mel_first.npy           the model's own front end on samples [0, 320000): [128, 1000]
  mel_tail.npy            ... on the tail [320000, 400000): [128, 250]
  hop10_embedding.npy     [2, 768] embeddings of segments [0, 10 s) and [10 s, 12.5 s)
  hop10_logits.npy        [2, 527] logits of the same segments
  hop5_embedding.npy      [2, 768] of windows [0, 10 s) and [5 s, 12.5 s) (hop 160000 samples)
  hop5_logits.npy         [2, 527]
and /tmp/fad-torch/passt-deterministic.pt: the float32 state dict as the official
passt-s-f128-p16-s10-ap.476-swa.pt stores it (not committed: ~345 MB).
"""
import json
import os
import sys

import librosa
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, HERE)
from torch_deterministic_weights import assign  # noqa: E402

# float64 everywhere: get_mel_banks and every parameter follow the default dtype.
torch.set_default_dtype(torch.float64)
torch.set_num_threads(2)

from hear21passt.models.passt import get_model  # noqa: E402
from hear21passt.models.preprocess import AugmentMelSTFT  # noqa: E402
from hear21passt.wrapper import PasstBasicWrapper  # noqa: E402

OUT = os.path.join(HERE, "..", "passt")
os.makedirs(OUT, exist_ok=True)

# The role defaults of torch_deterministic_weights keep activations at unit scale here (LayerNorm
# gains near 1, He-uniform projections); the classifier is scaled down so that the 527 logits
# spread over a few units, as a trained head's do.
OVERRIDES = {"head.1.weight": (0.02, 0.0)}


def build():
    # As hear21passt.base.get_basic_model, without the download (pretrained=False).
    mel = AugmentMelSTFT(n_mels=128, sr=32000, win_length=800, hopsize=320, n_fft=1024, freqm=48, timem=192,
                         htk=False, fmin=0.0, fmax=None, norm=1, fmin_aug_range=10, fmax_aug_range=2000)
    net = get_model(arch="passt_s_swa_p16_128_ap476", pretrained=False)
    used = assign(net, overrides=OVERRIDES)
    model = PasstBasicWrapper(mel=mel, net=net, mode="all")
    model.double().eval()
    return model, net, used


def stft(*args, **kwargs):
    # hear21passt calls torch.stft with return_complex=False (real pairs), which current torch
    # no longer accepts; the same numbers through the complex result.
    kwargs.pop("return_complex", None)
    return torch.view_as_real(ORIGINAL_STFT(*args, return_complex=True, **kwargs))


ORIGINAL_STFT = torch.stft


def run(model, wave):
    x = torch.from_numpy(wave.astype(np.float64))[None]
    with torch.no_grad():
        out = model(x)[0].numpy()
    return out[527:], out[:527]   # mode "all": cat([logits, features])


def main():
    sr = 32000
    a, _ = librosa.load(os.path.join(ROOT, "Examples/reference/battle.ogg"), sr=sr, mono=True)
    b, _ = librosa.load(os.path.join(ROOT, "Examples/reference/knolls.ogg"), sr=sr, mono=True)
    music = np.concatenate([a[:320000], b[:80000]]).astype(np.float32)
    assert music.shape == (400000,)
    torch.stft = stft
    model, net, used = build()
    sd = net.state_dict()
    manifest = [{"index": i, "name": n, "shape": list(sd[n].shape), "scale": s, "offset": o} for (i, n, s, o) in used]
    np.save(os.path.join(OUT, "music.npy"), music)
    with torch.no_grad():
        for name, segment in [("first", music[:320000]), ("tail", music[320000:])]:
            mel = model.mel(torch.from_numpy(segment.astype(np.float64))[None])[0].numpy()
            np.save(os.path.join(OUT, f"mel_{name}.npy"), mel.astype(np.float32))
            print("mel", name, mel.shape, "range %.3f..%.3f" % (mel.min(), mel.max()))
    first = run(model, music[:320000])
    for hop, second in [(10, music[320000:]), (5, music[160000:])]:
        tail = run(model, second)
        emb = np.stack([first[0], tail[0]]).astype(np.float32)
        logits = np.stack([first[1], tail[1]]).astype(np.float32)
        np.save(os.path.join(OUT, f"hop{hop}_embedding.npy"), emb)
        np.save(os.path.join(OUT, f"hop{hop}_logits.npy"), logits)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        print("hop", hop, "embedding std %.3f" % emb.std(), "logits std %.3f" % logits.std(),
              "softmax max %.3f" % p.max())
    with open(os.path.join(OUT, "weights.json"), "w") as f:
        json.dump({"tensors": manifest}, f, indent=1)
    os.makedirs("/tmp/fad-torch", exist_ok=True)
    torch.save({k: v.float() for k, v in net.state_dict().items()}, "/tmp/fad-torch/passt-deterministic.pt")


if __name__ == "__main__":
    main()
