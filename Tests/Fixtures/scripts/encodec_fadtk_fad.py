"""fadtk's FAD on `encodec-emb`, reproduced step by step from fadtk 1.1.0's published code
(`fadtk/model_loader.py` EncodecEmbModel and ModelLoader.get_embedding, `fadtk/fad.py`
load_embeddings / calc_embd_statistics / calc_frechet_distance), with the model loader pointed
at deterministic weights, and compared with `fad`'s number on the same files and weights.

Not a fixture writer. Needs /tmp/ref (torch, encodec 0.1.1, torchaudio, scipy, soundfile), the
deterministic checkpoint that encodec_fixtures.py saves, a `fad` binary, and fadtk 1.1.0's
source (`pip download --no-deps fadtk==1.1.0`, unzipped into FADTK_DIR; hypy_utils installed):
    /tmp/ref/bin/python Tests/Fixtures/scripts/encodec_fadtk_fad.py FAD_BINARY FADTK_DIR

Steps:
1. Examples/reference and Examples/generated-close resampled once to 24 kHz mono 16-bit WAV
   in /tmp/encodec-fad/{reference,generated} (so neither side resamples: fadtk's torchaudio
   resampler and fad's differ).
2. fadtk as published: each file read as float32 int16/32768 (fadtk calls torchaudio.load,
   which needs torchcodec in this torchaudio: soundfile reads the same values),
   `convert_audio(wav, sr, 24000, 1)`, cut at 3 minutes, `model.encoder(wav)` -> [T, 128], cast
   to float16 (get_embedding stores float32 embeddings as float16) and saved one file per clip;
   the statistics by fadtk's own `calculate_embd_statistics_online` (fadtk/utils.py, loaded from
   FADTK_DIR: each file's float16 mean merged with its float64 scatter); the Fréchet distance
   with the eigenvalue square root as calc_frechet_distance does.
3. fadtk's steps without the float16 cast (float32 embeddings, float64 statistics of all rows).
4. `fad FAD_BINARY reference generated --model encodec-24k --json` (compared with 3) and
   `--preset fadtk --model encodec-24k` (compared with 2), with the weights imported from the
   same checkpoint into a temporary model folder.

Measured (2026-12-05, 12 + 12 files of 10 s, 9000 frames each, debug fad):
  fadtk as published (float16, its merge)  11.688806061
  fad --preset fadtk --model encodec-24k   11.688803453   2.2e-7 relative
  fadtk's steps, float32 embeddings        11.689364924
  fad --model encodec-24k                  11.689365221   2.5e-8 relative
fadtk's float16 storage moves its own number by 4.8e-5 relative; the preset stores and merges
as fadtk does.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf
import torch
import torchaudio
from scipy import linalg

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
CHECKPOINT = "/tmp/fad-torch/encodec_24khz-deterministic.th"
WORK = "/tmp/encodec-fad"
torch.set_num_threads(2)


def prepare():
    sets = {}
    for name, source in [("reference", "Examples/reference"), ("generated", "Examples/generated-close")]:
        folder = os.path.join(WORK, name)
        os.makedirs(folder, exist_ok=True)
        for file in sorted(os.listdir(os.path.join(ROOT, source))):
            wave, sr = sf.read(os.path.join(ROOT, source, file), dtype="float32", always_2d=True)
            wave = torchaudio.functional.resample(torch.from_numpy(wave.mean(axis=1)), sr, 24000).numpy()
            sf.write(os.path.join(folder, os.path.splitext(file)[0] + ".wav"), np.clip(wave, -1, 32767 / 32768), 24000, subtype="PCM_16")
        sets[name] = folder
    return sets


def fadtk_embeddings(model, folder, half):
    from encodec.utils import convert_audio
    frames = []
    for file in sorted(os.listdir(folder)):
        data, sr = sf.read(os.path.join(folder, file), dtype="float32", always_2d=True)
        wav = convert_audio(torch.from_numpy(data.T.copy()), sr, 24000, 1)
        if wav.shape[1] > 3 * 60 * 24000:
            wav = wav[:, :3 * 60 * 24000]
        with torch.no_grad():
            emb = model.encoder(wav.unsqueeze(0))[0].transpose(0, 1).numpy()
        frames.append(emb.astype(np.float16) if half else emb)
    return frames


def fadtk_statistics(frames, fadtk_dir):
    """fadtk's own `calculate_embd_statistics_online` (what `load_stats` runs) on the per-file
    arrays saved as fadtk caches them."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("fadtk_utils", os.path.join(fadtk_dir, "fadtk", "utils.py"))
    utils = importlib.util.module_from_spec(spec)
    sys.modules["fadtk_utils"] = utils
    spec.loader.exec_module(utils)
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i, f in enumerate(frames):
            files.append(os.path.join(folder, "%04d.npy" % i))
            np.save(files[-1], f)
        return utils.calculate_embd_statistics_online(files)


def frechet(mu1, cov1, mu2, cov2):
    diff = mu1 - mu2
    d, v = linalg.eig(cov1.dot(cov2))
    covmean = (v * np.lib.scimath.sqrt(d)) @ linalg.inv(v)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean))


def main():
    fad_binary, fadtk_dir = sys.argv[1], sys.argv[2]
    sets = prepare()
    from encodec import EncodecModel
    model = EncodecModel.encodec_model_24khz(pretrained=False)
    model.load_state_dict(torch.load(CHECKPOINT))
    model.set_target_bandwidth(12)
    model.eval()
    results = {}
    for half in (True, False):
        ref = fadtk_embeddings(model, sets["reference"], half)
        gen = fadtk_embeddings(model, sets["generated"], half)
        if half:  # fadtk as published: stored float16 files, merged by its own code
            results["fadtk_float16"] = frechet(*fadtk_statistics(ref, fadtk_dir), *fadtk_statistics(gen, fadtk_dir))
        else:  # fadtk's steps on float32 embeddings: what fad computes without the preset
            a, b = np.concatenate(ref), np.concatenate(gen)
            results["fadtk_float32"] = frechet(np.mean(a, axis=0), np.cov(a, rowvar=False), np.mean(b, axis=0), np.cov(b, rowvar=False))
    with tempfile.TemporaryDirectory() as models, tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, FAD_MODEL_DIR=models, FAD_CACHE_DIR=cache)
        subprocess.run([fad_binary, "models", "import", "encodec-24k", CHECKPOINT], env=env, check=True)
        out = subprocess.run([fad_binary, sets["reference"], sets["generated"], "--model", "encodec-24k", "--metrics", "fad",
                              "--json", "--quiet"], env=env, check=True, capture_output=True, text=True).stdout
        results["fad_json"] = json.loads(out)
        out = subprocess.run([fad_binary, sets["reference"], sets["generated"], "--preset", "fadtk", "--model", "encodec-24k",
                              "--json", "--quiet"], env=env, check=True, capture_output=True, text=True).stdout
        results["fad_preset_fadtk_json"] = json.loads(out)
    for key, fadtk in [("fad_json", "fadtk_float32"), ("fad_preset_fadtk_json", "fadtk_float16")]:
        value = results[key]["sets"][0]["fad"]["value"]
        print("%s %.9f against %s %.9f: %.2g relative" % (key, value, fadtk, results[fadtk], abs(value - results[fadtk]) / results[fadtk]))
    print(json.dumps({k: v for k, v in results.items() if not k.endswith("json")}, indent=1))


if __name__ == "__main__":
    main()
