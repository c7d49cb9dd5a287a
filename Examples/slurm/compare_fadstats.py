#!/usr/bin/env python3
"""Compares two .fadstats files (standard library only, so it runs on any cluster node).

    python3 compare_fadstats.py A.fadstats B.fadstats [--tolerance 1e-12]

Prints the frame and file counts and the largest difference of the means and of the
covariances, each relative to the largest magnitude in B (entrywise relative differences are
meaningless for entries near zero). Exits 1 when a count differs, the model, layer, front end,
window hop or weights digest differ, or a relative difference exceeds the tolerance.
"""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"FADSTATS":
        sys.exit(f"{path}: not a .fadstats file")
    length = int.from_bytes(raw[8:16], "little")
    header = json.loads(raw[16:16 + length])
    d = header["dimension"]
    values = struct.unpack(f"<{d + d * d}d", raw[16 + length:])
    return header, values[:d], values[d:]


def relative(a, b):
    scale = max(abs(x) for x in b) or 1.0
    return max(abs(x - y) for x, y in zip(a, b)) / scale


def main():
    args = sys.argv[1:]
    tolerance = 1e-12
    if "--tolerance" in args:
        k = args.index("--tolerance")
        tolerance = float(args[k + 1])
        del args[k:k + 2]
    a_path, b_path = args
    ha, ma, ca = read(a_path)
    hb, mb, cb = read(b_path)
    ok = True
    for key in ("model", "layer", "frontEnd", "dimension", "count", "files"):
        if ha[key] != hb[key]:
            print(f"{key} differs: {ha[key]} vs {hb[key]}")
            ok = False
    for key in ("windowHop", "weightsDigest", "setDigest"):
        if ha["extra"].get(key) != hb["extra"].get(key):
            print(f"{key} differs: {ha['extra'].get(key)} vs {hb['extra'].get(key)}")
            ok = False
    dm, dc = relative(ma, mb), relative(ca, cb)
    exact = "bit-identical" if (ma, ca) == (mb, cb) else "not bit-identical"
    print(f"{a_path} vs {b_path}: {ha['files']} files, {ha['count']} frames, d = {ha['dimension']}; "
          f"max relative difference: mean {dm:.2e}, covariance {dc:.2e} (tolerance {tolerance:g}; {exact})")
    if dm > tolerance or dc > tolerance:
        ok = False
    sys.exit(0 if ok else 1)


main()
