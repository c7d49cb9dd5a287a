"""Writes a tiny PyTorch checkpoint that exercises the import hooks of TorchImportSpec, and the
weights PyTorch itself computes from it, for Tests/FADModelsTests/ModelSeamTests.swift.

Run:  /tmp/ref/bin/python Tests/Fixtures/scripts/import_hooks_reference.py
Outputs (Tests/Fixtures/import_hooks/):
  hooks.pth            state dict saved from a DataParallel-style wrapper (every key starts with
                       "module."), float32:
                         module.conv.weight_g [4, 1, 1], module.conv.weight_v [4, 3, 5], module.conv.bias [4]
                             torch.nn.utils.weight_norm(Conv1d(3, 4, 5), dim=0) (EnCodec's convolutions)
                         module.pos_conv.weight_g [1, 1, 3], module.pos_conv.weight_v [4, 2, 3]
                             weight_norm(Conv1d(4, 4, 3, groups=2), dim=2) (HuBERT's positional conv)
                         module.projection.weight [2, 4]
                             a Linear whose key an older version named "projection" (now "proj")
                         module.bn.num_batches_tracked  (int64, ignored by suffix)
  conv_weight.npy      conv.weight as weight_norm's hook computes it (float64 module), [4, 3, 5]
  pos_conv_weight.npy  pos_conv.weight likewise, [4, 2, 3]
  proj_weight.npy      the Linear weight, [2, 4]
  conv_output.npy      the weight-normed Conv1d(3, 4, 5) applied (float64) to conv_input.npy
  conv_input.npy       [1, 3, 9]
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "import_hooks")
os.makedirs(OUT, exist_ok=True)

g = torch.Generator().manual_seed(20261204)


def weight_normed(conv, dim):
    """conv with weight_norm over `dim`, g and v set to float32-representable random values."""
    conv = torch.nn.utils.weight_norm(conv, name="weight", dim=dim)
    with torch.no_grad():
        conv.weight_v.copy_(torch.randn(conv.weight_v.shape, generator=g).float().double())
        conv.weight_g.copy_((torch.rand(conv.weight_g.shape, generator=g) * 2 + 0.5).float().double())
        if conv.bias is not None:
            conv.bias.copy_(torch.randn(conv.bias.shape, generator=g).float().double())
    return conv


conv = weight_normed(torch.nn.Conv1d(3, 4, 5).double(), dim=0)
pos_conv = weight_normed(torch.nn.Conv1d(4, 4, 3, groups=2, bias=False).double(), dim=2)
proj = torch.randn(2, 4, generator=g).float().double()

x = torch.randn(1, 3, 9, generator=g).float().double()
with torch.no_grad():
    y = conv(x)          # the forward pre-hook recomputes conv.weight = g * v / ||v||
    pos_conv(torch.zeros(1, 4, 3, dtype=torch.float64))

state = {
    "module.conv.weight_g": conv.weight_g.detach().float(),
    "module.conv.weight_v": conv.weight_v.detach().float(),
    "module.conv.bias": conv.bias.detach().float(),
    "module.pos_conv.weight_g": pos_conv.weight_g.detach().float(),
    "module.pos_conv.weight_v": pos_conv.weight_v.detach().float(),
    "module.projection.weight": proj.float(),
    "module.bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
}
assert tuple(state["module.pos_conv.weight_g"].shape) == (1, 1, 3)
torch.save(state, os.path.join(OUT, "hooks.pth"))
np.save(os.path.join(OUT, "conv_weight.npy"), conv.weight.detach().numpy())
np.save(os.path.join(OUT, "pos_conv_weight.npy"), pos_conv.weight.detach().numpy())
np.save(os.path.join(OUT, "proj_weight.npy"), proj.numpy())
np.save(os.path.join(OUT, "conv_input.npy"), x.numpy())
np.save(os.path.join(OUT, "conv_output.npy"), y.detach().numpy())
print("wrote", sorted(os.listdir(OUT)))
