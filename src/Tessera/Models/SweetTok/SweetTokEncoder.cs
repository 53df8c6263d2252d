using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>What the encoder hands on: the patch tokens and both query latents, each [B, dim, 1, L].</summary>
internal sealed record EncoderOutput(Tensor PatchTokens, Tensor Spatial, Tensor Temporal) : IDisposable
{
    public void Dispose()
    {
        PatchTokens.Dispose();
        Spatial.Dispose();
        Temporal.Dispose();
    }
}

/// <summary>
/// The decoupled query encoder (<c>SweetTok_Compact_Encoder</c>). Spatial queries cross-attend, layer by layer, to
/// the time-averaged outputs of a spatial transformer over all latent frames; temporal queries (one per grid
/// position) cross-attend to a causal temporal transformer over the differences of consecutive latent frames at
/// their own position. Neither branch sees the other.
/// </summary>
internal sealed class SweetTokEncoder : nn.Module
{
    private readonly Parameter spatial_latent_tokens_positional_embedding;
    private readonly Parameter temporal_latent_tokens_positional_embedding;
    private readonly PatchEmbedding to_patch_emb_first_frame;
    private readonly PatchEmbedding to_patch_emb;
    private readonly Transformer enc_spatial_transformer;
    private readonly Transformer enc_latent_spatial_transformer;
    private readonly Transformer enc_temporal_transformer;
    private readonly Transformer enc_latent_temporal_transformer;
    private readonly LayerNorm ln_post_spatial;
    private readonly LayerNorm ln_post_temporal;
    private readonly Conv2d conv_out;
    private readonly Conv2d conv_out_temporal;
    private readonly SweetTokConfig config;

    public SweetTokEncoder(SweetTokConfig config) : base(nameof(SweetTokEncoder))
    {
        this.config = config;
        long dim = config.Dim;
        var scale = Math.Pow(dim, -0.5);
        spatial_latent_tokens_positional_embedding = nn.Parameter(randn(config.NumSpatialLatentTokens, dim) * scale);
        temporal_latent_tokens_positional_embedding = nn.Parameter(randn(config.NumTemporalLatentTokens, dim) * scale);
        to_patch_emb_first_frame = new PatchEmbedding(config.Channels, 1, config.PatchSize, dim);
        to_patch_emb = new PatchEmbedding(config.Channels, config.TemporalPatchSize, config.PatchSize, dim);

        var spatial = new TransformerSpec(dim, config.EncBlock, config.DimHead, config.Heads)
        {
            FfMult = config.FfMult, PegCausal = true, WindowSize = config.WindowSize, SpatialPos = SpatialPosition.Rope,
        };
        enc_spatial_transformer = new Transformer(spatial with { Peg = true });
        enc_latent_spatial_transformer = new Transformer(spatial with { HasCrossAttn = true, AttnNumNullKv = 0 });
        var temporal = spatial with { Block = new string('t', config.TemporalDepth), SpatialPos = SpatialPosition.None };
        enc_temporal_transformer = new Transformer(temporal with { Peg = true, Causal = true });
        enc_latent_temporal_transformer = new Transformer(temporal with { HasCrossAttn = true, AttnNumNullKv = 0 });

        ln_post_spatial = nn.LayerNorm(dim);
        ln_post_temporal = nn.LayerNorm(dim);
        conv_out = nn.Conv2d(dim, dim, 1);
        conv_out_temporal = nn.Conv2d(dim, dim, 1);
        RegisterComponents();
    }

    public Transformer SpatialTransformer => enc_spatial_transformer;
    public Transformer LatentSpatialTransformer => enc_latent_spatial_transformer;
    public Transformer TemporalTransformer => enc_temporal_transformer;
    public Transformer LatentTemporalTransformer => enc_latent_temporal_transformer;

    /// <summary>Patch tokens X [B, T', h, w, dim]: the first frame alone, then temporal tubes.</summary>
    public Tensor PatchTokens(Tensor video)
    {
        using var scope = NewDisposeScope();
        var first = to_patch_emb_first_frame.forward(video[.., .., ..1]);
        if (video.shape[2] == 1) return scope.MoveToOuter(first);
        var rest = to_patch_emb.forward(video[.., .., 1..]);
        return scope.MoveToOuter(cat([first, rest], 1));
    }

    /// <param name="video">[B, C, T, H, W] in [−0.5, 0.5].</param>
    /// <param name="spatialQueries">The model's learned spatial queries [L_s, dim].</param>
    /// <param name="temporalQueries">The model's learned temporal queries [L_t, dim].</param>
    public EncoderOutput forward(Tensor video, Tensor spatialQueries, Tensor temporalQueries)
    {
        using var scope = NewDisposeScope();
        var tokens = PatchTokens(video);
        var result = new EncoderOutput(tokens, SpatialBranch(tokens, spatialQueries), TemporalBranch(tokens, temporalQueries));
        scope.MoveToOuter(result.PatchTokens, result.Spatial, result.Temporal);
        return result;
    }

