"""Reference numbers for fad's toolkit presets (`fad REF GEN --preset NAME`).

Each function below transcribes the published code of a toolkit, read in its repository:

- audiocraft `audiocraft/metrics/kld.py` (`kl_divergence`, `KLDivergenceMetric.update/compute`,
  `PasstKLDivergenceMetric._get_label_distribution`): softmax per 10 s segment, the segments of
  every file stacked, KL(target || pred) = `F.kl_div((pred + 1e-6).log(), target)` summed over
  classes, averaged over all segment pairs (`kld_pq_sum / weight`), plus the reverse (`kld_qp`).
- stable-audio-metrics `src/passt_kld.py` (`return_probabilities(collect='mean')`, `passt_kld`):
  window logits averaged, softmax, `F.kl_div((ref_p + 1e-6).log(), eval_p, reduction='sum')`
  = KL(generated || reference), averaged over ids; the audio peak-normalised first with
  pyloudnorm `normalize.peak(audio, -1.0)`.
- fadtk `fadtk/model_loader.py` (`CLAPLaionModel._get_embedding`): the int16 round trip
  `int16_to_float32(float32_to_int16(audio))` and 10 s chunks from every second.
- av-benchmark `av_bench/extract.py`: PaSST on the first 10 s of each clip, zero-padded.

The inputs are synthetic and seeded (logits of 3 files with 3, 2 and 1 windows over 40 classes,
one unpaired file; float32 audio with samples beyond +-1), stored with the outputs in
Tests/Fixtures/presets/toolkit_conventions.json. The KL sums run in float64 torch.

Run: /tmp/ref/bin/python Tests/Fixtures/scripts/toolkit_conventions_reference.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "presets", "toolkit_conventions.json")

rng = np.random.default_rng(20261204)
CLASSES = 40
WINDOWS = {"a": 3, "b": 2, "c": 1}


def logits(windows):
    return (rng.standard_normal((windows, CLASSES)) * 3).astype(np.float32)


reference = {k: logits(n) for k, n in WINDOWS.items()}
generated = {k: logits(n) for k, n in WINDOWS.items()}
reference["only-in-reference"] = logits(2)
generated["only-in-generated"] = logits(1)
paired = sorted(set(reference) & set(generated))


# audiocraft/metrics/kld.py
def audiocraft_kl_divergence(pred_probs, target_probs, epsilon=1e-6):
    kl_div = torch.nn.functional.kl_div((pred_probs + epsilon).log(), target_probs, reduction="none")
    return kl_div.sum(-1)


def audiocraft_label_distribution(files):
    # _get_label_distribution: one softmax vector per segment, stacked over the batch's files.
    all_probs = []
    for window_logits in files:
        for segment in window_logits:
            probs = torch.softmax(torch.from_numpy(segment.astype(np.float64))[None], dim=-1).mean(dim=0)
            all_probs.append(probs)
    return torch.stack(all_probs, dim=0)


def audiocraft_kld(reference, generated, keys):
    preds_probs = audiocraft_label_distribution([generated[k] for k in keys])
    targets_probs = audiocraft_label_distribution([reference[k] for k in keys])
    assert preds_probs.shape == targets_probs.shape
    kld_scores = audiocraft_kl_divergence(preds_probs, targets_probs)
    kld_pq_sum = torch.sum(kld_scores)
    kld_qp_sum = torch.sum(audiocraft_kl_divergence(targets_probs, preds_probs))
    weight = float(kld_scores.size(0))
    kld_pq = kld_pq_sum.item() / weight
    kld_qp = kld_qp_sum.item() / weight
    return {"kld": kld_pq, "kld_pq": kld_pq, "kld_qp": kld_qp, "kld_both": kld_pq + kld_qp, "pairs": int(weight)}


# stable-audio-metrics src/passt_kld.py
def sam_probabilities(window_logits):
    probabilities = torch.stack([torch.squeeze(torch.from_numpy(w.astype(np.float64))) for w in window_logits])
    probabilities = torch.mean(probabilities, dim=0)
    return F.softmax(probabilities, dim=0).squeeze()


def sam_passt_kld(reference, generated, ids):
    ref_p = {i: sam_probabilities(reference[i]) for i in ids}
    passt_kl = 0
    count = 0
    for i in ids:
        eval_p = sam_probabilities(generated[i])
        passt_kl += F.kl_div((ref_p[i] + 1e-6).log(), eval_p, reduction="sum", log_target=False)
        count += 1
    value = passt_kl / count
    # The reverse direction, as fad's report carries it.
    reverse = sum(F.kl_div((sam_probabilities(generated[i]) + 1e-6).log(), ref_p[i], reduction="sum").item() for i in ids) / len(ids)
    return {"kl": float(value), "reverse": reverse, "pairs": count}


# pyloudnorm/normalize.py (stable-audio-metrics peak-normalises to -1 dB before PaSST)
def pyln_peak(data, target):
    current_peak = np.max(np.abs(data))
    gain = np.power(10.0, target / 20.0) / current_peak
    output = gain * data
    return output


# fadtk/model_loader.py CLAPLaionModel
def int16_to_float32(x):
    return (x / 32767.0).astype(np.float32)


def float32_to_int16(x):
    x = np.clip(x, a_min=-1., a_max=1.)
    return (x * 32767.).astype(np.int16)


audio = (rng.standard_normal(4000) * 0.4).astype(np.float32)
audio[17] = np.float32(1.7)
audio[18] = np.float32(-1.3)
audio[19] = np.float32(1.0)
audio[20] = np.float32(-1.0)
quiet = (audio * np.float32(0.01)).astype(np.float32)
peak_quiet = pyln_peak(quiet, -1.0)
assert peak_quiet.dtype == np.float32  # numpy 1.26: a Python float times a float32 array stays float32
# fadtk loads the file as int16 / 32768 (float64) before the round trip; fad's samples are float32.
round_trip = int16_to_float32(float32_to_int16(audio.astype(np.float64)))


# How each toolkit cuts a clip of n samples at 32 kHz into 10 s windows: (start, length) pairs.
SR = 32000


def fadtk_chunks(n, sr=SR):
    # CLAPLaionModel._get_embedding: chunks = [audio[:, i:i+chunk_size] for i in range(0, audio.shape[1], hop_size)]
    chunk_size, hop_size = 10 * sr, sr
    audio = np.arange(n)[None]
    return [[i, audio[:, i:i + chunk_size].shape[1]] for i in range(0, audio.shape[1], hop_size)]


def sam_windows(n, sr=SR, window_size=10, overlap=5):
    # return_probabilities: for i in range(0, max(step_size, len(audio) - step_size), step_size)
    audio = np.arange(n)
    step_size = int((window_size - overlap) * sr)
    return [[i, len(audio[i:i + int(window_size * sr)])] for i in range(0, max(step_size, len(audio) - step_size), step_size)]


def audiocraft_segments(n, sr=SR):
    # PasstKLDivergenceMetric._process_audio: torch.split(wav, max_input_frames), kept if > min_input_frames
    max_input_frames, min_input_frames = int(10 * sr), int(0.15 * sr)
    wav = torch.arange(n)
    out, start = [], 0
    for s in torch.split(wav, max_input_frames, dim=-1):
        if s.size(-1) > min_input_frames:
            out.append([start, s.size(-1)])
        start += s.size(-1)
    return out


def av_benchmark_window(n, sr=SR):
    # av_bench/extract.py: wav[..., :320000] if wav.size(-1) >= 320000 else F.pad(wav, (0, 320000 - wav.size(-1)))
    wav = torch.arange(n)
    if wav.size(-1) >= 320000:
        wav = wav[..., :320000]
    return [[0, min(n, wav.size(-1))]]


LENGTHS = [3200, 32000, 156800, 320000, 320000 + 4800, 320000 + 4801, 448000, 800000, 963200, 1024000]
windowing = {str(n): {"fadtk": fadtk_chunks(n), "stable_audio_metrics": sam_windows(n), "audiocraft": audiocraft_segments(n),
                  "av_benchmark": av_benchmark_window(n)}
             for n in LENGTHS}


def listing(d):
    return {k: v.astype(np.float64).tolist() for k, v in d.items()}


fixture = {
    "classes": CLASSES,
    "reference": listing(reference),
    "generated": listing(generated),
    "audiocraft": audiocraft_kld(reference, generated, paired),
    "stable_audio_metrics": sam_passt_kld(reference, generated, paired),
    "audio": audio.astype(np.float64).tolist(),
    "quiet": quiet.astype(np.float64).tolist(),
    "peak_minus_1db_of_quiet": peak_quiet.astype(np.float64).tolist(),
    "int16_round_trip": round_trip.astype(np.float64).tolist(),
    "windowing_sample_rate": SR,
    "windowing": windowing,
    "numpy": np.__version__,
    "torch": torch.__version__,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(fixture, f, indent=None, separators=(",", ":"))
print(OUT, fixture["audiocraft"], fixture["stable_audio_metrics"])
