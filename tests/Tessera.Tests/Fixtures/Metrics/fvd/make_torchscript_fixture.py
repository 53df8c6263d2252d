"""Regenerates the TorchScript fixtures (tiny stand-ins for the FVD I3D's i3d_torchscript.pt).

Usage: /usr/bin/python3 make_torchscript_fixture.py <out dir>
Writes tiny_kwargs_script.pt (torch.jit.script; forward(x, rescale, resize, return_features) like the
FVD TorchScript I3D), tiny_traced.pt (torch.jit.trace; forward(x) only) and torchscript_expected.npz.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyKwargs(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 5, 3, stride=(1, 2, 2))

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        if rescale:
            x = x / 127.5 - 1.0
        if resize:
            x = F.interpolate(x, size=(x.shape[2], 8, 8), mode="trilinear", align_corners=False)
        f = self.conv(x).relu().mean(dim=[2, 3, 4])
        if return_features:
            return f
        return f.softmax(dim=1)


class TinyTraced(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 4, (1, 3, 3))
        self.lin = nn.Linear(4, 6)

    def forward(self, x):
        return self.lin(self.conv(x).tanh().mean(dim=[2, 3, 4]))


def clip(shape, a, b):
    i = torch.arange(int(np.prod(shape)), dtype=torch.float64)
    return (0.95 * torch.sin(i * a + 0.5) * torch.cos(i * b)).reshape(shape).to(torch.float32)


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    kw = torch.jit.script(TinyKwargs().eval())
    tr = torch.jit.trace(TinyTraced().eval(), clip((1, 3, 2, 5, 5), 0.1, 0.01))
    kw.save(os.path.join(out, "tiny_kwargs_script.pt"))
    tr.save(os.path.join(out, "tiny_traced.pt"))

    x = clip((2, 3, 4, 12, 10), 0.0173, 0.0031)
    x224 = F.interpolate(x, size=(4, 224, 224), mode="trilinear", align_corners=False)
    np.savez(os.path.join(out, "torchscript_expected.npz"),
             kw_default=kw(x).numpy(),
             kw_features=kw(x, return_features=True).numpy(),
             kw_rescale_features=kw(x, rescale=True, return_features=True).numpy(),
             kw_resize=kw(x, resize=True).numpy(),
             kw_extractor=kw(x224, rescale=False, resize=False, return_features=True).numpy(),
             traced=tr(x).numpy(),
             traced_extractor=tr(x224).numpy())
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()
