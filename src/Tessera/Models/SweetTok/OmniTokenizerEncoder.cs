using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// OmniTokenizer's transformer encoder (the proxy's): patch tokens, a spatial stack per latent frame (PEG, RoPE,
/// window layers), then a causal temporal stack per grid position. [B, 3, T, H, W] → [B, dim, T', h, w].
/// </summary>
internal sealed class OmniTokenizerEncoder : nn.Module<Tensor, Tensor>
{
    private readonly PatchEmbedding to_patch_emb_first_frame;
    private readonly PatchEmbedding to_patch_emb;
    private readonly Transformer enc_spatial_transformer;
    private readonly Transformer enc_temporal_transformer;

    public OmniTokenizerEncoder(SweetTokConfig config) : base(nameof(OmniTokenizerEncoder))
    {
        to_patch_emb_first_frame = new PatchEmbedding(config.Channels, 1, config.PatchSize, config.PixDim);
        to_patch_emb = new PatchEmbedding(config.Channels, config.TemporalPatchSize, config.PatchSize, config.PixDim);
        var spatial = new TransformerSpec(config.PixDim, config.ProxyEncBlock, config.PixDimHead, config.PixHeads)
        {
            FfMult = config.FfMult, Peg = true, PegCausal = true, WindowSize = config.WindowSize, SpatialPos = SpatialPosition.Rope,
        };
        enc_spatial_transformer = new Transformer(spatial);
        // As in the pixel decoder, the temporal stack keeps the default "rel" bias MLP, loaded but never applied.
        enc_temporal_transformer = new Transformer(spatial with
        {
            Block = new string('t', config.ProxyTemporalDepth), Causal = true, SpatialPos = SpatialPosition.Rel,
        });
        RegisterComponents();
    }

    public override Tensor forward(Tensor video)
    {
        using var scope = NewDisposeScope();
        var tokens = to_patch_emb_first_frame.forward(video[.., .., ..1]);
        if (video.shape[2] > 1) tokens = cat([tokens, to_patch_emb.forward(video[.., .., 1..])], 1);
        long b = tokens.shape[0], t = tokens.shape[1], h = tokens.shape[2], w = tokens.shape[3], d = tokens.shape[4];
        var shape = new VideoShape(b, t, h, w);
        var x = enc_spatial_transformer.forward(tokens.reshape(b * t, h * w, d), new TransformerCall(shape, IsSpatial: true));
        x = x.reshape(b, t, h * w, d).transpose(1, 2).reshape(b * h * w, t, d);
        x = enc_temporal_transformer.forward(x, new TransformerCall(shape, IsSpatial: false));
        return scope.MoveToOuter(x.reshape(b, h, w, t, d).permute(0, 4, 3, 1, 2).contiguous());
    }
}
