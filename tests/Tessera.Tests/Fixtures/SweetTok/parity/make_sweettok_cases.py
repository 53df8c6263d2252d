# Builds small SweetTok_Compact models with the official code, redraws their weights, makes synthetic word priors,
# and dumps the tensors Tessera's library-level parity tests compare against. Usage (Debian's /usr/bin/python3):
#   SWEETTOK_REF=<harness> /usr/bin/python3 make_sweettok_cases.py <case> <out-dir>
#   SWEETTOK_REF=<harness> /usr/bin/python3 make_sweettok_cases.py --check-golden <shared/reference/sweettok-golden>
import reference_env  # noqa: F401  (paths, SDPA)
import json, math, os, pickle, struct, sys, tempfile
import numpy as np
import torch

torch.set_num_threads(1)

CASES = {
    # (a) batch 2, another spatial block string and window size, 6x6 patch grid, 3x3 spatial queries.
    'b2_wtw_win3': dict(batch=2, frames=5, image_size=24, patch_size=4, temporal_patch_size=2, dim=16, heads=2, dim_head=8,
                        enc_block='wtw', dec_block='ttt', window_size=3, temporal_depth=2, num_spatial=9, dec_layers=[1, 3, 5, 7],
                        codebook_size=32, proxy_code_dim=8, pix_block='wt', pix_temporal_depth=2, pix_dim=16, pix_heads=2,
                        pix_dim_head=8, prior_dim=12, seed=11),
    # (b) head width 12 with heads x dim_head != dim (2 x 12 = 24 on dim 16), 8x8 grid, 16 spatial and 64 temporal queries.
    'dh12_g8_q16': dict(batch=1, frames=5, image_size=32, patch_size=4, temporal_patch_size=2, dim=16, heads=2, dim_head=12,
                        enc_block='ttw', dec_block='ttt', window_size=4, temporal_depth=2, num_spatial=16, dec_layers=[1, 3, 5, 7],
                        codebook_size=24, proxy_code_dim=4, pix_block='tt', pix_temporal_depth=1, pix_dim=16, pix_heads=2,
                        pix_dim_head=12, prior_dim=10, seed=12),
    # (c) decoder block string with window layers, temporal hooks after layers 0, 2 and 3, four latent frames.
    'dec_twtw_hooks023': dict(batch=1, frames=7, image_size=16, patch_size=4, temporal_patch_size=2, dim=16, heads=4, dim_head=4,
                              enc_block='tttw', dec_block='twtw', window_size=2, temporal_depth=3, num_spatial=4, dec_layers=[0, 2, 3],
                              codebook_size=40, proxy_code_dim=8, pix_block='tw', pix_temporal_depth=2, pix_dim=16, pix_heads=4,
                              pix_dim_head=4, prior_dim=16, seed=13),
}


def config_of(c):
    from omegaconf import OmegaConf
    grid = c['image_size'] // c['patch_size']
    arch = dict(image_size=c['image_size'], patch_size=c['patch_size'], temporal_patch_size=c['temporal_patch_size'],
                enc_block=c['enc_block'], dec_block=c['dec_block'], window_size=c['window_size'],
                spatial_depth=len(c['enc_block']), temporal_depth=c['temporal_depth'], dim=c['dim'], dim_head=c['dim_head'],
                heads=c['heads'], e_dim=c['dim'] // 2, proxy_code_dim=c['proxy_code_dim'], pix_block=c['pix_block'],
                pix_spatial_depth=len(c['pix_block']), pix_temporal_depth=c['pix_temporal_depth'], pix_dim=c['pix_dim'],
                pix_dim_head=c['pix_dim_head'], pix_heads=c['pix_heads'])
    latent_frames = 1 + (c['frames'] - 1) // c['temporal_patch_size']
    vq = dict(num_spatial_latent_tokens=c['num_spatial'], num_temporal_latent_tokens=grid * grid,
              num_intermediate_temporal_tokens=2, token_size=c['proxy_code_dim'], codebook_size=c['codebook_size'],
              use_l2_norm=True, commitment_cost=0.25, dec_tube_size=latent_frames, dec_output_size=c['codebook_size'],
              finetune_decoder=True, image_stage1_weight='', model_type='SweetTok_Compact', parity_arch=arch,
              parity_grid_size=grid, parity_dec_temporal_layers=list(c['dec_layers']))
    return OmegaConf.create(dict(experiment=dict(train_stage=2), model=dict(vq_model=vq),
                                 training=dict(per_gpu_batch_size=c['batch']), losses=dict(quantizer_weight=1.0)))


