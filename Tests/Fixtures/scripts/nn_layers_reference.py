"""Reference outputs of PyTorch's own layers for FADNN's new layers (Tests/FADNNTests/TorchLayerTests.swift).

Each case builds a torch module (or calls torch.nn.functional) with seeded random weights, runs it
in float64 on a seeded random input and writes one safetensors file under Tests/Fixtures/nn/layers/:

- the module's state_dict under its own PyTorch names and layouts (Conv1d [out, in/groups, k],
  Linear [out, in], LSTM weight_ih_l0 ..., weight_norm's weight_g/weight_v or
  parametrizations.weight.original0/1), stored as F32 because the Swift layers run in float32 and
  the reference must run on exactly the same values (weights and inputs are rounded to float32
  first, then the float64 module computes on them);
- `input` and `output` in the layout the torch module takes and returns ([N, C, T] for
  convolutions and norms, [T, N, C] for nn.LSTM, [N, L, D] for attention); `output` is F64;
- extra tensors a case needs (`bias` of attention, `mask`), and the layer's configuration as
  string metadata.

Run:  PYTHONPATH=/tmp/layers-pylib /tmp/ref/bin/python Tests/Fixtures/scripts/nn_layers_reference.py
with torch (2.15 here) and encodec 0.1.1 (`pip install --no-deps --target /tmp/layers-pylib encodec`):
EnCodec's SConv1d and SLSTM are used as published (encodec imports torchaudio only for audio I/O,
which these cases never call, so an empty stand-in module is registered).
"""
import json
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.modules.setdefault("torchaudio", types.ModuleType("torchaudio"))
from encodec.modules import SConv1d, SLSTM  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nn", "layers")
torch.set_default_dtype(torch.float64)


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        dtype = {np.float32: "F32", np.float64: "F64"}[array.dtype.type]
        data = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def f32(t):
    """Rounds to float32 values (kept in a float64 tensor)."""
    return t.float().double()


