"""End-to-end numbers of the toolkits themselves, for fad's `--preset` runs to match
(Tests/fadCLITests/ToolkitEndToEndTests.swift), on the same audio and the same deterministic
full-size weights:

  audiocraft            audiocraft's own `PasstKLDivergenceMetric` (audiocraft/metrics/kld.py,
                        imported from its source with its package `__init__`s left out) on
                        hear21passt 0.0.26's `get_basic_model(mode='logits')`
  stable-audio-metrics  its own `passt_kld` (src/passt_kld.py, imported from its source)
  fadtk                 its own `CLAPLaionModel('music')` (fadtk/model_loader.py) and its FAD
                        (`calculate_embd_statistics_online`, `calc_frechet_distance`,
                        fadtk/utils.py and fad.py), laion_clap 1.1.7's `CLAP_Module` underneath

Each runs as published, in float32. Needs /tmp/ref (torch, hear21passt, laion_clap, ...) plus
torchmetrics (audiocraft's metric base class) and pyloudnorm (stable-audio-metrics' peak
normalisation) on PYTHONPATH, the three toolkits' sources, and the deterministic checkpoints the
fixture scripts save:

    pip install --no-deps --target /tmp/e2e-pkgs torchmetrics lightning-utilities pyloudnorm future
    AUDIOCRAFT=<checkout or bare git dir of facebookresearch/audiocraft> \\
    STABLE_AUDIO_METRICS=<... Stability-AI/stable-audio-metrics> FADTK=<... microsoft/fadtk> \\
    PYTHONPATH=/tmp/e2e-pkgs /tmp/ref/bin/python Tests/Fixtures/scripts/toolkit_end_to_end.py

  /tmp/fad-torch/passt-deterministic.pt        from passt_fixtures.py
  /tmp/fad-torch/clap-laion-music-deterministic.pt   from clap_fixtures.py

What is stubbed, none of it on the numbers' path: `hypy_utils` (fadtk's progress bars, logger and
downloader: map, identity, logging, an error), `julius` (audiocraft's resampler, asked here only
for 32 kHz to 32 kHz, which julius returns unchanged; the stub checks the rates are equal), the
Hugging Face RoBERTa text branch of laion_clap (offline stand-in, as in clap_fixtures.py), `.cuda()`
(stable-audio-metrics assumes a GPU; identity on the CPU), hear21passt's download (the network is
built with `pretrained=False` and loads the deterministic state dict), and torch.stft's old
`return_complex=False` (the same numbers through the complex result, as in passt_fixtures.py).

fadtk reads audio through SoX/torchaudio into 16-bit WAVs at 48 kHz and then `load_wav`; the CLAP
clips here already are 16-bit mono 48 kHz WAVs, so `load_wav` reads them directly.

Clips (real music, cut from committed fixtures, so that fad's test writes the same files):
  PaSST: Tests/Fixtures/passt/music.npy (12.5 s, float32, 32 kHz), written as float32 WAVs;
         pairs of equal length (audiocraft compares segment i of a reference with segment i of
         its generated partner): 10.5 s (a full segment and a 0.5 s unpadded tail; windows at 0 and
         5 s for stable-audio-metrics, the second padded), 8.125 s (one short segment / one padded
         window), 1.2 s (at most 15 % of a window: unpadded in both toolkits).
  CLAP:  Tests/Fixtures/clap/battle_10s.npy and frantic_4s.npy (int16, 48 kHz), as 16-bit WAVs:
         3 reference and 3 generated clips of 2-5 s (fadtk windows every 1 s, each zero-padded).

Writes Tests/Fixtures/toolkits/expected.json.
"""
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import types

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import soundfile  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "toolkits")
PASST_CHECKPOINT = "/tmp/fad-torch/passt-deterministic.pt"
CLAP_CHECKPOINT = "/tmp/fad-torch/clap-laion-music-deterministic.pt"
torch.set_num_threads(2)

# Clips as [start, end) sample ranges of the fixture arrays; the Swift test reads them from the JSON.
PASST_PAIRS = {
    "a": {"reference": [0, 336000], "generated": [64000, 400000]},
    "b": {"reference": [0, 260000], "generated": [140000, 400000]},
    "c": {"reference": [200000, 238400], "generated": [300000, 338400]},
}
CLAP_CLIPS = {
    "reference": {"r1": ["battle_10s", 0, 240000], "r2": ["battle_10s", 240000, 480000], "r3": ["frantic_4s", 0, 96000]},
    "generated": {"g1": ["frantic_4s", 96000, 192000], "g2": ["battle_10s", 120000, 360000], "g3": ["frantic_4s", 0, 192000]},
}


