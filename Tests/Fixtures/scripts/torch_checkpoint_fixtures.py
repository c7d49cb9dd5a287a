"""Writes small PyTorch checkpoints in both torch.save formats, plus the values torch itself
reads back from them, for the Swift checkpoint reader tests (Tests/FADTorchTests/TorchCheckpointTests).

Run with the torch venv:  /tmp/torch/bin/python Tests/Fixtures/scripts/torch_checkpoint_fixtures.py
Outputs (Tests/Fixtures/torch/):
  state_zip.pth, state_legacy.pth    a flat state dict (zip / legacy format)
  nested_zip.pth, nested_legacy.pth  {'iteration': 7, 'model': state_dict, 'extra': [...]} like PANNs
  deflated.pth                       state_zip.pth re-zipped with deflate (must be refused clearly)
  evil.pth                           a legacy-format pickle whose state dict value calls os.system
  expected.json                      names, dtypes, shapes and float values (as torch reads them)
  aisfx_checksums.json               with AISFX_CHECKPOINT=/path/to/aisfx/models/checkpoint.pth (aisfx
                                     0.1.2 on PyPI, CC BY 4.0, 25 MB, not committed): per-tensor shape,
                                     dtype, sum and sum of squares of its state dict, for the reader test
                                     on a real checkpoint (no weights are copied)
"""
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "torch")
os.makedirs(OUT, exist_ok=True)


def state_dict():
    g = torch.Generator().manual_seed(1234)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(4, 2, 3, 3, generator=g)                 # float32, contiguous
    sd["conv.bias"] = torch.randn(4, generator=g)
    base = torch.randn(5, 6, generator=g)
    sd["fc.weight"] = base.t()                                                # non-contiguous view
    sd["fc.bias"] = base[2, 1:5]                                              # shares base's storage, offset 13
    sd["bn.running_mean"] = torch.randn(3, generator=g).double()             # float64
    sd["bn.running_var"] = (torch.rand(3, generator=g) + 0.5).half()         # float16
    sd["bn.num_batches_tracked"] = torch.tensor(12345, dtype=torch.int64)    # int64 scalar
    sd["emb.weight"] = torch.randn(3, 2, generator=g).to(torch.bfloat16)
    sd["scalar"] = torch.tensor(2.5)                                          # 0-d float
    sd["empty"] = torch.zeros(0, 4)
    # torch's state_dict() carries this attribute; it is pickled through BUILD.
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    return sd


def main():
    sd = state_dict()
    torch.save(sd, os.path.join(OUT, "state_zip.pth"))
    torch.save(sd, os.path.join(OUT, "state_legacy.pth"), _use_new_zipfile_serialization=False)
    nested = {"iteration": 7, "model": sd, "extra": [1.5, "text", None, True, (1, 2), 2 ** 70]}
    torch.save(nested, os.path.join(OUT, "nested_zip.pth"))
    torch.save(nested, os.path.join(OUT, "nested_legacy.pth"), _use_new_zipfile_serialization=False)

    # Same archive, entries deflated: the reader must say so rather than misread.
    with zipfile.ZipFile(os.path.join(OUT, "state_zip.pth")) as src, \
            zipfile.ZipFile(os.path.join(OUT, "deflated.pth"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))

    # A legacy checkpoint whose state dict value is os.system('touch ...'): must never run.
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch /tmp/fad-evil-pickle-ran",))
    buf = io.BytesIO()
    for part in (0x1950a86a20f9469cfc6c, 1001,
                 {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}},
                 collections.OrderedDict([("w", Evil())]), []):
        pickle.dump(part, buf, protocol=2)
    with open(os.path.join(OUT, "evil.pth"), "wb") as f:
        f.write(buf.getvalue())

    # What torch reads back (checked against the tensors we saved).
    expected = []
    for fmt in ("state_zip.pth", "state_legacy.pth"):
        loaded = torch.load(os.path.join(OUT, fmt), weights_only=True)
        assert list(loaded.keys()) == list(sd.keys())
        for k in sd:
            assert torch.equal(loaded[k], sd[k]), (fmt, k)
    for k, v in sd.items():
        expected.append({"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                         "values": [float(x) for x in v.float().flatten().tolist()]})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"tensors": expected}, f, indent=1)
    aisfx = os.environ.get("AISFX_CHECKPOINT")
    if aisfx:
        # (state_dict, datasets dict); the dict holds numpy scalars, hence weights_only=False
        # on this known file from PyPI.
        weights, _ = torch.load(aisfx, map_location="cpu", weights_only=False)
        rows = []
        for k, v in weights.items():
            d = v.double()
            rows.append({"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                         "sum": float(d.sum()), "sumOfSquares": float((d * d).sum())})
        with open(os.path.join(OUT, "aisfx_checksums.json"), "w") as f:
            json.dump({"tensors": rows}, f, indent=1)
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
