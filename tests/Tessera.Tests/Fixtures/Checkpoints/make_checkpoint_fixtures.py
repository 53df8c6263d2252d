"""Generates the checkpoint fixtures in this folder. Run with Debian's /usr/bin/python3 (torch 1.13, numpy, omegaconf):
    /usr/bin/python3 make_checkpoint_fixtures.py
"""
import collections, os, sys, types
import numpy as np
import torch
from omegaconf import OmegaConf

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

# A tiny module standing in for Lightning's callbacks (so the pickle references a class C# cannot know).
fake = types.ModuleType("fake_lightning_callbacks")
exec(
    "class ModelCheckpoint:\n"
    "    def __init__(self):\n"
    "        self.monitor = 'val/rec_loss'\n"
    "        self.best_model_score = 0.25\n"
    "        self.save_top_k = 3\n",
    fake.__dict__,
)
sys.modules["fake_lightning_callbacks"] = fake

sd = collections.OrderedDict()
sd["encoder.conv.weight"] = torch.randn(4, 3, 3, 3)
sd["encoder.conv.bias"] = torch.randn(4)
sd["encoder.norm.running_mean"] = torch.randn(4)
sd["encoder.norm.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
sd["decoder.proj.weight"] = base                   # shares storage with the view below
sd["decoder.proj.weight_t"] = base.t()             # non-contiguous view
sd["decoder.proj.row1"] = base[1]                  # view with a storage offset
sd["decoder.half"] = torch.tensor([0.5, -1.25], dtype=torch.float16)
sd["loss.logvar"] = torch.tensor(0.125)            # 0-dim
sd["model_ema.encoderconvweight"] = sd["encoder.conv.weight"] * 0.5
sd["model_ema.decay"] = torch.tensor(0.999)
sd["model_ema.num_updates"] = torch.tensor(10, dtype=torch.int32)

params = [torch.nn.Parameter(sd["encoder.conv.weight"].clone()), torch.nn.Parameter(sd["encoder.conv.bias"].clone())]
opt = torch.optim.Adam(params, lr=1e-3)
params[0].sum().backward(); params[1].sum().backward(); opt.step()

ckpt = {
    "epoch": 1,
    "global_step": 10,
    "pytorch-lightning_version": "2.2.4",
    "state_dict": sd,
    "optimizer_states": [opt.state_dict()],
    "lr_schedulers": [],
    "callbacks": {"ModelCheckpoint{'monitor': 'val/rec_loss'}": fake.ModelCheckpoint()},
    "hyper_parameters": OmegaConf.create({"model": {"ch": 16, "ch_mult": [1, 2, 4]}, "lr": 1e-4}),
    "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 2, "completed": 1}}}},
}
torch.save(ckpt, os.path.join(here, "lightning.ckpt"))
np.savez(os.path.join(here, "lightning_expected.npz"),
         **{k: v.numpy() for k, v in sd.items()})

# Legacy (non-zip) torch.save stream, with a view sharing storage.
legacy = collections.OrderedDict(w=base, wt=base.t(), row=base[2], n=torch.tensor([1, 2, 3], dtype=torch.int64))
torch.save(legacy, os.path.join(here, "legacy.pt"), _use_new_zipfile_serialization=False)


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/tessera-pwned",))


# A zip checkpoint whose pickle calls os.system when loaded by pickle (must stay inert in C#).
torch.save({"x": torch.ones(2), "evil": Evil()}, os.path.join(here, "hostile.pt"))
