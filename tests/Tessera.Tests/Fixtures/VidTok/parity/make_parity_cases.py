# Scratch harness: builds reference VidTok engines from a case spec and dumps tensors for Tessera tests.
import reference_env, sys, json, os, subprocess, copy
import numpy as np, torch
from omegaconf import OmegaConf
from vidtok.modules.util import instantiate_from_config

def engine_config(c):
    causal = c['family'] != 'noncausal'
    v11 = c['family'] == 'v1_1'
    mod = 'model_3dcausal_v1_1' if v11 else ('model_3dcausal' if causal else 'model_3dnoncausal')
    enc_cls, dec_cls = ('EncoderCausal3DPadding', 'DecoderCausal3DPadding') if causal else ('Encoder3D', 'Decoder3D')
    p = dict(double_z=c['reg'] == 'kl', z_channels=c['z'], in_channels=3, out_ch=3, ch=c['ch'], ch_mult=c['ch_mult'],
             time_downsample_factor=c.get('tdf', 4), num_res_blocks=c['nrb'], dropout=0.0, use_checkpoint=False,
             norm_type=c['norm'], fix_encoder=False, fix_decoder=False)
    if causal: p['init_pad_mode'] = 'replicate'
    if v11: p['interpolation_mode'] = 'trilinear'
    for k in ('tempo_ds', 'tempo_us', 'spatial_ds', 'spatial_us'):
        if k in c: p[k] = c[k]
    if c['reg'] == 'fsq':
        reg = dict(target='vidtok.modules.regularizers.FSQRegularizer', params=dict(levels=c['levels'], entropy_loss_weight=0.1,
              entropy_loss_annealing_steps=2000, entropy_loss_annealing_factor=3, commitment_loss_weight=0.25))
    else:
        reg = dict(target='vidtok.modules.regularizers.DiagonalGaussianRegularizer', params=dict(sample=False))
    eng = 'vidtok.models.autoencoder_v1_1.AutoencodingEngine' if v11 else 'vidtok.models.autoencoder.AutoencodingEngine'
    params = dict(monitor='val/rec_loss', mode='min', ignore_keys=[],
                  encoder_config=dict(target=f'vidtok.modules.{mod}.{enc_cls}', params=p),
                  decoder_config=dict(target=f'vidtok.modules.{mod}.{dec_cls}', params='${model.params.encoder_config.params}'),
                  regularizer_config=reg,
                  loss_config=dict(target='torch.nn.Identity'))
    if v11: params['use_tiling'] = False
    return dict(model=dict(base_learning_rate=1e-5, target=eng, params=params))

def redraw(engine, seed):
    g = torch.Generator().manual_seed(seed)
    mods = dict(engine.named_modules())
    with torch.no_grad():
        for name, prm in engine.named_parameters():
            owner = mods[name.rsplit('.', 1)[0]] if '.' in name else engine
            leaf = name.rsplit('.', 1)[-1]
            if 'mix_factor' in name:
                prm.copy_(torch.rand(prm.shape, generator=g) * 4 - 2)
            elif isinstance(owner, (torch.nn.LayerNorm, torch.nn.GroupNorm)):
                n = torch.randn(prm.shape, generator=g)
                prm.copy_(1 + 0.1 * n if leaf == 'weight' else 0.1 * n)
            else:
                w = owner.weight
                fan_in = w.shape[1] * int(np.prod(w.shape[2:])) if w.dim() > 1 else w.shape[0]
                b = 1 / fan_in ** 0.5
                prm.copy_((torch.rand(prm.shape, generator=g) * 2 - 1) * b)

def perturb(engine, seed, scale):
    # "trained-like": default init plus small noise everywhere (zero-init layers become small, norms near identity)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, prm in engine.named_parameters():
            prm.add_(torch.randn(prm.shape, generator=g) * scale * (prm.abs().mean() + 1e-2))

def read_frames(d, n, h, w):
    files = sorted(f for f in os.listdir(d) if f.endswith('.png'))[:n]
    out = []
    for f in files:
        raw = subprocess.run(['ffmpeg', '-v', 'error', '-i', os.path.join(d, f), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], capture_output=True, check=True).stdout
        out.append(np.frombuffer(raw, np.uint8).reshape(h, w, 3))
    a = np.stack(out).astype(np.float32)  # T H W 3
    return torch.from_numpy(a / 127.5 - 1.0).permute(3, 0, 1, 2).unsqueeze(0).contiguous()

