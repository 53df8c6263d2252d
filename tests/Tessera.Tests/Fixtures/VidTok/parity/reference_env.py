import sys, os
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, 'shims'), os.path.join(HERE, 'pydeps'), os.path.join(HERE, 'src')]
import torch
import torch.nn.functional as F
if not hasattr(F, 'scaled_dot_product_attention'):
    def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
        w = torch.softmax(q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5), dim=-1)
        return w @ v
    F.scaled_dot_product_attention = sdpa
if not hasattr(torch, 'concatenate'):
    torch.concatenate = torch.cat
