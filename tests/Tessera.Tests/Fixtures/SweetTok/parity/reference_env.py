# Sets up the official SweetTok code for make_sweettok_cases.py on Debian's torch 1.13 (see PROVENANCE.md).
# SWEETTOK_REF names a folder holding `patched/` (the official sources with the size literals made configurable),
# `pydeps/` (einops 0.8.0) and `shims/` (stand-ins for imports the forward pass never calls, and a GCNConv).
import os, sys
REF = os.environ.get('SWEETTOK_REF', '/work/scratch/sweettok')
sys.path[:0] = [os.path.join(REF, 'shims'), os.path.join(REF, 'pydeps'), os.path.join(REF, 'patched')]
import torch
import torch.nn.functional as F

if not hasattr(F, 'scaled_dot_product_attention'):
    # torch 2.x math definition: softmax(q k^T * scale [+ top-left lower-triangular -inf mask]) v.
    def _sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
        s = (q.shape[-1] ** -0.5) if scale is None else scale
        w = torch.matmul(q, k.transpose(-2, -1)) * s
        if is_causal:
            keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
            w = w.masked_fill(~keep, float('-inf'))
        if attn_mask is not None:
            w = w.masked_fill(~attn_mask, float('-inf')) if attn_mask.dtype == torch.bool else w + attn_mask
        return torch.matmul(torch.softmax(w, dim=-1), v)
    F.scaled_dot_product_attention = _sdpa