def make_frames(d, src, T, H, W, seed, start):
    os.makedirs(d, exist_ok=True)
    if src:
        subprocess.run(['ffmpeg', '-v', 'error', '-y', '-i', src, '-vf', f'select=gte(n\\,{start}),scale={W}:{H}:flags=area', '-vsync', '0', '-frames:v', str(T), os.path.join(d, 'frame_%03d.png')], check=True)
    else:
        g = np.random.default_rng(seed)
        for t in range(T):
            a = g.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            subprocess.run(['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', f'{W}x{H}', '-i', '-', os.path.join(d, f'frame_{t+1:03d}.png')], input=a.tobytes(), check=True)
    assert len([f for f in os.listdir(d) if f.endswith('.png')]) == T, d

def main(spec_path, out):
    c = json.load(open(spec_path))
    torch.set_num_threads(2)
    os.makedirs(out, exist_ok=True)
    cfg = engine_config(c)
    conf = OmegaConf.create(cfg)
    OmegaConf.resolve(conf)
    torch.manual_seed(c.get('init_seed', 0))
    engine = instantiate_from_config(conf.model).eval()
    init = c.get('init', 'redraw')
    if init == 'redraw': redraw(engine, 0)
    elif init == 'trained': perturb(engine, 3, 0.05)
    sd = {k: v.detach().clone() for k, v in engine.state_dict().items()}
    yaml_cfg = copy.deepcopy(cfg)
    yaml_cfg['model']['params']['loss_config'] = dict(target='vidtok.modules.losses.GeneralLPIPSWithDiscriminator',
        params=dict(dims=3, perceptual_weight=1.0, disc_start=20001, disc_weight=0.2, disc_type='2d', learn_logvar=True))
    open(os.path.join(out, 'model.yaml'), 'w').write(OmegaConf.to_yaml(OmegaConf.create(yaml_cfg)))
    torch.save({'state_dict': sd, 'global_step': 0, 'epoch': 0}, os.path.join(out, 'model.ckpt'))
    B, T, H, W = c.get('batch', 1), c['T'], c['H'], c['W']
    dirs = []
    for b in range(B):
        d = os.path.join(out, f'frames{b}')
        src = c.get('sources', [])[b] if b < len(c.get('sources', [])) else None
        make_frames(d, src, T, H, W, seed=100 + b, start=c.get('start', 0) + 40 * b)
        dirs.append(d)
    x = torch.cat([read_frames(d, T, H, W) for d in dirs], 0)
    res = {}
    with torch.no_grad():
        z_pre = engine.encoder(x) if c['family'] != 'v1_1' else None
        if c['family'] == 'v1_1':
            engine._empty_causal_cached(engine.encoder); engine._set_first_chunk(True)
            z_pre = engine.encoder(x)
        res['z_pre'] = z_pre
        tiled = c.get('tiled', False)
        if tiled:
            engine.use_tiling = True; engine.use_overlap = True; engine.t_chunk_enc = 16
            engine.t_chunk_dec = 16 // engine.encoder.time_downsample_factor
        if c['reg'] == 'fsq':
            z, log = engine.encode(x, return_reg_log=True)
            res['indices'] = log['indices'].to(torch.int32)
            res['rec_untrimmed'] = engine.decode(res['indices'].long(), decode_from_indices=True)
        else:
            if tiled:
                res['posterior_mean'] = engine.encode(x)
            else:
                mean, logvar = torch.chunk(z_pre, 2, dim=1)
                res['posterior_mean'] = mean
            res['rec_untrimmed'] = engine.decode(res['posterior_mean'])
        if c['family'] == 'v1_1':
            res['rec'] = res['rec_untrimmed'][:, :, -T:].contiguous()
        else:
            res['rec'] = res['rec_untrimmed']
        del res['rec_untrimmed']
    res['input'] = x
    for k, v in res.items():
        if k == 'input': continue
        np.save(os.path.join(out, k + '.npy'), v.numpy())
    meta = dict(spec=c, config=cfg['model'], shapes={k: list(v.shape) for k, v in res.items()}, input_range=[float(x.min()), float(x.max())], rec_range=[float(res['rec'].min()), float(res['rec'].max())], torch=torch.__version__,
                params=sum(p.numel() for p in engine.parameters()))
    json.dump(meta, open(os.path.join(out, 'meta.json'), 'w'), indent=1)
    print(out, meta['shapes'], meta['params'])

if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
