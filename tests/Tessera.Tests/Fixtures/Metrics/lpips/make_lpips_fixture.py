"""Regenerates expected.json: LPIPS values computed by the reference implementations on synthetic weights.

Usage (Debian's python3 with torch 1.13, torchvision 0.14, numpy):
    python3 make_lpips_fixture.py VIDTOK_SRC RZ_SRC HEADS_DIR OUT_JSON

VIDTOK_SRC  a folder holding microsoft/VidTok's vidtok/modules/lpips.py (git show HEAD:vidtok/modules/lpips.py)
RZ_SRC      a folder holding richzhang/PerceptualSimilarity's lpips/ package (git archive HEAD lpips)
HEADS_DIR   the v0.1 linear heads (vgg.pth, alex.pth), i.e. ../shared/weights/lpips-heads

No reference code is contained here: the references are imported from those folders. Only their
optional imports (tqdm, VidTok's util.print0) are stubbed, and torchvision's vgg16/alexnet constructors
are wrapped so that `pretrained=True` yields the synthetic backbone below instead of a download.

Synthetic weights and inputs (the C# tests compute the same bits, see LpipsTests.Synthetic):
    u(i, seed) = h(i * 2654435761 + seed * 40503 + 12345 mod 2^32) / 2^32, h = three rounds of
                 (x ^= x >> 16; x = x * 0x45d9f3b mod 2^32) then a final x ^= x >> 16,
    i the row-major element index. In float64, rounded once to float32:
    features.N.weight = (2u - 1) * sqrt(6 / fan_in), seed 2N + 1
    features.N.bias   = (2u - 1) * 0.05,             seed 2N + 2
    lin{k}.model.1.weight = u * 0.5,                 seed 100 + k
    input x = 2u - 1 (seed 501); y = 0.7 x + 0.3 (2u - 1) (seed 502), both computed in float64.
"""
import json
import os
import sys
import tempfile
import types

import numpy as np
import torch
import torchvision

VIDTOK_SRC, RZ_SRC, HEADS_DIR, OUT_JSON = sys.argv[1:5]
MASK = np.uint64(0xFFFFFFFF)


def uniform(n, seed):
    x = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(seed * 40503 + 12345)) & MASK
    for _ in range(3):
        x ^= x >> np.uint64(16)
        x = (x * np.uint64(0x45D9F3B)) & MASK
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 4294967296.0


def synthetic_backbone_state(features):
    sd = {}
    for name, t in features.state_dict().items():
        idx, kind = name.split(".")
        idx = int(idx)
        n = t.numel()
        if kind == "weight":
            fan_in = t.shape[1] * t.shape[2] * t.shape[3]
            v = (2 * uniform(n, 2 * idx + 1) - 1) * np.sqrt(6.0 / fan_in)
        else:
            v = (2 * uniform(n, 2 * idx + 2) - 1) * 0.05
        sd["features." + name] = torch.from_numpy(v.astype(np.float32).reshape(tuple(t.shape)))
    return sd


def synthetic_heads(chns):
    return {f"lin{k}.model.1.weight": torch.from_numpy((uniform(c, 100 + k) * 0.5).astype(np.float32).reshape(1, c, 1, 1))
            for k, c in enumerate(chns)}


def inputs(n, h, w):
    shape = (n, 3, h, w)
    size = int(np.prod(shape))
    x = 2 * uniform(size, 501) - 1
    y = 0.7 * x + 0.3 * (2 * uniform(size, 502) - 1)
    return (torch.from_numpy(x.astype(np.float32).reshape(shape)), torch.from_numpy(y.astype(np.float32).reshape(shape)))


# torchvision constructors that ignore `pretrained` and load the synthetic backbone instead.
_tv_vgg16, _tv_alexnet = torchvision.models.vgg16, torchvision.models.alexnet