def source(repo_variable, path):
    """A file of a toolkit: from a checkout, or from a bare git directory (`fetch`)."""
    repo = os.environ.get(repo_variable)
    if not repo:
        sys.exit(f"set {repo_variable} to a checkout (or bare git directory) of the toolkit")
    if os.path.exists(os.path.join(repo, path)):
        with open(os.path.join(repo, path)) as f:
            return f.read()
    return subprocess.run(["git", "--git-dir", repo, "show", f"HEAD:{path}"], check=True, capture_output=True, text=True).stdout


def materialise(root, repo_variable, files, packages):
    """Writes the toolkit's files under `root` with empty `__init__`s for `packages` (their real
    ones import the whole toolkit, which is not needed and not installed)."""
    for package in packages:
        os.makedirs(os.path.join(root, package), exist_ok=True)
        open(os.path.join(root, package, "__init__.py"), "w").close()
    for path in files:
        with open(os.path.join(root, path), "w") as f:
            f.write(source(repo_variable, path))


def stub(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    return module


def install_stubs():
    def resample_frac(x, old_sr, new_sr, *args, **kwargs):
        assert int(old_sr) == int(new_sr), "only the identity resampling is stubbed"
        return x
    stub("julius", resample_frac=resample_frac)
    stub("hypy_utils", write=lambda *a, **k: None)
    stub("hypy_utils.nlp_utils", substr_between=lambda s, a, b=None: s)
    stub("hypy_utils.tqdm_utils", pmap=lambda f, xs, **k: list(map(f, xs)), tmap=lambda f, xs, **k: list(map(f, xs)),
         tq=lambda xs, *a, **k: xs)
    stub("hypy_utils.logging_utils", setup_logger=lambda *a, **k: logging.getLogger("fadtk"))

    def no_download(*args, **kwargs):
        raise RuntimeError("no downloads: the deterministic checkpoint must be in place")
    stub("hypy_utils.downloader", download_file=no_download)

    # laion_clap's text branch, offline (clap_fixtures.py does the same).
    config = dict(vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
                  pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
    for tokenizer in (transformers.BertTokenizer, transformers.RobertaTokenizer, transformers.BartTokenizer):
        tokenizer.from_pretrained = classmethod(lambda cls, *a, **k: None)
    transformers.RobertaModel.from_pretrained = classmethod(
        lambda cls, *a, **k: transformers.RobertaModel(transformers.RobertaConfig(**config)))

    # hear21passt calls torch.stft(return_complex=False), which current torch refuses.
    original_stft = torch.stft

    def stft(*args, **kwargs):
        kwargs.pop("return_complex", None)
        return torch.view_as_real(original_stft(*args, return_complex=True, **kwargs))
    torch.stft = stft

    # stable-audio-metrics moves model and audio to the GPU; the CPU here.
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self

    # hear21passt.base.get_basic_model as published, without the download, with the weights.
    import hear21passt.base as base
    original_get_model = base.get_model_passt

    def get_model_passt(arch="passt_s_swa_p16_128_ap476", **kwargs):
        kwargs["pretrained"] = False
        net = original_get_model(arch=arch, **kwargs)
        net.load_state_dict(torch.load(PASST_CHECKPOINT, map_location="cpu"))
        return net
    base.get_model_passt = get_model_passt


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def write_passt_clips(directory):
    music = np.load(os.path.join(ROOT, "Tests/Fixtures/passt/music.npy"))
    for side in ("reference", "generated"):
        os.makedirs(os.path.join(directory, side), exist_ok=True)
        for name, pair in PASST_PAIRS.items():
            start, end = pair[side]
            soundfile.write(os.path.join(directory, side, name + ".wav"), music[start:end], 32000, subtype="FLOAT")


def audiocraft_kld(work, clips):
    materialise(work, "AUDIOCRAFT", ["audiocraft/data/audio_utils.py", "audiocraft/metrics/kld.py"],
                ["audiocraft", "audiocraft/data", "audiocraft/metrics"])
    sys.path.insert(0, work)
    from audiocraft.metrics.kld import PasstKLDivergenceMetric
    metric = PasstKLDivergenceMetric()
    for name in PASST_PAIRS:
        wav = {}
        for side in ("reference", "generated"):
            x, sr = soundfile.read(os.path.join(clips, side, name + ".wav"), dtype="float32")
            assert sr == 32000
            wav[side] = torch.from_numpy(x)[None, None]           # [B, C, T]
        n = wav["reference"].shape[-1]
        metric.update(preds=wav["generated"], targets=wav["reference"],
                      sizes=torch.tensor([n]), sample_rates=torch.tensor([32000]))
    result = metric.compute()
    result["segments"] = int(metric.weight.item())
    return result


def stable_audio_metrics_kl(work, clips):
    materialise(work, "STABLE_AUDIO_METRICS", ["src/passt_kld.py"], ["src"])
    module = load_module("sam_passt_kld", os.path.join(work, "src", "passt_kld.py"))
    cwd = os.getcwd()
    os.chdir(work)     # passt_kld saves the reference probabilities under ./load/
    try:
        kl = module.passt_kld(ids=sorted(PASST_PAIRS), eval_path=os.path.join(clips, "generated"),
                              ref_path=os.path.join(clips, "reference"), collect="mean")
    finally:
        os.chdir(cwd)
    return {"kl": float(kl), "pairs": len(PASST_PAIRS)}


def fadtk_fad(work, clips):
    materialise(work, "FADTK", ["fadtk/model_loader.py", "fadtk/utils.py", "fadtk/fad.py"], ["fadtk"])
    # CLAPLaionModel looks for the official file name beside its source.
    checkpoints = os.path.join(work, "fadtk", ".model-checkpoints")
    os.makedirs(checkpoints, exist_ok=True)
    os.symlink(CLAP_CHECKPOINT, os.path.join(checkpoints, "music_audioset_epoch_15_esc_90.14.pt"))
    sys.path.insert(0, work)
    from fadtk.model_loader import CLAPLaionModel
    from fadtk.utils import calculate_embd_statistics_online
    from fadtk.fad import calc_frechet_distance
    ml = CLAPLaionModel("music")
    ml.load_model()
    seen, get = [], ml._get_embedding
    ml._get_embedding = lambda audio: seen.append(get(audio).detach().numpy().copy()) or torch.from_numpy(seen[-1])
    arrays = {name: np.load(os.path.join(ROOT, f"Tests/Fixtures/clap/{name}.npy")) for name in ("battle_10s", "frantic_4s")}
    stats, rows, float32_rows = {}, {}, {}
    for side, files in CLAP_CLIPS.items():
        os.makedirs(os.path.join(clips, side), exist_ok=True)
        embedding_dir = os.path.join(clips, side, "embeddings", "clap-laion-music")
        os.makedirs(embedding_dir, exist_ok=True)
        paths, side_rows, side_rows32 = [], [], []
        for name, (array, start, end) in sorted(files.items()):
            wav = os.path.join(clips, side, name + ".wav")
            soundfile.write(wav, arrays[array][start:end], 48000, subtype="PCM_16")
            emb = ml.get_embedding(ml.load_wav(wav))                   # what fadtk caches: float16
            emb32 = seen.pop()                                         # its float32 before that
            path = os.path.join(embedding_dir, name + ".npy")
            np.save(path, emb)
            paths.append(path)
            side_rows.append(emb)
            side_rows32.append(emb32)
        stats[side] = calculate_embd_statistics_online(paths)
        rows[side] = np.concatenate(side_rows)
        float32_rows[side] = np.concatenate(side_rows32)
    fad = calc_frechet_distance(*stats["reference"], *stats["generated"])

    def plain(x, y):
        """FD with plain float64 means and covariances of all rows (no per-file float16 means)."""
        x, y = x.astype(np.float64), y.astype(np.float64)
        return float(calc_frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)))
    return {"fad": float(fad), "rows": {k: int(v.shape[0]) for k, v in rows.items()},
            "fad_float16_plain_statistics": plain(rows["reference"], rows["generated"]),
            "fad_float32_embeddings": plain(float32_rows["reference"], float32_rows["generated"]),
            "clips": CLAP_CLIPS}


def main():
    install_stubs()
    expected = {}
    with tempfile.TemporaryDirectory() as work:
        clips = os.path.join(work, "passt-clips")
        write_passt_clips(clips)
        only = sys.argv[1:] or ["audiocraft", "stable-audio-metrics", "fadtk"]
        if "audiocraft" in only:
            expected["audiocraft"] = audiocraft_kld(work, clips)
            print("audiocraft", expected["audiocraft"], flush=True)
        if "stable-audio-metrics" in only:
            expected["stable_audio_metrics"] = stable_audio_metrics_kl(work, clips)
            print("stable-audio-metrics", expected["stable_audio_metrics"], flush=True)
        if "fadtk" in only:
            expected["fadtk"] = fadtk_fad(work, os.path.join(work, "clap-clips"))
            print("fadtk", expected["fadtk"], flush=True)
    expected["passt_pairs"] = PASST_PAIRS
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "expected.json")
    previous = json.load(open(path)) if os.path.exists(path) else {}
    previous.update(expected)
    with open(path, "w") as f:
        json.dump(previous, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
