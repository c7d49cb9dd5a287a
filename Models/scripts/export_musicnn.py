"""Exports the four musicnn TF v1 checkpoints shipped in the `musicnn` 0.1.0 wheel to safetensors.

Run in the reference venv (tensorflow-cpu + musicnn installed --no-deps):

    /tmp/ref/bin/python Models/scripts/export_musicnn.py [--musicnn-dir DIR] [--out Models/musicnn]

Writes, per model NAME in MTT_musicnn, MSD_musicnn, MTT_vgg, MSD_vgg:
  Models/musicnn/NAME.safetensors   inference tensors only (Adam slots and beta powers skipped),
                                    float32, keys = TF variable names, layout exactly as TF stores
                                    it (conv kernels HWIO, dense kernels [in, out]);
  Models/musicnn/NAME.labels.txt    the 50 tags from musicnn/configuration.py, one per line.
The safetensors writer is a few lines of json + struct so that no extra package is needed; the
checkpoint is read with TensorFlow's own reader, so the values are bit-identical to what
musicnn's graph restores.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name], dtype="<f4")
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # keep the data 8-byte aligned, as the spec advises
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    import musicnn
    from musicnn import configuration
    import tensorflow as tf

    parser = argparse.ArgumentParser()
    parser.add_argument("--musicnn-dir", default=os.path.dirname(musicnn.__file__))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "musicnn"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    for name in ["MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg"]:
        prefix = os.path.join(args.musicnn_dir, name) + "/"
        reader = tf.compat.v1.train.NewCheckpointReader(prefix)
        tensors = {}
        for key in reader.get_variable_to_shape_map():
            if "Adam" in key or key in ("beta1_power", "beta2_power"):
                continue
            tensors[key] = reader.get_tensor(key)
        count = sum(int(np.prod(t.shape)) for t in tensors.values())
        metadata = {
            "source": "musicnn 0.1.0 (PyPI wheel), checkpoint %s" % name,
            "licence": "ISC, Copyright (c) Music Technology Group, Universitat Pompeu Fabra 2019",
            "layout": "tensorflow: conv kernels HWIO, dense kernels [in, out]",
            "parameters": str(count),
        }
        write_safetensors(os.path.join(args.out, name + ".safetensors"), tensors, metadata)
        labels = configuration.MTT_LABELS if name.startswith("MTT") else configuration.MSD_LABELS
        assert len(labels) == 50
        with open(os.path.join(args.out, name + ".labels.txt"), "w") as f:
            f.write("\n".join(labels) + "\n")
        print("%s: %d tensors, %d parameters" % (name, len(tensors), count), file=sys.stderr)


if __name__ == "__main__":
    main()
