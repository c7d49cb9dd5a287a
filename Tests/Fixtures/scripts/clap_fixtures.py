"""CLAP-LAION audio-encoder parity fixtures from laion_clap 1.1.7's own code (CLAP_Module, HTSAT,
torchlibrosa front end), with deterministic full-size weights in the official checkpoint layout.

Needs: /tmp/ref (torch CPU, numpy 1.26, laion_clap 1.1.7, transformers, torchlibrosa, librosa, soundfile).
    /tmp/ref/bin/python Tests/Fixtures/scripts/clap_fixtures.py

No network: laion_clap fetches RoBERTa's tokenizer and weights from the Hugging Face hub when it is
imported and when CLAP_Module is built. Both are replaced here by offline stand-ins (no tokenizer; a
RobertaModel with roberta-base's configuration and random weights): the text branch plays no part
in audio embeddings, but it is full size, so the checkpoints below have the official size.

For each id, `clap-laion-music` (HTSAT-base, `music_audioset_epoch_15_esc_90.14.pt`) and
`clap-laion-audio` (HTSAT-tiny, `630k-audioset-best.pt`):
1. CLAP_Module(enable_fusion=False, amodel=...) gets deterministic weights
   (torch_deterministic_weights.py) on every audio-branch and audio-projection tensor that fad
   imports; the STFT/mel kernels and Swin buffers keep their computed values.
2. The whole model is saved as the official training checkpoints are:
   {'epoch', 'name', 'state_dict': {'module.' + key: tensor, ...}, 'optimizer': Adam state},
   including the int64 `module.text_branch.embeddings.position_ids` the official files hold,
   to /tmp/fad-torch/clap-<variant>-deterministic.pt (~2.3 GB / ~1.9 GB, not committed).
3. A fresh CLAP_Module loads that file with its own `load_ckpt`, is cast to float64, and runs
   `get_audio_embedding_from_data`'s steps (int16 round trip in float32 as the hook does it,
   `get_audio_features`, `get_audio_embedding`) on real music.

Writes Tests/Fixtures/clap/:
  weights-<variant>.json         deterministic-weight manifest (keys without `module.`)
  battle_10s.npy                 int16 [480000]: 10 s of Examples/reference/battle.ogg (GPL-2+,
                                 Battle for Wesnoth) resampled to 48 kHz and quantised; the model
                                 input is int16 / 32767 in float32
  frantic_4s.npy                 int16 [192000]: 4 s of Examples/reference/frantic.ogg, likewise;
                                 run zero-padded to 10 s as fadtk pads its last windows
  battle_10s_logmel.npy          HTSAT's log-mel [1001, 64] (before bn0), float64 run
  <variant>_<clip>_embedding.npy the L2-normalised 512-d audio embedding
  <variant>_<clip>_latent.npy    HTSAT's latent output (768 / 1024) before the projection
"""
import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
from torch_deterministic_weights import assign  # noqa: E402

ROBERTA_BASE = dict(vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
                    pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
for tokenizer in (transformers.BertTokenizer, transformers.RobertaTokenizer, transformers.BartTokenizer):
    tokenizer.from_pretrained = classmethod(lambda cls, *a, **k: None)
transformers.RobertaModel.from_pretrained = classmethod(
    lambda cls, *a, **k: transformers.RobertaModel(transformers.RobertaConfig(**ROBERTA_BASE)))

import laion_clap  # noqa: E402
from laion_clap.training.data import get_audio_features, int16_to_float32, float32_to_int16  # noqa: E402

OUT = os.path.join(ROOT, "Tests", "Fixtures", "clap")
BIG = "/tmp/fad-torch"
torch.set_num_threads(2)

VARIANTS = {"clap-laion-music": "HTSAT-base", "clap-laion-audio": "HTSAT-tiny"}
# Imported tensors only: everything else keeps what laion_clap computes (STFT and mel kernels,
# Swin masks) or is ignored by fad's import (text branch, audio_transform, classifier head).
IMPORTED = ("audio_branch.", "audio_projection.")
NOT_IMPORTED = ("audio_branch.spectrogram_extractor.", "audio_branch.logmel_extractor.",
                "audio_branch.tscam_conv.", "audio_branch.head.")


def imported(name):
    return (name.startswith(IMPORTED) and not name.startswith(NOT_IMPORTED)
            and not name.endswith(("attn_mask", "relative_position_index", "num_batches_tracked")))


def overrides(model):
    # bn0 normalises decibels (about -100..+40) in the real model; keep that role. The relative
    # position bias tables (fan-in = heads under the default rule) get a modest spread.
    o = {"audio_branch.bn0.running_mean": (10.0, -30.0), "audio_branch.bn0.running_var": (200.0, 300.0)}
    for name in model.state_dict():
        if name.endswith("relative_position_bias_table"):
            o[name] = (0.5, 0.0)
    return o


def load_clip(name, seconds):
    import librosa
    import soundfile as sf
    audio, sr = sf.read(os.path.join(ROOT, "Examples", "reference", name + ".ogg"), dtype="float32", always_2d=True)
    audio = librosa.resample(audio.mean(axis=1), orig_sr=sr, target_sr=48000).astype(np.float32)
    audio = audio[: seconds * 48000]
    assert len(audio) == seconds * 48000, (name, len(audio))
    return float32_to_int16(audio)


def save_official(module, variant, path):
    """The model as laion_clap's training saves it: DataParallel names, Adam state, epoch/name."""
    sd = {"module." + k: v for k, v in module.model.state_dict().items()}
    sd["module.text_branch.embeddings.position_ids"] = torch.arange(514).expand(1, -1).clone()
    params = [p for p in module.model.parameters() if p.requires_grad]
    state = {i: {"step": torch.tensor(1000.0), "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.full_like(p, 1e-8)}
             for i, p in enumerate(params)}
    optimizer = {"state": state, "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8,
                                                   "weight_decay": 0.0, "params": list(range(len(params)))}]}
    torch.save({"epoch": 15, "name": variant, "state_dict": sd, "optimizer": optimizer}, path)