# ---------------------------------------------------------------- synthetic priors

def make_priors(seed, dim):
    """Small word graphs in the layout the official quantisers read, with the edge cases they must handle."""
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *s: torch.rand(*s, generator=g)
    def counts(prefix, n):
        out = {}
        for i in range(n):
            out[f'{prefix}{i:03d}'] = int(5 + rnd(1).item() * 60)
        return out
    adj, noun = counts('adj', 18), counts('noun', 22)
    adj['adj000'] = 10          # exactly 10: dropped
    adj['adj001'] = 11          # just above: kept
    adj['adj002'] = 4           # dropped for its count, and also a noun below
    noun['adj002'] = 40         # excluded as a noun because it is an adjective key
    noun['adj003'] = 30         # a noun that is also a (kept) adjective: excluded
    adj['adj003'] = max(adj['adj003'], 20)
    vec = lambda: torch.randn(dim, generator=g)
    spatial = dict(adj_code_book_num=adj, noun_code_book_num=noun,
                   adj_code_book_vec={w: vec().view(1, 1, dim) for w in adj},
                   noun_code_book_vec={w: vec().view(1, 1, dim) for w in noun})
    adverb, verb = counts('adv', 10), counts('verb', 14)
    verb['adv004'] = 25         # a word that is both an adverb and a verb: two rows, the map points to the verb row
    temporal = dict(adverb_code_book_num=adverb, verb_code_book_num=verb,
                    adverb_vec={w: vec() for w in adverb}, verb_vec={w: vec() for w in verb})

    def pairs(a_words, b_words, n):
        out = []
        for _ in range(n):
            i = int(rnd(1).item() * len(a_words)); j = int(rnd(1).item() * len(b_words))
            out.append((a_words[i], b_words[j]))
        return out
    sp = pairs(list(adj), list(noun), 30)
    sp += [sp[0], ('adj001', 'adj001'), ('adj000', 'noun001'), ('nosuchword', 'noun002')]  # duplicate, self-loop, dropped, unknown
    tp = pairs(list(adverb), list(verb), 20)
    tp += [tp[1], ('adv004', 'verb002'), ('verb003', 'verb003'), ('adv001', 'missing')]
    spatial['adj_noun_edges'] = sp
    temporal['verb_adverb_edges'] = tp
    return spatial, temporal


def untie(prior, key, quantizer_cls, e_dim, seed):
    """Adds edges until no two nodes share a closed neighbourhood (those give identical GCN rows and exact ties)."""
    g = torch.Generator().manual_seed(seed)
    for _ in range(200):
        q = build_quantizer(quantizer_cls, prior, e_dim)
        x, ei = q.data.x, q.data.edge_index
        n = x.shape[0]
        a = torch.zeros(n, n, dtype=torch.float64)
        keep = ei[0] != ei[1]
        a.index_put_((ei[1][keep], ei[0][keep]), torch.ones(int(keep.sum()), dtype=torch.float64), accumulate=True)
        a += torch.eye(n, dtype=torch.float64)
        dup = None
        for i in range(n):
            for j in range(i + 1, n):
                if torch.equal(a[i], a[j]):
                    dup = (i, j); break
            if dup: break
        if dup is None:
            return q
        names = q_names(q)
        other = int(torch.randint(0, n, (1,), generator=g).item())
        prior[key].append((names[dup[0]], names[other]))
    raise RuntimeError('could not remove ties')


