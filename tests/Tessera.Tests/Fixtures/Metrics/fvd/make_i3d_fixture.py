"""Regenerates i3d_expected.npz: reference pytorch-i3d outputs for closed-form weights and inputs.

Usage: /usr/bin/python3 make_i3d_fixture.py <dir holding piergiaj/pytorch-i3d's pytorch_i3d.py> <out.npz> [<keys.txt>]
keys.txt (optional) receives the reference state dict's keys and shapes, one "key<TAB>d0,d1,..." per line.
The reference code is imported from that directory and is not part of this repository.
The same formulas are implemented in tests/Tessera.Tests/Metrics/I3dTests.cs.
"""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, sys.argv[1])
from pytorch_i3d import InceptionI3d  # noqa: E402


def wave(n, k):
    """Pseudo-random values in (-1, 1): frac(43758.5453 sin(12.9898 i + 78.233 k)) for i = 0..n-1, in float64
    (frac keeps the sign, as torch.frac does). A plain sin(a i + b) cancels out inside every convolution sum."""
    i = torch.arange(n, dtype=torch.float64)
    return torch.frac(torch.sin(i * 12.9898 + 78.233 * k) * 43758.5453)


def closed_form_state(model):
    sd = model.state_dict()
    out = {}
    for k, name in enumerate(sorted(sd.keys())):
        t = sd[name]
        if name.endswith("num_batches_tracked"):
            out[name] = torch.zeros_like(t)
            continue
        w = wave(t.numel(), k).reshape(t.shape)
        if name.endswith("conv3d.weight"):
            fan_in = t.numel() // t.shape[0]
            v = w * math.sqrt(6.0 / fan_in)  # He variance: var(w) = 1/3
        elif name.endswith("bn.weight"):
            v = 1.0 + 0.2 * w
        elif name.endswith("bn.running_var"):
            v = 1.0 + 0.5 * w
        else:  # bn.bias, bn.running_mean, logits.conv3d.bias
            v = 0.1 * w
        out[name] = v.to(torch.float32)
    return out


def clip(shape, a, b):
    """0.95 sin(a i + 0.5) cos(b i) over the flat index i, float64 then float32."""
    i = torch.arange(int(np.prod(shape)), dtype=torch.float64)
    return (0.95 * torch.sin(i * a + 0.5) * torch.cos(i * b)).reshape(shape).to(torch.float32)


def main():
    torch.set_grad_enabled(False)
    model = InceptionI3d(num_classes=400, in_channels=3)
    model.load_state_dict(closed_form_state(model), strict=True)
    model.eval()
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            for name, t in model.state_dict().items():
                f.write(name + "\t" + ",".join(str(d) for d in t.shape) + "\n")

    # A: the network alone on an odd-sized clip (exercises both branches of the SAME-padding rule).
    xa = clip((1, 3, 9, 193, 200), 0.0137, 0.00071)
    a_logits = model(xa)
    a_pooled = model.extract_features(xa)

    # B: the FVD protocol: a 16-frame 64x64 clip resized to 224x224 (bilinear, align_corners=False, per frame).
    xb = clip((1, 3, 16, 64, 64), 0.0213, 0.00053)
    xb224 = F.interpolate(xb, size=(16, 224, 224), mode="trilinear", align_corners=False)
    b_logits = model(xb224)
    b_pooled = model.extract_features(xb224)

    np.savez(sys.argv[2],
             a_logits=a_logits.numpy(), a_pooled=a_pooled.numpy(),
             b_logits=b_logits.numpy(), b_pooled=b_pooled.numpy())
    for n, v in [("a_logits", a_logits), ("a_pooled", a_pooled), ("b_logits", b_logits), ("b_pooled", b_pooled)]:
        print(n, tuple(v.shape), float(v.abs().max()), float(v.std()))
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()