def reference(module, q):
    """get_audio_embedding_from_data's steps in float64 on one clip zero-padded to 10 s."""
    x = int16_to_float32(q)
    x = np.pad(x, (0, 480000 - len(x)))
    wave = torch.from_numpy(int16_to_float32(float32_to_int16(x))).double()
    sample = get_audio_features({}, wave, 480000, data_truncating="rand_trunc", data_filling="repeatpad",
                                audio_cfg=module.model_cfg["audio_cfg"])
    model = module.model
    with torch.no_grad():
        batch = {k: v.unsqueeze(0) for k, v in sample.items()}
        latent = model.encode_audio(batch, device="cpu")["embedding"]
        embedding = model.get_audio_embedding([sample])
        branch = model.audio_branch
        logmel = branch.logmel_extractor(branch.spectrogram_extractor(batch["waveform"]))[0, 0]
    return x, logmel.numpy(), latent[0].numpy(), embedding[0].numpy()


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(BIG, exist_ok=True)
    clips = {"battle_10s": load_clip("battle", 10), "frantic_4s": load_clip("frantic", 4)}
    for name, q in clips.items():
        np.save(os.path.join(OUT, f"{name}.npy"), q)
    for variant, amodel in VARIANTS.items():
        module = laion_clap.CLAP_Module(enable_fusion=False, amodel=amodel, device="cpu")
        used = assign(module.model, skip=lambda n: not imported(n), overrides=overrides(module.model))
        sd = module.model.state_dict()
        manifest = [{"index": i, "name": n, "shape": list(sd[n].shape), "scale": s, "offset": o} for (i, n, s, o) in used]
        with open(os.path.join(OUT, f"weights-{variant}.json"), "w") as f:
            json.dump({"tensors": manifest}, f, indent=1)
        path = os.path.join(BIG, f"{variant}-deterministic.pt")
        save_official(module, variant, path)
        print(variant, "checkpoint", path, os.path.getsize(path), "bytes;", len(manifest), "imported tensors,",
              sum(int(np.prod(m["shape"])) for m in manifest), "values")
        float32_embeddings = {}
        for name, q in clips.items():
            x = np.pad(int16_to_float32(q), (0, 480000 - len(q)))
            float32_embeddings[name] = module.get_audio_embedding_from_data(x[None])[0]
        del module
        # laion_clap's own loader on the official-layout file, then float64.
        module = laion_clap.CLAP_Module(enable_fusion=False, amodel=amodel, device="cpu")
        module.load_ckpt(path, verbose=False)
        module.model.double().eval()
        for name, q in clips.items():
            x, logmel, latent, embedding = reference(module, q)
            if name == "battle_10s":
                np.save(os.path.join(OUT, f"{name}_logmel.npy"), logmel.astype(np.float32))
            np.save(os.path.join(OUT, f"{variant}_{name}_latent.npy"), latent.astype(np.float32))
            np.save(os.path.join(OUT, f"{variant}_{name}_embedding.npy"), embedding.astype(np.float32))
            drift = np.abs(float32_embeddings[name] - embedding).max() / np.abs(embedding).max()
            print(variant, name, "logmel", logmel.shape, "%.1f..%.1f dB" % (logmel.min(), logmel.max()),
                  "latent std %.3f" % latent.std(), "|embedding| %.6f" % np.linalg.norm(embedding),
                  "float32 hook vs float64: %.2e relative" % drift)
        del module


if __name__ == "__main__":
    main()