def q_names(q):
    return [q.adj_index2code[i] for i in range(len(q.adj_index2code))] + \
           [q.noun_index2code[i] for i in range(len(q.noun_index2code))]


def build_quantizer(cls, prior, e_dim):
    with tempfile.NamedTemporaryFile(suffix='.pkl', delete=False) as f:
        pickle.dump(prior, f)
    var = 'SWEETTOK_SPATIAL_PRIOR' if cls.__name__.endswith('noun') else 'SWEETTOK_TEMPORAL_PRIOR'
    os.environ[var] = f.name
    q = cls(n_e=1024, e_dim=e_dim, beta=0.25, topk=2)
    os.unlink(f.name)
    return q


# ---------------------------------------------------------------- weights

def redraw(model, seed):
    """Every float parameter and persistent float buffer redrawn (same recipe as the shared golden)."""
    g = torch.Generator().manual_seed(seed)
    N = lambda t: torch.randn(t.shape, generator=g)
    U = lambda t, lo, hi: lo + (hi - lo) * torch.rand(t.shape, generator=g)
    mods = dict(model.named_modules())
    fan = {}
    for name, t in model.state_dict().items():
        if name.endswith('weight') and t.dim() >= 2:
            fan[name[:-len('weight')]] = t[0].numel()
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            owner_name, leaf = name.rsplit('.', 1) if '.' in name else ('', name)
            owner = mods[owner_name]
            kind = type(owner).__name__
            if kind == 'LayerNorm' or kind.endswith('Norm') or leaf in ('gamma', 'beta'):
                v = 1 + 0.1 * N(t) if leaf in ('weight', 'gamma') else 0.1 * N(t)
            elif leaf in ('q_scale', 'k_scale'):
                v = U(t, 0.5, 1.5)
            elif leaf == 'null_kv':
                v = N(t)
            elif leaf == 'relative_position_bias_table':
                v = 0.5 * N(t)
            elif kind == 'Codebook':
                if leaf in ('embeddings', 'z_avg'):
                    r = N(t); v = r / r.norm(dim=1, keepdim=True) * U(t[:, :1], 0.9, 1.0)
                else:
                    v = U(t, 0.0, 5.0)
            elif leaf == 'bias':
                f = fan.get(name[:-len('bias')], t.numel())
                b = 1 / math.sqrt(f); v = U(t, -b, b)
            else:
                f = t[0].numel() if t.dim() >= 2 else t.numel()
                b = 1 / math.sqrt(f); v = U(t, -b, b)
            t.copy_(v)
        for name, t in model.state_dict().items():
            if '.gcn.conv2.' in name:
                t.mul_(0.1)
            if name.startswith('decoder.ffn.2.'):
                t.mul_(4.0)


def write_torchsharp(path, state):
    """TorchSharp's Module.save layout: LEB128 count, then per entry name, dtype code, ndim, dims, raw data."""
    def leb(n):
        out = bytearray()
        while True:
            b = n & 0x7F; n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n: return bytes(out)
    codes = {torch.float32: 6, torch.int64: 4}
    index = []
    with open(path, 'wb') as f:
        f.write(leb(len(state)))
        for name, t in state.items():
            t = t.detach().contiguous()
            raw = name.encode()
            f.write(leb(len(raw)) + raw + leb(codes[t.dtype]) + leb(t.dim()))
            for d in t.shape: f.write(leb(d))
            index.append(dict(name=name, dtype=str(t.dtype).replace('torch.', ''), shape=list(t.shape), data_offset_bytes=f.tell()))
            f.write(t.numpy().astype('<f4' if t.dtype == torch.float32 else '<i8').tobytes())
    return index


