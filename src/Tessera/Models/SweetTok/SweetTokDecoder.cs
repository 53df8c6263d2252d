using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The query decoder (<c>SweetTok_Compact_Decoder</c>): a grid of mask tokens per latent frame cross-attends, layer
/// by layer, to the refined spatial latents (repeated over the frames), and after the configured layers each grid
/// position's frames cross-attend to that position's refined temporal latent. Output: logits over the proxy
/// codebook, [B, K, T', g, g].
/// </summary>
internal sealed class SweetTokDecoder : nn.Module
{
    private readonly Parameter spatial_latent_tokens_positional_embedding;
    private readonly Parameter temporal_latent_tokens_positional_embedding;
    private readonly Parameter positional_embedding;
    private readonly Parameter mask_token;
    private readonly Linear decoder_embed;
    private readonly Linear decoder_embed_temporal;
    private readonly Transformer dec_spatial_transformer;
    private readonly Transformer dec_spatial_latent_transformer;
    private readonly ModuleList<Transformer> dec_temporal_transformer;
    private readonly Transformer dec_temporal_latent_transformer;
    private readonly LayerNorm ln_post;
    private readonly Sequential ffn;
    private readonly SweetTokConfig config;

    public SweetTokDecoder(SweetTokConfig config) : base(nameof(SweetTokDecoder))
    {
        this.config = config;
        long dim = config.Dim, grid = config.GridSize;
        var scale = Math.Pow(dim, -0.5);
        spatial_latent_tokens_positional_embedding = nn.Parameter(randn(config.NumSpatialLatentTokens, dim) * scale);
        temporal_latent_tokens_positional_embedding = nn.Parameter(randn(config.NumTemporalLatentTokens, dim) * scale);
        positional_embedding = nn.Parameter(randn(grid * grid, dim) * scale);
        mask_token = nn.Parameter(randn(1, 1, dim) * scale);
        decoder_embed = nn.Linear(dim, dim);
        decoder_embed_temporal = nn.Linear(dim, dim);

        var spatial = new TransformerSpec(dim, config.DecBlock, config.DimHead, config.Heads)
        {
            FfMult = config.FfMult, PegCausal = true, WindowSize = config.WindowSize, SpatialPos = SpatialPosition.Rope,
            AttnNumNullKv = config.AttnNumNullKv,
        };
        dec_spatial_transformer = new Transformer(spatial with { Peg = true, HasCrossAttn = true });
        dec_spatial_latent_transformer = new Transformer(spatial with { PegCausal = false, AttnNumNullKv = 0 });
        var temporal = spatial with { SpatialPos = SpatialPosition.None };
        dec_temporal_transformer = new ModuleList<Transformer>(Enumerable.Range(0, config.TemporalDepth)
            .Select(_ => new Transformer(temporal with { Block = "c", Peg = true, Causal = true, HasCrossAttn = true })).ToArray());
        dec_temporal_latent_transformer = new Transformer(temporal with { Block = new string('t', config.TemporalDepth), AttnNumNullKv = 0 });

        ln_post = nn.LayerNorm(dim);
        ffn = nn.Sequential(nn.Conv2d(dim, 2 * dim, 1), nn.Tanh(), nn.Conv2d(2 * dim, config.ProxyCodebookSize, 1));
        RegisterComponents();
    }

    public Transformer SpatialTransformer => dec_spatial_transformer;
    public Transformer SpatialLatentTransformer => dec_spatial_latent_transformer;
    public Transformer TemporalLatentTransformer => dec_temporal_latent_transformer;
    public IReadOnlyList<Transformer> TemporalBlocks => [.. dec_temporal_transformer];

    /// <param name="spatial">Spatial latents after post-VQ, [B, dim, 1, L_s].</param>
    /// <param name="temporal">Temporal latents after post-VQ, [B, dim, 1, L_t].</param>
    /// <returns>Logits over the proxy codebook, [B, K, T', g, g].</returns>
    public Tensor forward(Tensor spatial, Tensor temporal) => Forward(spatial, temporal, config.LatentFrames);

    /// <summary>Spatial pre-training (T = 1): spatial latents alone → logits of one latent frame [B, K, 1, g, g], the temporal blocks skipped.</summary>
    public Tensor ForwardSpatial(Tensor spatial) => Forward(spatial, null, 1);

    private Tensor Forward(Tensor spatial, Tensor? temporal, long frames)
    {
        using var scope = NewDisposeScope();
        long b = spatial.shape[0], d = config.Dim, g = config.GridSize;
        long ls = spatial.shape[^1];
        var shape = new VideoShape(b, frames, g, g);

        var spatialTokens = decoder_embed.forward(spatial.reshape(b, d, ls).permute(0, 2, 1)).add(spatial_latent_tokens_positional_embedding, Scalars.One);
        TemporalHook? hook = null;
        if (temporal is not null)
        {
            long lt = temporal.shape[^1];
            var temporalTokens = decoder_embed_temporal.forward(temporal.reshape(b, d, lt).permute(0, 2, 1)).add(temporal_latent_tokens_positional_embedding, Scalars.One);
            var temporalLayers = dec_temporal_latent_transformer.ForwardInter(temporalTokens.reshape(b * lt, 1, d), new TransformerCall(IsSpatial: false));
            hook = new TemporalHook(TemporalBlocks, temporalLayers, config.DecTemporalLayers.ToHashSet());
        }
        var repeated = spatialTokens.unsqueeze(1).expand(b, frames, ls, d).reshape(b * frames, ls, d);
        var spatialLayers = dec_spatial_latent_transformer.ForwardInter(repeated, new TransformerCall(IsSpatial: true));

        var grid = mask_token.expand(b, g * g, d).add(positional_embedding, Scalars.One).unsqueeze(1).expand(b, frames, g * g, d).reshape(b * frames, g * g, d);
        var decoded = dec_spatial_transformer.forward(grid, new TransformerCall(shape, IsSpatial: true, Contexts: spatialLayers, Temporal: hook));

        var normed = ln_post.forward(decoded.reshape(b, frames * g * g, d));
        var logits = ffn.forward(normed.permute(0, 2, 1).reshape(b, d, frames, g * g).contiguous());
        return scope.MoveToOuter(logits.reshape(b, logits.shape[1], frames, g, g));
    }
}
