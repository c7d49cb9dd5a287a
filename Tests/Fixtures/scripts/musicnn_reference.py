"""Reference outputs of musicnn's own TensorFlow graph code for the Swift port (FADModels).

Run in the reference venv from the repository root:

    TF_USE_LEGACY_KERAS=1 /tmp/ref/bin/python Tests/Fixtures/scripts/musicnn_reference.py

Inputs (log-mel [frames, 96], written as fixtures so that Swift feeds the SAME input):
  real.npy       12 s of Wesnoth's "battle.ogg" (GPL-2+), from 20 s, 16 kHz mono;
  synthetic.npy  a chirp + pulse train + white noise (seeded), ~7.5 s (not a whole number of
                 windows: the tail is dropped, as musicnn's extractor does); the 16 kHz samples
                 themselves are synthetic_audio.npy (float32), for an end-to-end test.
The log-mel is musicnn's TRAINING front end (see /work/shared/notes/MODELS.md): STFT n_fft 512,
hop 256, periodic Hann, centred with reflect padding, power; librosa Slaney mel 96 bands
0..8000 Hz; power rounded to float16 (as the training data was stored); log10(10000 x + 1).

Outputs, per model NAME (MTT_musicnn, MSD_musicnn, MTT_vgg, MSD_vgg) and input IN:
  NAME.IN.hopH.{logits,probabilities,penultimate,max_pool,mean_pool | pool5}.npy  [windows, dim]
windows start at 0, H, 2H, ... while a whole 187-frame window fits (H = 187, and H = 94 for
the real clip). The graph is musicnn.models.define_model restored from the wheel's checkpoints.
"""
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import librosa

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "musicnn")
WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/music/battle.ogg"
N_FRAMES = 187


def training_log_mel(audio):
    spectrum = np.abs(librosa.stft(audio.astype(np.float32), n_fft=512, hop_length=256,
                                   window="hann", center=True, pad_mode="reflect")) ** 2
    mel = librosa.filters.mel(sr=16000, n_fft=512, n_mels=96)  # Slaney scale + Slaney norm
    power = (mel @ spectrum).T.astype(np.float16).astype(np.float64)
    return np.log10(10000.0 * power + 1.0).astype(np.float32)


def inputs():
    real, _ = librosa.load(WESNOTH, sr=16000, mono=True, offset=20.0, duration=12.0)
    rng = np.random.default_rng(1234)
    t = np.arange(int(7.5 * 16000)) / 16000.0
    chirp = 0.3 * np.sin(2 * np.pi * (100 * t + 0.5 * 500 * t ** 2))
    pulses = 0.5 * (np.mod(t, 0.5) < 0.01)
    synthetic = chirp + pulses + 0.05 * rng.standard_normal(t.shape)
    np.save(os.path.join(OUT, "synthetic_audio.npy"), synthetic.astype(np.float32))
    return {"real": training_log_mel(real), "synthetic": training_log_mel(synthetic.astype(np.float32))}


def windows(log_mel, hop):
    starts = range(0, log_mel.shape[0] - N_FRAMES + 1, hop)
    return np.stack([log_mel[s:s + N_FRAMES] for s in starts])


def main():
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    import musicnn
    from musicnn import models

    os.makedirs(OUT, exist_ok=True)
    data = inputs()
    for name, log_mel in data.items():
        np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(log_mel))
    cases = [("real", 187), ("real", 94), ("synthetic", 187)]
    for model in ["MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg"]:
        tf.compat.v1.reset_default_graph()
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96])
        is_training = tf.compat.v1.placeholder(tf.bool)
        with tf.name_scope("model"):
            out = models.define_model(x, is_training, model, 50)
        logits = out[0]
        if "vgg" in model:
            named = {"pool5": tf.compat.v1.layers.flatten(out[5])}
        else:
            named = {"mean_pool": out[6], "max_pool": out[7], "penultimate": out[8]}
        named["logits"] = logits
        named["probabilities"] = tf.nn.sigmoid(logits)
        with tf.compat.v1.Session() as sess:
            tf.compat.v1.train.Saver().restore(sess, os.path.join(os.path.dirname(musicnn.__file__), model) + "/")
            for input_name, hop in cases:
                batch = windows(data[input_name], hop)
                values = sess.run(named, feed_dict={x: batch, is_training: False})
                for key, value in values.items():
                    np.save(os.path.join(OUT, "%s.%s.hop%d.%s.npy" % (model, input_name, hop, key)),
                            np.asarray(value, dtype=np.float32).reshape(batch.shape[0], -1))
                print(model, input_name, hop, batch.shape, {k: v.shape for k, v in values.items()},
                      file=sys.stderr)


if __name__ == "__main__":
    main()