def write_word_prior(path, prior, kind):
    """The pickle's content in Tessera's word-prior safetensors layout (docs/word-priors.md), unfiltered: the
    quantiser's own rules (count filter, noun exclusion) must then give the same graph. Pairs naming a word in
    neither group cannot be stored and are left out (the quantiser ignores them too)."""
    if kind == 'adjective_noun':
        fn, sn, fv, sv, ek, names = 'adj_code_book_num', 'noun_code_book_num', 'adj_code_book_vec', 'noun_code_book_vec', 'adj_noun_edges', ('adjective', 'noun')
    else:
        fn, sn, fv, sv, ek, names = 'adverb_code_book_num', 'verb_code_book_num', 'adverb_vec', 'verb_vec', 'verb_adverb_edges', ('adverb', 'verb')
    first, second = list(prior[fn]), list(prior[sn])
    rows = {w: i for i, w in enumerate(first)}
    rows.update({w: len(first) + i for i, w in enumerate(second)})
    edges = [(rows[a], rows[b]) for a, b in prior[ek] if a in rows and b in rows]
    tensors = [('first_vectors', np.stack([prior[fv][w].reshape(-1).numpy() for w in first]).astype('<f4')),
               ('second_vectors', np.stack([prior[sv][w].reshape(-1).numpy() for w in second]).astype('<f4')),
               ('first_counts', np.array([prior[fn][w] for w in first], dtype='<i8')),
               ('second_counts', np.array([prior[sn][w] for w in second], dtype='<i8')),
               ('edges', np.array(edges, dtype='<i8').reshape(-1, 2))]
    header, offset, blobs = {}, 0, []
    for name, a in tensors:
        b = a.tobytes()
        header[name] = dict(dtype='F32' if a.dtype.kind == 'f' else 'I64', shape=list(a.shape), data_offsets=[offset, offset + len(b)])
        offset += len(b); blobs.append(b)
    header['__metadata__'] = dict(format='tessera.word_prior.v1', kind=kind, first_group=names[0], second_group=names[1],
                                  first_words=json.dumps(first), second_words=json.dumps(second),
                                  generator='make_sweettok_cases.py (synthetic, from the pickle the quantiser read)')
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


# ---------------------------------------------------------------- running

def run(model, x):
    """Everything the tests compare, through the official entry points (hooks only read)."""
    seen = {}
    h = [model.quantize.register_forward_pre_hook(lambda m, a: seen.__setitem__('qs', a[0].clone())),
         model.quantize_temporal.register_forward_pre_hook(lambda m, a: seen.__setitem__('qt', a[0].clone())),
         model.decoder.register_forward_pre_hook(lambda m, a: seen.__setitem__('dec_in', tuple(t.clone() for t in a[0]))),
         model.decoder.register_forward_hook(lambda m, a, o: seen.__setitem__('logits', o.clone()))]
    with torch.no_grad():
        _, sl, tl = model.encoder(x, is_image=False, spatial_latent_tokens=model.latent_spatial_tokens,
                                  temporal_latent_tokens=model.latent_temporal_tokens)
        (zq, zqt), rd = model.encode(x)
        video = model.decode((zq, zqt))
        books = {}
        for q, a, b in ((model.quantize, 'adj', 'noun'), (model.quantize_temporal, 'adverb', 'verb')):
            w = q.gcn(q.data)
            books[a], books[b] = w[:q.adj_len], w[q.adj_len:]
    for x_ in h: x_.remove()
    return dict(sl=sl, tl=tl, zq=zq, zqt=zqt, idx=rd['min_encoding_indices'], video=video, books=books, **seen)


def margins(qin, books, topk=2):
    """Smallest distance gap behind each discrete choice (top-2 set and order, argmin)."""
    e = qin.shape[1] // 2
    z = qin.squeeze(2).permute(0, 2, 1).double()
    out = []
    for half, book, k in ((z[..., :e], books[0], topk), (z[..., e:], books[1], 1)):
        d = torch.cdist(half.reshape(-1, e), book.double()).pow(2).sort(dim=1).values
        out.append(float((d[:, 1:k + 1] - d[:, :k]).min()))
    return min(out)


def save(out, name, t):
    a = t.detach().numpy() if torch.is_tensor(t) else t
    a = a.astype('<i8') if a.dtype.kind in 'iu' else a.astype('<f4')
    np.save(os.path.join(out, name), a)