def randomise(module, gen, scale=0.5, positive=()):
    """Seeded float32-representable parameters; names in `positive` get |x| + 0.5 (norm gains)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            v = torch.randn(p.shape, generator=gen) * scale
            if any(name.endswith(s) for s in positive):
                v = v.abs() + 0.5
            p.copy_(f32(v))
    return module


def save(name, module_or_state, x, y, metadata, extra=None):
    tensors = {}
    state = module_or_state.state_dict() if isinstance(module_or_state, nn.Module) else module_or_state
    for k, v in state.items():
        tensors[k] = v.detach().numpy().astype(np.float32)
    for k, v in (extra or {}).items():
        tensors[k] = v.detach().numpy().astype(np.float32)
    tensors["input"] = x.detach().numpy().astype(np.float32)
    tensors["output"] = y.detach().numpy().astype(np.float64)
    write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors, metadata)


def conv1d_cases(gen):
    # (name, N, Cin, Cout, T, kernel, stride, dilation, groups, padding, padding_mode)
    cases = [
        ("conv1d_basic", 2, 3, 5, 17, 3, 1, 1, 1, 1, "zeros"),
        ("conv1d_stride_dilation", 2, 4, 6, 40, 5, 2, 2, 1, 3, "zeros"),
        ("conv1d_grouped", 1, 8, 12, 31, 4, 3, 1, 4, 2, "zeros"),
        ("conv1d_depthwise", 2, 6, 6, 20, 7, 1, 1, 6, 3, "zeros"),
        ("conv1d_depthwise_multiplier", 1, 4, 8, 15, 3, 2, 1, 4, 0, "zeros"),
        ("conv1d_reflect", 2, 5, 4, 12, 7, 1, 1, 1, 3, "reflect"),
        ("conv1d_pointwise", 2, 7, 9, 11, 1, 1, 1, 1, 0, "zeros"),
        ("conv1d_single_input_channel", 1, 1, 16, 50, 10, 5, 1, 1, 0, "zeros"),
    ]
    for name, n, cin, cout, t, k, s, d, g, p, mode in cases:
        conv = randomise(nn.Conv1d(cin, cout, k, stride=s, dilation=d, groups=g, padding=p, padding_mode=mode), gen)
        x = f32(torch.randn(n, cin, t, generator=gen))
        save(name, conv, x, conv(x), dict(stride=s, dilation=d, groups=g, padding=p, padding_mode=mode))


def sconv_cases(gen):
    # EnCodec's SConv1d: causal or asymmetric padding with the extra right padding that makes the
    # last window full, reflect padding (zero-extended first on inputs shorter than the padding),
    # weight norm (weight_g [out, 1, 1], weight_v) or GroupNorm(1, C) after the convolution.
    # (name, N, Cin, Cout, T, kernel, stride, dilation, causal, norm)
    cases = [
        ("sconv_causal_weightnorm", 2, 1, 8, 33, 7, 1, 1, True, "weight_norm"),
        ("sconv_causal_downsample", 1, 4, 8, 29, 4, 2, 1, True, "weight_norm"),
        ("sconv_causal_dilated", 2, 6, 3, 21, 3, 1, 3, True, "weight_norm"),
        ("sconv_causal_short_input", 1, 3, 4, 3, 7, 1, 1, True, "weight_norm"),
        ("sconv_groupnorm_downsample", 2, 4, 6, 37, 8, 4, 1, False, "time_group_norm"),
        ("sconv_noncausal_odd_stride", 1, 3, 5, 26, 10, 5, 1, False, "weight_norm"),
    ]
    for name, n, cin, cout, t, k, s, d, causal, norm in cases:
        conv = SConv1d(cin, cout, k, stride=s, dilation=d, causal=causal, norm=norm, pad_mode="reflect").double()
        randomise(conv, gen, positive=("norm.weight", "weight_g"))
        x = f32(torch.randn(n, cin, t, generator=gen))
        save(name, conv, x, conv(x), dict(stride=s, dilation=d, causal=int(causal), norm=norm))


def activation_cases(gen):
    x = f32(torch.randn(2, 5, 37, generator=gen) * 3)
    save("elu_alpha1", {}, x, nn.ELU()(x), dict(alpha=1.0))
    save("elu_alpha0.5", {}, x, nn.ELU(alpha=0.5)(x), dict(alpha=0.5))
    save("gelu_exact", {}, x, nn.GELU()(x), dict(approximate="none"))
    save("gelu_tanh", {}, x, nn.GELU(approximate="tanh")(x), dict(approximate="tanh"))


def norm_cases(gen):
    for name, shape, eps, affine in [("layernorm_affine", (2, 7, 16), 1e-5, True),
                                     ("layernorm_eps6_odd", (3, 5, 33), 1e-6, True),
                                     ("layernorm_plain", (1, 4, 8), 1e-5, False)]:
        ln = nn.LayerNorm(shape[-1], eps=eps, elementwise_affine=affine)
        randomise(ln, gen, positive=("weight",))
        x = f32(torch.randn(*shape, generator=gen) * 2 + 3)
        save(name, ln, x, ln(x), dict(eps=eps, affine=int(affine)))
    for name, groups, channels, t, eps in [("groupnorm_one_group", 1, 8, 13, 1e-5),
                                           ("groupnorm_four_groups", 4, 8, 10, 1e-5),
                                           ("groupnorm_per_channel", 8, 8, 9, 1e-6)]:
        gn = randomise(nn.GroupNorm(groups, channels, eps=eps), gen, positive=("weight",))
        x = f32(torch.randn(2, channels, t, generator=gen) * 2 - 1)
        save(name, gn, x, gn(x), dict(groups=groups, eps=eps))


def lstm_cases(gen):
    lstm = randomise(nn.LSTM(6, 5, num_layers=2), gen)
    x = f32(torch.randn(11, 3, 6, generator=gen))
    save("lstm_two_layers", lstm, x, lstm(x)[0], dict(layers=2, hidden=5))
    lstm = randomise(nn.LSTM(4, 7, num_layers=1), gen)
    x = f32(torch.randn(8, 1, 4, generator=gen))
    save("lstm_one_layer", lstm, x, lstm(x)[0], dict(layers=1, hidden=7))
    slstm = randomise(SLSTM(8, num_layers=2), gen)
    x = f32(torch.randn(2, 8, 9, generator=gen))  # convolutional layout [N, C, T]
    save("slstm_skip", slstm, x, slstm(x), dict(layers=2, hidden=8))


def attention_cases(gen):
    # torch.nn.MultiheadAttention: packed in_proj_weight [3D, D], out_proj.
    mha = randomise(nn.MultiheadAttention(16, 4, batch_first=True), gen)
    x = f32(torch.randn(2, 7, 16, generator=gen))
    save("mha_packed", mha, x, mha(x, x, x, need_weights=False)[0], dict(heads=4))
    mask = torch.triu(torch.full((7, 7), float("-inf")), diagonal=1)
    save("mha_packed_causal_mask", mha, x, mha(x, x, x, attn_mask=mask, need_weights=False)[0], dict(heads=4),
         extra={"mask": mask})

    # Swin: qkv Linear(D, 3D), a relative position bias [heads, L, L] and a window mask
    # [windows, L, L] (0 or -100), item b uses mask[b % windows].
    d, heads, length, windows, batch = 12, 3, 9, 4, 2
    state = {"qkv.weight": f32(torch.randn(3 * d, d, generator=gen) * 0.3), "qkv.bias": f32(torch.randn(3 * d, generator=gen) * 0.3),
             "proj.weight": f32(torch.randn(d, d, generator=gen) * 0.3), "proj.bias": f32(torch.randn(d, generator=gen) * 0.3)}
    bias = f32(torch.randn(heads, length, length, generator=gen))
    mask = torch.where(torch.rand(windows, length, length, generator=gen) < 0.3, -100.0, 0.0)
    x = f32(torch.randn(batch * windows, length, d, generator=gen))
    qkv = F.linear(x, state["qkv.weight"], state["qkv.bias"]).reshape(batch * windows, length, 3, heads, d // heads)
    q, k, v = qkv.permute(2, 0, 3, 1, 4)
    additive = bias.unsqueeze(0) + mask.repeat(batch, 1, 1).unsqueeze(1)
    o = F.scaled_dot_product_attention(q, k, v, attn_mask=additive)
    y = F.linear(o.transpose(1, 2).reshape(batch * windows, length, d), state["proj.weight"], state["proj.bias"])
    save("attention_swin_bias_mask", state, x, y, dict(heads=heads, windows=windows),
         extra={"relative_position_bias": bias, "mask": mask})

    # HuBERT: separate q_proj, k_proj, v_proj, out_proj (q scaled by d_head^-0.5 after its bias).
    d, heads = 16, 2
    state = {}
    for p in ["q_proj", "k_proj", "v_proj", "out_proj"]:
        state[p + ".weight"] = f32(torch.randn(d, d, generator=gen) * 0.3)
        state[p + ".bias"] = f32(torch.randn(d, generator=gen) * 0.3)
    x = f32(torch.randn(2, 9, d, generator=gen))
    def split(t):
        return t.reshape(2, 9, heads, d // heads).transpose(1, 2)
    q = split(F.linear(x, state["q_proj.weight"], state["q_proj.bias"]) * (d // heads) ** -0.5)
    k = split(F.linear(x, state["k_proj.weight"], state["k_proj.bias"]))
    v = split(F.linear(x, state["v_proj.weight"], state["v_proj.bias"]))
    o = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v
    y = F.linear(o.transpose(1, 2).reshape(2, 9, d), state["out_proj.weight"], state["out_proj.bias"])
    save("attention_separate_projections", state, x, y, dict(heads=heads))

    # Long enough for several query blocks (and a partial one).
    mha = randomise(nn.MultiheadAttention(8, 2, batch_first=True), gen, scale=0.2)
    x = f32(torch.randn(1, 300, 8, generator=gen))
    save("mha_long", mha, x, mha(x, x, x, need_weights=False)[0], dict(heads=2))


def positional_cases(gen):
    # ViT: a learned table [1, P, D] added to the first L tokens.
    table = f32(torch.randn(1, 10, 8, generator=gen))
    x = f32(torch.randn(2, 6, 8, generator=gen))
    save("posemb_learned", {"pos_embed": table}, x, x + table[:, :6], dict())
    # PaSST: frequency [1, D, F, 1] and time [1, D, 1, Tmax] tables on patches [N, D, F, T], cut to
    # T, then flattened to tokens (f major).
    d, fr, tmax, t = 6, 3, 9, 5
    freq = f32(torch.randn(1, d, fr, 1, generator=gen))
    time = f32(torch.randn(1, d, 1, tmax, generator=gen))
    x = f32(torch.randn(2, d, fr, t, generator=gen))
    y = (x + freq + time[:, :, :, :t]).flatten(2).transpose(1, 2)
    save("posemb_frequency_time", {"freq_new_pos_embed": freq, "time_new_pos_embed": time}, x, y,
         dict(frequencies=fr, times=t))
    # HuBERT: grouped Conv1d with padding k // 2, weight norm over the kernel axis (dim=2), the last
    # frame dropped when k is even, GELU; the encoder adds the result to its input.
    for name, k, old in [("posconv_even_kernel", 8, True), ("posconv_odd_kernel", 7, False)]:
        d, groups = 16, 4
        conv = nn.Conv1d(d, d, k, padding=k // 2, groups=groups)
        if old:
            conv = nn.utils.weight_norm(conv, name="weight", dim=2)
        else:
            conv = nn.utils.parametrizations.weight_norm(conv, name="weight", dim=2)
        randomise(conv, gen, scale=0.3, positive=("weight_g", "original0"))
        x = f32(torch.randn(2, 13, d, generator=gen))  # [N, L, D] as the transformer holds it
        h = conv(x.transpose(1, 2))
        if k % 2 == 0:
            h = h[:, :, :-1]
        y = x + F.gelu(h).transpose(1, 2)
        save(name, conv, x, y, dict(kernel=k, groups=groups))


def linear_cases(gen):
    linear = randomise(nn.Linear(12, 7), gen)
    x = f32(torch.randn(2, 5, 12, generator=gen))
    save("linear", linear, x, linear(x), dict())
    linear = randomise(nn.Linear(6, 4, bias=False), gen)
    x = f32(torch.randn(3, 6, generator=gen))
    save("linear_no_bias", linear, x, linear(x), dict())


def relative_position_cases(gen):
    # Swin's relative position bias: a learned table [(2Wh-1)(2Ww-1), heads] gathered by the
    # relative_position_index buffer [L, L] (written as Swin's WindowAttention computes it).
    wh, ww, heads = 3, 4, 2
    table = f32(torch.randn((2 * wh - 1) * (2 * ww - 1), heads, generator=gen))
    coords = torch.stack(torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += wh - 1
    rel[:, :, 1] += ww - 1
    rel[:, :, 0] *= 2 * ww - 1
    index = rel.sum(-1)
    bias = table[index.view(-1)].view(wh * ww, wh * ww, -1).permute(2, 0, 1).contiguous()
    save("relative_position_bias", {"relative_position_bias_table": table,
                                    "relative_position_index": index.double()}, table, bias,
         dict(window_height=wh, window_width=ww, heads=heads))


def wide_depthwise_cases(gen):
    # Enough channels for FADNN's 16-wide depthwise path plus a scalar remainder.
    conv = randomise(nn.Conv1d(20, 20, 5, stride=2, dilation=2, groups=20, padding=4), gen)
    x = f32(torch.randn(2, 20, 23, generator=gen))
    save("conv1d_depthwise_wide", conv, x, conv(x), dict(stride=2, dilation=2, groups=20, padding=4, padding_mode="zeros"))


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20261130)
    conv1d_cases(gen)
    sconv_cases(gen)
    activation_cases(gen)
    norm_cases(gen)
    lstm_cases(gen)
    attention_cases(gen)
    positional_cases(gen)
    linear_cases(gen)
    relative_position_cases(gen)
    wide_depthwise_cases(gen)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(os.listdir(OUT))} files, {total} bytes in {os.path.normpath(OUT)}")


if __name__ == "__main__":
    with torch.no_grad():
        main()