    /// <summary>
    /// Spatial pre-training (T = 1): the spatial branch alone on single frames [B, C, 1, H, W] → the spatial latents
    /// [B, dim, 1, L_s]; the temporal branch, which needs two latent frames, is skipped.
    /// </summary>
    public Tensor ForwardSpatial(Tensor image, Tensor spatialQueries)
    {
        if (image.dim() != 5 || image.shape[2] != 1) throw new ArgumentException($"spatial pre-training takes single frames [B, C, 1, H, W], got [{string.Join(", ", image.shape)}]");
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(SpatialBranch(PatchTokens(image), spatialQueries));
    }

    // Every latent frame through the spatial transformer, each layer's output averaged over time, cross-attended by the queries.
    private Tensor SpatialBranch(Tensor tokens, Tensor spatialQueries)
    {
        var pooled = SpatialContexts(tokens);
        var spatial = spatialQueries.unsqueeze(0).expand(tokens.shape[0], -1, -1).add(spatial_latent_tokens_positional_embedding, Scalars.One);
        spatial = enc_latent_spatial_transformer.forward(spatial, new TransformerCall(IsSpatial: true, Contexts: pooled));
        return Project(ln_post_spatial, conv_out, spatial);
    }

    // The spatial transformer's layers over every latent frame, each averaged over time: what the spatial queries read.
    private Tensor[] SpatialContexts(Tensor tokens)
    {
        long b = tokens.shape[0], t = tokens.shape[1], h = tokens.shape[2], w = tokens.shape[3], d = tokens.shape[4];
        var spatialLayers = enc_spatial_transformer.ForwardInter(tokens.reshape(b * t, h * w, d), new TransformerCall(new VideoShape(b, t, h, w), IsSpatial: true));
        return spatialLayers.Select(s => s.reshape(b, t, h * w, d).mean([1])).ToArray();
    }

    /// <summary>
    /// A diagnostic of the spatial query path (<c>sweettok-codes</c>): each named stage as [B, N, dim] rows — the
    /// time-averaged spatial transformer layers the queries read, the query stream after every latent layer, and
    /// after <c>ln_post</c> and <c>conv_out</c>.
    /// </summary>
    internal IReadOnlyList<(string Name, Tensor Rows)> SpatialTrace(Tensor video, Tensor spatialQueries)
    {
        using var scope = NewDisposeScope();
        var tokens = PatchTokens(video);
        long b = tokens.shape[0], t = tokens.shape[1], h = tokens.shape[2], w = tokens.shape[3], d = tokens.shape[4];
        var trace = new List<(string, Tensor)> { ("patch tokens, time-averaged", tokens.reshape(b, t, h * w, d).mean([1])) };
        var pooled = SpatialContexts(tokens);
        trace.AddRange(pooled.Select((p, i) => ($"context {i} (spatial transformer {(i < pooled.Length - 1 ? $"layer {i}" : "norm_out")})", p)));
        var spatial = spatialQueries.unsqueeze(0).expand(b, -1, -1).add(spatial_latent_tokens_positional_embedding, Scalars.One);
        trace.Add(("queries + positions", spatial));
        var latent = enc_latent_spatial_transformer.ForwardInter(spatial, new TransformerCall(IsSpatial: true, Contexts: pooled));
        trace.AddRange(latent.Select((q, i) => ($"query stream {(i < latent.Length - 1 ? $"after latent layer {i} ({enc_latent_spatial_transformer.Spec.Block[i]})" : "norm_out")}", q)));
        trace.Add(("ln_post", ln_post_spatial.forward(latent[^1])));
        trace.Add(("conv_out", Project(ln_post_spatial, conv_out, latent[^1]).squeeze(2).permute(0, 2, 1)));
        foreach (var (_, rows) in trace) scope.MoveToOuter(rows);
        return trace;
    }

    // Frame differences per grid position; each temporal query is a length-1 sequence attending to its own position.
    private Tensor TemporalBranch(Tensor tokens, Tensor temporalQueries)
    {
        long b = tokens.shape[0], t = tokens.shape[1], h = tokens.shape[2], w = tokens.shape[3], d = tokens.shape[4];
        var diffs = tokens[.., 1..] - tokens[.., ..^1];
        var perPosition = diffs.permute(0, 2, 3, 1, 4).reshape(b * h * w, t - 1, d);
        var temporalLayers = enc_temporal_transformer.ForwardInter(perPosition,
            new TransformerCall(new VideoShape(b, t - 1, h, w), IsSpatial: false));
        var temporal = temporalQueries.unsqueeze(0).expand(b, -1, -1).add(temporal_latent_tokens_positional_embedding, Scalars.One)
            .reshape(b * config.NumTemporalLatentTokens, 1, d);
        temporal = enc_latent_temporal_transformer.forward(temporal, new TransformerCall(IsSpatial: false, Contexts: temporalLayers))
            .reshape(b, config.NumTemporalLatentTokens, d);
        return Project(ln_post_temporal, conv_out_temporal, temporal);
    }

    // [B, L, dim] → LayerNorm → 1×1 conv on [B, dim, L, 1] → [B, dim, 1, L].
    private static Tensor Project(LayerNorm norm, Conv2d conv, Tensor queries)
    {
        var normed = norm.forward(queries).permute(0, 2, 1).unsqueeze(-1);
        var projected = conv.forward(normed);
        return projected.reshape(projected.shape[0], projected.shape[1], 1, projected.shape[2]);
    }
}