def make_case(name, out):
    from modeling.sweettok import SweetTok_Compact
    from modeling.quantizer.quantizer import MLC_quantizer_noun, MLC_quantizer_verb
    c = CASES[name]
    cfg = config_of(c)
    e_dim = c['dim'] // 2
    spatial, temporal = make_priors(1000 + c['seed'], c['prior_dim'])
    untie(spatial, 'adj_noun_edges', MLC_quantizer_noun, e_dim, 2000 + c['seed'])
    untie(temporal, 'verb_adverb_edges', MLC_quantizer_verb, e_dim, 3000 + c['seed'])
    os.makedirs(out, exist_ok=True)
    d = tempfile.mkdtemp()
    for var, prior, fn in (('SWEETTOK_SPATIAL_PRIOR', spatial, 's.pkl'), ('SWEETTOK_TEMPORAL_PRIOR', temporal, 't.pkl')):
        with open(os.path.join(d, fn), 'wb') as f: pickle.dump(prior, f)
        os.environ[var] = os.path.join(d, fn)
    torch.manual_seed(c['seed'])
    model = SweetTok_Compact(cfg)
    redraw(model, 100 + c['seed'])
    model.eval()
    grid = c['image_size'] // c['patch_size']
    for attempt in range(50):
        g = torch.Generator().manual_seed(5000 + 17 * c['seed'] + attempt)
        x = torch.rand(c['batch'], 3, c['frames'], c['image_size'], c['image_size'], generator=g) - 0.5
        r = run(model, x)
        radius = min(margins(r['qs'], (r['books']['adj'], r['books']['noun'])),
                     margins(r['qt'], (r['books']['adverb'], r['books']['verb'])))
        if radius > 2e-5:
            break
    else:
        raise RuntimeError('no input with safe decision margins')

    B, Ls, Lt = c['batch'], c['num_spatial'], grid * grid
    idx = r['idx']
    parts = dict(adj=idx[:, :2 * Ls], noun=idx[:, 2 * Ls:3 * Ls], adverb=idx[:, 3 * Ls:3 * Ls + 2 * Lt], verb=idx[:, 3 * Ls + 2 * Lt:])
    save(out, 'input.npy', x)
    for k, v in parts.items(): save(out, f'indices_{k}.npy', v)
    save(out, 'indices_all.npy', idx)
    save(out, 'enc_spatial_latent.npy', r['sl']); save(out, 'enc_temporal_latent.npy', r['tl'])
    save(out, 'quant_in_spatial.npy', r['qs']); save(out, 'quant_in_temporal.npy', r['qt'])
    for k, v in r['books'].items(): save(out, f'codebook_{k}.npy', v)
    save(out, 'zq_spatial.npy', r['zq']); save(out, 'zq_temporal.npy', r['zqt'])
    save(out, 'dec_in_spatial.npy', r['dec_in'][0]); save(out, 'dec_in_temporal.npy', r['dec_in'][1])
    save(out, 'dec_logits.npy', r['logits']); save(out, 'video_stage2.npy', r['video'])
    for branch, q in (('spatial', model.quantize), ('temporal', model.quantize_temporal)):
        save(out, f'{branch}_graph_x.npy', q.data.x); save(out, f'{branch}_graph_edge_index.npy', q.data.edge_index)
    write_word_prior(os.path.join(out, 'spatial_prior.safetensors'), spatial, 'adjective_noun')
    write_word_prior(os.path.join(out, 'temporal_prior.safetensors'), temporal, 'adverb_verb')
    index = write_torchsharp(os.path.join(out, 'weights.torchsharp.dat'), model.state_dict())
    meta = dict(case=name, spec=c, reference_commit='1df5480 (adxcreative/SweetTok)', torch=torch.__version__,
                config=json.loads(json.dumps(__import__('omegaconf').OmegaConf.to_container(cfg))),
                input_shape=list(x.shape), grid=grid, latent_frames=1 + (c['frames'] - 1) // c['temporal_patch_size'],
                graph=dict(spatial=dict(nodes=int(model.quantize.data.x.shape[0]), first_part_len=int(model.quantize.adj_len),
                                        edges=int(model.quantize.data.edge_index.shape[1])),
                           temporal=dict(nodes=int(model.quantize_temporal.data.x.shape[0]), first_part_len=int(model.quantize_temporal.adj_len),
                                         edges=int(model.quantize_temporal.data.edge_index.shape[1]))),
                state_dict_entries=len(index), decision_radius_sq=radius, input_attempt=attempt,
                seeds=dict(construction=c['seed'], redraw=100 + c['seed'], priors=1000 + c['seed'], input=5000 + 17 * c['seed'] + attempt),
                ranges=dict(video=[float(r['video'].min()), float(r['video'].max())], logits=[float(r['logits'].min()), float(r['logits'].max())]))
    with open(os.path.join(out, 'meta.json'), 'w') as f: json.dump(meta, f, indent=1)
    print(name, 'state entries', len(index), 'radius', radius, 'attempt', attempt)


