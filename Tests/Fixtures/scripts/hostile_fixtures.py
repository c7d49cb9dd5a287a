"""Writes crafted hostile PyTorch checkpoints (Tests/Fixtures/hostile/) and the fuzzing seed corpus
(Tests/Fuzz/Corpus/<target>/): small valid files and files broken in the ways issue 11 lists.

Run with the torch venv:  /tmp/ref/bin/python Tests/Fixtures/scripts/hostile_fixtures.py
The checkpoints are built from pickle opcodes and zip records written here (torch.save cannot write
a lying shape or a duplicate zip entry); torch is imported only so that pickle names its classes
(torch.FloatStorage, torch._utils._rebuild_tensor_v2) exactly as torch.save does. Each file's
purpose is in HOSTILE below; the Swift tests (HostileInputTests, TorchCheckpointTests) say what
fad must answer for each.
"""
import collections
import io
import json
import os
import pickle
import struct
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
HOSTILE = os.path.join(ROOT, "Tests", "Fixtures", "hostile")
CORPUS = os.path.join(ROOT, "Tests", "Fuzz", "Corpus")


class Storage:
    def __init__(self, key, count):
        self.key, self.count = key, count


class View:
    """Pickles as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class Pickler(pickle.Pickler):
    legacy = False

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            # The legacy format adds a view_metadata field (None).
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.count) + ((None,) if self.legacy else ())
        return None


def dumps(obj, legacy=False):
    buffer = io.BytesIO()
    pickler = Pickler(buffer, protocol=2)
    pickler.legacy = legacy
    pickler.dump(obj)
    return buffer.getvalue()


def zip_file(entries, central_names=None, offsets=None):
    """A STORED zip of (name, data[, crc]) entries. `central_names`/`offsets` override what the
    central directory says (to make names disagree or entries overlap)."""
    out = bytearray()
    records = []
    for i, entry in enumerate(entries):
        name, data = entry[0].encode(), entry[1]
        crc = entry[2] if len(entry) > 2 else zlib.crc32(data)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0)
        out += name + data
        cname = central_names[i].encode() if central_names else name
        coffset = offsets[i] if offsets else offset
        records.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                                   len(cname), 0, 0, 0, 0, 0, coffset) + cname)
    directory = len(out)
    for r in records:
        out += r
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records), len(out) - directory, directory, 0)
    return bytes(out)


def checkpoint_zip(state, storages, **kw):
    entries = [("archive/data.pkl", dumps(state)), ("archive/byteorder", b"little")]
    entries += [(f"archive/data/{k}", v) for k, v in storages.items()]
    entries += [("archive/version", b"3\n")]
    return zip_file(entries, **kw)


def checkpoint_legacy(state, storages, key_list=None):
    out = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    out += dumps(state, legacy=True)
    keys = list(storages) if key_list is None else key_list
    out += pickle.dumps(keys, protocol=2)
    for k in keys:
        data = storages.get(k, b"")
        out += struct.pack("<q", len(data) // 4) + data
    return out


def floats(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n).astype("<f4").tobytes()


def tensors(**views):
    return collections.OrderedDict(views)


def main():
    os.makedirs(HOSTILE, exist_ok=True)
    s0 = Storage("0", 6)
    good = tensors(**{"fc.weight": View(s0, 0, [2, 3], [3, 1]), "fc.bias": View(s0, 4, [2], [1])})
    store = {"0": floats(6)}
    files = {
        # valid, for contrast
        "good_zip.pth": checkpoint_zip(good, store),
        "good_legacy.pth": checkpoint_legacy(good, store),
        # a shape whose product overflows Int64 (3 * 3074457345618258603 > 2^63)
        "overflow_shape.pth": checkpoint_zip(tensors(w=View(s0, 0, [3, 3074457345618258603], [1, 1])), store),
        # a stride whose extent wraps around: offset 2 + (2-1) * (2^63-2) = 2^63
        "wrapped_stride.pth": checkpoint_zip(tensors(w=View(s0, 2, [2, 1], [2**63 - 2, 1])), store),
        # 4 TiB asked for by a zero-stride view of 2^40 elements
        "broadcast_4tib.pth": checkpoint_zip(tensors(w=View(s0, 0, [2**40], [0])), store),
        # a storage that claims 2^61 float32 elements (2^63 bytes)
        "huge_storage.pth": checkpoint_zip(tensors(w=View(Storage("0", 2**61), 0, [2], [1])), store),
        "huge_storage_legacy.pth": checkpoint_legacy(tensors(w=View(Storage("0", 2**61), 0, [2], [1])), store),
        # a view past the end of its storage
        "view_past_storage.pth": checkpoint_zip(tensors(w=View(s0, 4, [4], [1])), store),
        # two entries named archive/data/0: which storage is read?
        "duplicate_entry.pth": zip_file([("archive/data.pkl", dumps(good)), ("archive/byteorder", b"little"),
                                         ("archive/data/0", store["0"]), ("archive/data/0", floats(6, 1))]),
        # storage bytes that do not match their CRC-32
        "bad_crc.pth": zip_file([("archive/data.pkl", dumps(good)), ("archive/byteorder", b"little"),
                                 ("archive/data/0", store["0"], zlib.crc32(store["0"]) ^ 1)]),
        # the central directory names an entry differently from its local header
        "name_mismatch.pth": checkpoint_zip(good, store, central_names=["archive/data.pkl", "archive/byteorder",
                                                                        "archive/data/1", "archive/version"]),
        # legacy: the storage key listed twice (the second copy would overwrite the first)
        "legacy_duplicate_key.pth": checkpoint_legacy(good, store, key_list=["0", "0"]),
        # legacy: storage cut short
        "legacy_truncated.pth": checkpoint_legacy(good, store)[:-9],
    }
    # Two entries sharing bytes: the second entry's local header sits inside the first's data.
    inner = zip_file([("archive/data/0", store["0"])])
    inner_local = inner[: 30 + len("archive/data/0") + len(store["0"])]
    pkl = dumps(good)
    overlap = zip_file([("archive/data.pkl", pkl), ("archive/byteorder", b"little"), ("archive/pad", inner_local)])
    pad_data_start = overlap.index(b"archive/pad") + len("archive/pad")
    # Re-point a 4th central record at the local header hidden inside archive/pad's data.
    overlap = zip_file([("archive/data.pkl", pkl), ("archive/byteorder", b"little"), ("archive/pad", inner_local),
                        ("archive/data/0", store["0"])],
                       offsets=[0, overlap.index(b"archive/byteorder") - 30, overlap.index(b"archive/pad") - 30,
                                pad_data_start])
    files["overlapping_entries.pth"] = overlap
    for name, data in files.items():
        with open(os.path.join(HOSTILE, name), "wb") as f:
            f.write(data)

    seeds = collections.defaultdict(dict)
    for name, data in files.items():
        seeds["pickle" if "legacy" in name else "torch-zip"][name] = data
    for name in ["state_zip.pth", "nested_zip.pth", "deflated.pth"]:
        seeds["torch-zip"][name] = open(os.path.join(ROOT, "Tests", "Fixtures", "torch", name), "rb").read()
    for name in ["state_legacy.pth", "nested_legacy.pth", "evil.pth"]:
        seeds["pickle"][name] = open(os.path.join(ROOT, "Tests", "Fixtures", "torch", name), "rb").read()
    seeds["pickle"]["deep.pkl"] = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + b"\x80\x02" + b"]" + b"\x85" * 200 + b"."

    def npy(array):
        buffer = io.BytesIO()
        np.save(buffer, array)
        return buffer.getvalue()

    def npy_header(shape, descr="<f4", body=b""):
        header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
        header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body

    rng = np.random.default_rng(1)
    npys = {
        "f4.npy": npy(rng.standard_normal((3, 4)).astype("<f4")),
        "f2.npy": npy(rng.standard_normal((2, 5)).astype("<f2")),
        "f8_1d.npy": npy(rng.standard_normal(7)),
        "i8.npy": npy(np.arange(6, dtype="<i8").reshape(2, 3)),
        "bool.npy": npy(np.array([True, False])),
        "scalar.npy": npy(np.float32(1.5)),
        "nan.npy": npy(np.array([[1.0, np.nan]], dtype="<f4")),
        "zero_columns.npy": npy(np.zeros((5, 0), dtype="<f4")),
        "zero_rows.npy": npy(np.zeros((0, 4), dtype="<f4")),
        "overflow_shape.npy": npy_header("(3, 3074457345618258603)", body=b"\0" * 16),
        "huge_rows.npy": npy_header("(4611686018427387905, 4)", body=b"\0" * 16),
        "truncated.npy": npy(rng.standard_normal((4, 4)).astype("<f4"))[:-5],
        "big_endian.npy": npy_header("(1, 2)", descr=">f4", body=b"\0" * 8),
        "negative.npy": npy_header("(-1, 2)", body=b"\0" * 8),
    }
    seeds["npy"] = npys
    seeds["cache-entry"] = {k: v for k, v in npys.items() if k in ["f4.npy", "nan.npy", "zero_columns.npy", "f8_1d.npy", "truncated.npy"]}

    def safetensors(header, body):
        raw = json.dumps(header).encode()
        return struct.pack("<Q", len(raw)) + raw + body
    seeds["safetensors"] = {
        "valid.safetensors": safetensors({"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                                          "__metadata__": {"format": "fad"}}, floats(4)),
        "f16_bf16.safetensors": safetensors({"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
                                             "b": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}}, b"\1" * 8),
        "overflow.safetensors": safetensors({"a": {"dtype": "F32", "shape": [3074457345618258603, 3], "data_offsets": [0, 16]}}, floats(4)),
        "overlap.safetensors": safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, floats(3)),
        "past_end.safetensors": safetensors({"a": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}, floats(4)),
        "huge_header.safetensors": struct.pack("<Q", 2**62) + b"{}",
    }

    def fadstats(mean, cov, count=10, corrupt_lower=False):
        d = len(mean)
        cov = np.array(cov, dtype="<f8").reshape(d, d)
        if corrupt_lower:
            cov = cov.copy()
            cov[np.tril_indices(d, -1)] = 12345.0
        payload = np.asarray(mean, dtype="<f8").tobytes() + cov.tobytes()
        h = 0xCBF29CE484222325
        for b in payload:
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        header = json.dumps({"checksum": "fnv1a64:%016x" % h, "count": count, "dimension": d, "dtype": "<f8",
                             "extra": {}, "files": 1, "format": "fad-gaussian-statistics", "frontEnd": "x",
                             "layer": "l", "model": "m", "version": 1}, sort_keys=True).encode()
        return b"FADSTATS" + struct.pack("<Q", len(header)) + header + payload
    cov = [[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 3.0]]
    seeds["fadstats"] = {
        "valid.fadstats": fadstats([0.1, 0.2, 0.3], cov),
        "garbage_lower.fadstats": fadstats([0.1, 0.2, 0.3], cov, corrupt_lower=True),
        "huge_count.fadstats": fadstats([0.1, 0.2, 0.3], cov, count=2**62),
        "truncated.fadstats": fadstats([0.1, 0.2, 0.3], cov)[:-3],
    }
    seeds["path-list"] = {
        "list.txt": b"# reference set\na.wav\n  b/c.flac  \n\n/abs/d.npy\n",
        "binary.txt": b"a.wav\0b.wav\n",
        "crlf.txt": b"a.wav\r\nb.wav\r\n",
        "latin1.txt": b"caf\xe9.wav\n",
    }
    for target, items in seeds.items():
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in items.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
