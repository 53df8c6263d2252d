using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>Where a self-attention gets its position information.</summary>
internal enum SpatialPosition
{
    None,
    /// <summary>2-D rotary embedding on q and k (spatial calls only).</summary>
    Rope,
    /// <summary>A continuous position bias MLP; its weights exist but the reference's SDPA path never adds it.</summary>
    Rel,
}

/// <summary>
/// OmniTokenizer attention: cosine-similarity attention with learned per-dim q/k scales and softmax scale 8.
/// Self-attention projects K and V from the raw residual stream (only Q sees <c>norm</c>); cross-attention
/// projects them from <c>context_norm(context)</c>. Optional null key/values are prepended. Causal layers use a
/// top-left lower-triangular mask and nothing else (the reference's ALiBi bias is never applied on its SDPA path).
/// Keys: norm, [context_norm], to_q, to_kv, q_scale, k_scale, to_out, [null_kv], [spatial_rel_pos_bias].
/// </summary>
internal sealed class Attention : nn.Module
{
    private const double Scale = 8.0;

    private readonly GammaLayerNorm norm;
    private readonly GammaLayerNorm? context_norm;
    private readonly Linear to_q;
    private readonly Linear to_kv;
    private readonly Linear to_out;
    private readonly Parameter q_scale;
    private readonly Parameter k_scale;
    private readonly Parameter? null_kv;
    private readonly ContinuousPositionBias? spatial_rel_pos_bias;
    private readonly long heads;
    private readonly long dimHead;
    private readonly bool causal;
    private readonly bool rope;

    public Attention(long dim, long dimHead, long heads, bool causal, int numNullKv, bool normContext, SpatialPosition spatialPos)
        : base(nameof(Attention))
    {
        this.heads = heads;
        this.dimHead = dimHead;
        this.causal = causal;
        rope = spatialPos == SpatialPosition.Rope;
        var inner = dimHead * heads;
        if (spatialPos == SpatialPosition.Rel) spatial_rel_pos_bias = new ContinuousPositionBias(dim, heads);
        norm = new GammaLayerNorm(dim);
        if (normContext) context_norm = new GammaLayerNorm(dim);
        if (numNullKv > 0) null_kv = nn.Parameter(randn(heads, 2 * numNullKv, dimHead));
        to_q = nn.Linear(dim, inner, hasBias: false);
        to_kv = nn.Linear(dim, 2 * inner, hasBias: false);
        q_scale = nn.Parameter(ones(dimHead));
        k_scale = nn.Parameter(ones(dimHead));
        to_out = nn.Linear(inner, dim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>
    /// Attends from <paramref name="x"/> [B, N, dim] to itself, or to <paramref name="context"/> [B, M, dim];
    /// rotary positions apply to self-attention in spatial calls. Returns the residual increment [B, N, dim].
    /// </summary>
    public Tensor forward(Tensor x, Tensor? context = null, bool isSpatial = true)
    {
        using var scope = NewDisposeScope();
        var kvInput = context is null ? x : context_norm is null ? context : context_norm.forward(context);
        var normed = norm.forward(x);
        long b = x.shape[0], n = x.shape[1];

        var q = to_q.forward(normed).view(b, n, heads, dimHead);
        var kv = to_kv.forward(kvInput).chunk(2, -1);
        long m = kvInput.shape[1];
        var k = kv[0].reshape(b, m, heads, dimHead);
        var v = kv[1].reshape(b, m, heads, dimHead);
        if (rope && isSpatial)
        {
            var angles = Rope2d.Angles(n, dimHead, x.device);
            q = Rope2d.Apply(q, angles);
            k = Rope2d.Apply(k, angles);
        }
        q = q.transpose(1, 2);
        k = k.transpose(1, 2);
        v = v.transpose(1, 2);

        if (null_kv is not null)
        {
            // null_kv is (heads, (n r), d) with r = 2: even slots are keys, odd slots values.
            var pairs = null_kv.view(heads, -1, 2, dimHead);
            var nk = pairs.select(2, 0).unsqueeze(0).expand(b, -1, -1, -1);
            var nv = pairs.select(2, 1).unsqueeze(0).expand(b, -1, -1, -1);
            k = cat([nk, k], 2);
            v = cat([nv, v], 2);
        }

        q = nn.functional.normalize(q, dim: -1) * q_scale;
        k = nn.functional.normalize(k, dim: -1) * k_scale;
        var sim = q.matmul(k.transpose(-2, -1)) * Scale;
        if (causal)
        {
            long keys = sim.shape[^1];
            using var allowed = ones(n, keys, ScalarType.Bool, x.device).tril();
            sim = sim.masked_fill(allowed.logical_not(), Scalars.Of(double.NegativeInfinity));
        }
        var attended = sim.softmax(-1).matmul(v).transpose(1, 2).reshape(b, n, heads * dimHead);
        return scope.MoveToOuter(to_out.forward(attended));
    }
}