def _synthetic(ctor):
    def make(pretrained=False, **kw):
        m = ctor(weights=None)
        missing, unexpected = m.load_state_dict(synthetic_backbone_state(m.features), strict=False)
        assert not unexpected and all(k.startswith("classifier.") for k in missing), (missing, unexpected)
        return m
    return make


torchvision.models.vgg16 = _synthetic(_tv_vgg16)
torchvision.models.alexnet = _synthetic(_tv_alexnet)

# Stubs for optional imports of the references.
sys.modules.setdefault("tqdm", types.SimpleNamespace(tqdm=lambda x=None, **k: x))
vidtok_pkg = types.ModuleType("vidtok"); vidtok_pkg.__path__ = [os.path.join(VIDTOK_SRC, "vidtok")]
modules_pkg = types.ModuleType("vidtok.modules"); modules_pkg.__path__ = [os.path.join(VIDTOK_SRC, "vidtok", "modules")]
util = types.ModuleType("vidtok.modules.util"); util.print0 = lambda *a, **k: None
sys.modules.update({"vidtok": vidtok_pkg, "vidtok.modules": modules_pkg, "vidtok.modules.util": util})
sys.path.insert(0, RZ_SRC)

from vidtok.modules import lpips as vidtok_lpips  # noqa: E402
import lpips as rz_lpips  # noqa: E402

vidtok_lpips.models.vgg16 = torchvision.models.vgg16
rz_lpips.pretrained_networks.tv = torchvision.models

CHNS = {"vgg": [64, 128, 256, 512, 512], "alex": [64, 192, 384, 256, 256]}
WORK = tempfile.mkdtemp(prefix="lpips_fixture_")


def heads_file(net, kind):
    if kind == "real":
        return os.path.join(HEADS_DIR, f"{net}.pth")
    p = os.path.join(WORK, f"{net}_synthetic_heads.pth")
    torch.save(synthetic_heads(CHNS[net]), p)
    return p


def vidtok_vgg(heads):
    # VidTok loads checkpoints/lpips/vgg.pth relative to the working directory (no MD5 check when present).
    cwd = os.getcwd()
    os.makedirs(os.path.join(WORK, "checkpoints", "lpips"), exist_ok=True)
    target = os.path.join(WORK, "checkpoints", "lpips", "vgg.pth")
    torch.save(torch.load(heads, map_location="cpu"), target)
    os.chdir(WORK)
    try:
        return vidtok_lpips.LPIPS().eval()
    finally:
        os.chdir(cwd)


cases = []
torch.set_num_threads(2)
for net in ["vgg", "alex"]:
    for heads_kind in ["synthetic", "real"]:
        heads = heads_file(net, heads_kind)
        rz = rz_lpips.LPIPS(net=net, version="0.1", model_path=heads, verbose=False).eval()
        vt = vidtok_vgg(heads) if net == "vgg" else None
        for (n, h, w) in [(4, 64, 64), (2, 40, 72)]:
            if heads_kind == "real" and h != 64:
                continue
            x, y = inputs(n, h, w)
            with torch.no_grad():
                total, layers = rz(x, y, retPerLayer=True)
                total = total.flatten().double()
                per_layer = torch.stack([l.flatten() for l in layers], 1).double()
                case = {"backbone": net, "heads": heads_kind, "n": n, "h": h, "w": w,
                        "lpips": total.tolist(), "per_layer": per_layer.tolist(), "reference": "richzhang/lpips"}
                assert (per_layer > 1e-4).all(), per_layer  # every layer must contribute
                if vt is not None:
                    v = vt(x, y).flatten().double()
                    case["vidtok_lpips"] = v.tolist()
                    case["vidtok_vs_rz_max_abs"] = (v - total).abs().max().item()
                    case["reference"] = "microsoft/VidTok vidtok.modules.lpips.LPIPS (lpips cross-checked)"
            cases.append(case)
            print(net, heads_kind, (n, h, w), case["lpips"], case.get("vidtok_vs_rz_max_abs"))

with open(OUT_JSON, "w") as f:
    json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
