"""Deterministic stand-in weights for full-size reference models, reproducible bit for bit in Swift
(Tests/FADModelsTests/TorchDeterministicWeightsTests.swift).

The official VGGish/PANNs checkpoints (~300 MB each) cannot be committed or downloaded here, so the
parity fixtures run the reference model code with these weights instead. Element i of the t-th
tensor of the state dict (in state_dict() order) is

    x = lowbias32(uint32(i) ^ uint32(0x9E3779B9 * (t + 1)))          (wrapping 32-bit arithmetic)
    k = (x >> 8) - 2**23                                              (an integer in [-2**23, 2**23))
    w = float32(k) * float32(scale / 2**23) + float32(offset)         (two rounded float32 ops)

with (scale, offset) chosen from the tensor's role (role_parameters) so that activations stay in a
sane range: He-uniform for conv/linear weights, near-identity BatchNorm.
"""
import math

import numpy as np


def lowbias32(x):
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def role_parameters(name, shape, overrides=None):
    """(scale, offset) for a tensor; `overrides` maps a full key to its own pair."""
    if overrides and name in overrides:
        return overrides[name]
    if name.endswith("running_var"):
        return 0.5, 1.0          # [0.5, 1.5)
    if name.endswith("running_mean"):
        return 0.1, 0.0
    if len(shape) >= 2:          # conv OIHW / linear [out, in]: He-uniform, variance 2 / fan_in
        fan_in = int(np.prod(shape[1:]))
        return math.sqrt(6.0 / fan_in), 0.0
    if name.endswith("weight"):  # BatchNorm gamma
        return 0.25, 1.0
    return 0.05, 0.0             # biases, BatchNorm beta


def deterministic_tensor(index, name, shape, overrides=None):
    scale, offset = role_parameters(name, shape, overrides)
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n, dtype=np.uint64).astype(np.uint32)
    seed = np.uint32((0x9E3779B9 * (index + 1)) & 0xFFFFFFFF)
    x = lowbias32(i ^ seed)
    k = (x >> np.uint32(8)).astype(np.int64) - (1 << 23)
    s = np.float32(scale / 8388608.0)
    w = k.astype(np.float32) * s
    w = w + np.float32(offset)
    return w.astype(np.float32).reshape(shape)


def assign(model, skip=lambda name: False, overrides=None):
    """Overwrites every floating-point tensor of model.state_dict() (except `skip`ped ones) in
    state_dict order; returns the list of (index, name, scale, offset) used."""
    import torch
    used = []
    sd = model.state_dict()
    index = 0
    with torch.no_grad():
        for name, tensor in sd.items():
            if not tensor.dtype.is_floating_point or skip(name):
                continue
            w = deterministic_tensor(index, name, tuple(tensor.shape), overrides)
            tensor.copy_(torch.from_numpy(w))
            used.append((index, name) + role_parameters(name, tuple(tensor.shape), overrides))
            index += 1
    return used
