#!/usr/bin/env python3
"""Runs the unmodified reference VidTok (github.com/microsoft/VidTok) for Tessera's `targets` benchmark.

The reference is imported from the checkout given with --vidtok; nothing of it is copied here. Its training-only
dependencies are replaced by empty stand-ins when they are not installed (beartype, lightning, safetensors: none of
them changes what encode or decode compute), and torch < 2 gets the two functions the reference calls that it lacks.
einops and omegaconf must be importable (PYTHONPATH).

Protocol: one JSON line per event on stdout. After {"event": "ready"} it reads commands from stdin, one per line:
  encode on | encode off   encode the input (the FSQ regulariser's loss terms computed as shipped, or skipped)
  decode                   decode the ids of the last encode
  peak                     this process's peak resident memory
  quit
"""
import argparse
import json
import os
import resource
import sys
import time
import types


def emit(**fields):
    print(json.dumps(fields), flush=True)


def stand_in(name, **attributes):
    """Registers an empty module (and its parents) unless the real one imports."""
    try:
        __import__(name)
        return
    except ImportError:
        pass
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    for key, value in attributes.items():
        setattr(sys.modules[name], key, value)


def install_stand_ins(torch):
    stand_in("beartype", beartype=lambda f: f)
    import typing
    if "beartype.typing" not in sys.modules or not hasattr(sys.modules["beartype.typing"], "List"):
        sys.modules["beartype.typing"] = typing

    class LightningModule(torch.nn.Module):
        global_step = 0

    stand_in("lightning.pytorch", LightningModule=LightningModule, seed_everything=lambda *a, **k: None)
    stand_in("lightning.pytorch.utilities.rank_zero", rank_zero_only=lambda f: f)
    sys.modules["lightning"].pytorch = sys.modules["lightning.pytorch"]

    def no_safetensors(*args, **kwargs):
        raise RuntimeError("safetensors is not installed")

    stand_in("safetensors.torch", load_file=no_safetensors)

    functional = torch.nn.functional
    if not hasattr(functional, "scaled_dot_product_attention"):
        def attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
            weights = torch.softmax(q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5), dim=-1)
            return weights @ v
        functional.scaled_dot_product_attention = attention
    if not hasattr(torch, "concatenate"):
        torch.concatenate = torch.cat


def peak_mib():
    hwm = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return dict(vmhwm_mib=hwm, ru_maxrss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)


def find_config(checkout, preset):
    for folder in ("configs", os.path.join("configs", "vidtok_v1_1")):
        path = os.path.join(checkout, folder, preset + ".yaml")
        if os.path.isfile(path):
            return path
    raise SystemExit(f"{checkout}: no configs/{preset}.yaml (is it a VidTok checkout?)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vidtok", required=True, help="VidTok checkout (the folder holding vidtok/ and configs/)")
    parser.add_argument("--preset", required=True)
    parser.add_argument("--frames", type=int, default=17)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    install_stand_ins(torch)
    sys.path.insert(0, os.path.abspath(args.vidtok))
    from omegaconf import OmegaConf
    from vidtok.modules.util import instantiate_from_config

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    config = OmegaConf.load(find_config(args.vidtok, args.preset))
    params = config.model.params
    params.pop("ckpt_path", None)
    # The perceptual/adversarial loss is training-only and would fetch VGG weights.
    params.loss_config = OmegaConf.create({"target": "torch.nn.Identity"})
    OmegaConf.resolve(config)

    started = time.perf_counter()
    torch.manual_seed(args.seed)
    engine = instantiate_from_config(config.model).eval()
    regularizer = engine.regularization
    shipped = {k: getattr(regularizer, k) for k in ("entropy_loss_weight", "commitment_loss_weight") if hasattr(regularizer, k)}
    video = torch.rand(1, 3, args.frames, args.size, args.size).mul_(2).sub_(1)
    emit(event="ready", torch=torch.__version__, threads=torch.get_num_threads(),
         parameters=sum(p.numel() for p in engine.parameters()), regularizer=type(regularizer).__name__,
         loss_weights=shipped, build_s=time.perf_counter() - started, **peak_mib())

    ids = None
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "quit":
            break
        if command[0] == "encode":
            entropy = command[1] if len(command) > 1 else "on"
            # "off": the weights are what the regulariser tests to skip its loss block (entropy over the whole
            # implicit codebook, and the commitment term); the codes and ids do not depend on it.
            for key, value in shipped.items():
                setattr(regularizer, key, value if entropy == "on" else 0.0)
            with torch.no_grad():
                started = time.perf_counter()
                z, log = engine.encode(video, return_reg_log=True)
                seconds = time.perf_counter() - started
            ids = log.get("indices")
            emit(event="encode", entropy=entropy, seconds=seconds, latent=list(z.shape),
                 ids=None if ids is None else list(ids.shape))
            del z
        elif command[0] == "decode":
            if ids is None:
                emit(event="error", message="decode before encode")
                continue
            with torch.no_grad():
                started = time.perf_counter()
                rec = engine.decode(ids, decode_from_indices=True)
                seconds = time.perf_counter() - started
            emit(event="decode", seconds=seconds, output=list(rec.shape))
            del rec
        elif command[0] == "peak":
            emit(event="peak", **peak_mib())
        else:
            emit(event="error", message=f"unknown command {command[0]}")


if __name__ == "__main__":
    main()
