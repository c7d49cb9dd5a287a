"""Writes Tests/Fixtures/audio/expected.json: what an independent decoder reads from each fixture.

Run with /tmp/ref/bin/python after audio_fixtures.sh. The reference is python-soundfile with its
own bundled libsndfile (1.2.2, a different build from the system 1.2.0 the Swift code links), so
the header facts and samples are checked against a second decoder, not against ourselves.
Per file: sample rate, channels, frames, the per-channel RMS, and 64 samples of every channel
from frame 2000 on (float32 as libsndfile scales them: int / 2^(bits-1)).
"""
import json
import pathlib

import numpy as np
import soundfile as sf

here = pathlib.Path(__file__).resolve().parent.parent / "audio"
out = {}
for path in sorted(here.iterdir()):
    if path.suffix in (".json", ".md"):
        continue
    info = sf.info(str(path))
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    out[path.name] = {
        "sampleRate": rate,
        "channels": data.shape[1],
        "frames": data.shape[0],
        "format": info.format,
        "subtype": info.subtype,
        "rms": [float(np.sqrt(np.mean(data[:, c].astype(np.float64) ** 2))) for c in range(data.shape[1])],
        "excerptStart": 2000,
        "excerpt": [[float(v) for v in data[2000:2064, c]] for c in range(data.shape[1])],
    }
(here / "expected.json").write_text(json.dumps(out, indent=1) + "\n")
print(json.dumps({k: (v["sampleRate"], v["channels"], v["frames"], v["subtype"]) for k, v in out.items()}, indent=1))

# Resampling reference for real music: the 44.1 kHz FLAC's channel mean resampled to 16 kHz by
# soxr (VHQ), librosa's resampler, independent of both libsamplerate and our polyphase filter.
import soxr  # noqa: E402  (ships with librosa)

data, rate = sf.read(str(here / "flac_s16_stereo_44k.flac"), dtype="float32", always_2d=True)
mono = data.mean(axis=1, dtype=np.float64)
np.save(here / "resampled_flac_16k_soxr.npy", soxr.resample(mono, rate, 16000, quality="VHQ").astype(np.float32))