def check_golden(gdir):
    """Harness self-check: the shared golden's model, priors and input must give its recorded outputs."""
    from modeling.sweettok import SweetTok_Compact
    from omegaconf import OmegaConf
    meta = json.load(open(os.path.join(gdir, 'meta.json')))
    cfg = meta['config']
    arch = cfg['model']['vq_model']['parity_arch']
    arch.setdefault('patch_size', 8); arch.setdefault('temporal_patch_size', 4)
    cfg['model']['vq_model'].setdefault('parity_dec_temporal_layers', [1, 3, 5, 7])
    os.environ['SWEETTOK_SPATIAL_PRIOR'] = os.path.join(gdir, 'priors/adj_noun_word_knowledge_qwen.pkl')
    os.environ['SWEETTOK_TEMPORAL_PRIOR'] = os.path.join(gdir, 'priors/big_nlp_word_knowledge_clip_video_qwen.pkl')
    model = SweetTok_Compact(OmegaConf.create(cfg))
    sd = torch.load(os.path.join(gdir, 'pytorch_model.bin'), map_location='cpu')
    model.load_state_dict(sd, strict=True)
    model.eval()
    x = torch.from_numpy(np.load(os.path.join(gdir, 'input.npy')))
    r = run(model, x)
    ld = lambda f: torch.from_numpy(np.load(os.path.join(gdir, f)))
    worst = 0.0
    for f, t in (('enc_spatial_latent.npy', r['sl']), ('enc_temporal_latent.npy', r['tl']), ('quant_in_spatial.npy', r['qs']),
                 ('dec_logits.npy', r['logits']), ('video_stage2.npy', r['video']), ('codebook_adj.npy', r['books']['adj']),
                 ('codebook_verb.npy', r['books']['verb']), ('zq_temporal.npy', r['zqt'])):
        dmax = float((ld(f) - t).abs().max()); worst = max(worst, dmax)
        print(f'{f}: max abs diff {dmax:.3e}')
    same = torch.equal(ld('indices_all.npy'), r['idx'])
    print('indices identical:', same)
    for b in ('spatial', 'temporal'):
        q = model.quantize if b == 'spatial' else model.quantize_temporal
        print(b, 'graph x/edges identical:', torch.equal(ld(f'{b}_graph_x.npy'), q.data.x), torch.equal(ld(f'{b}_graph_edge_index.npy'), q.data.edge_index))
        c1 = q.gcn.conv1(q.data.x, q.data.edge_index)
        print(b, 'conv1 max abs diff', float((ld(f'{b}_gcn_conv1_out.npy') - c1).abs().max()))
    if not same or worst > 1e-5:
        sys.exit('golden check FAILED')


if __name__ == '__main__':
    if sys.argv[1] == '--check-golden':
        check_golden(sys.argv[2])
    else:
        make_case(sys.argv[1], sys.argv[2])
