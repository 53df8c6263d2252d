using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// OmniTokenizer's transformer decoder, the proxy's pixel path: a causal temporal stack per grid position (PEG read
/// as a raw reshape), a spatial stack per latent frame, then per-token pixels for the first frame and for each
/// temporal tube. [B, dim, T', h, w] → [B, 3, 1 + (T'−1)·pt, h·p, w·p], unclamped.
/// </summary>
internal sealed class PixelDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Transformer dec_spatial_transformer;
    private readonly Transformer dec_temporal_transformer;
    private readonly ToPixels to_pixels_first_frame;
    private readonly ToPixels to_pixels;

    public PixelDecoder(SweetTokConfig config) : base(nameof(PixelDecoder))
    {
        var spatial = new TransformerSpec(config.PixDim, config.PixBlock, config.PixDimHead, config.PixHeads)
        {
            FfMult = config.FfMult, Peg = true, PegCausal = true, WindowSize = config.WindowSize, SpatialPos = SpatialPosition.Rope,
        };
        dec_spatial_transformer = new Transformer(spatial);
        // The temporal stack keeps the reference default spatial_pos "rel": its bias MLP is loaded, never applied.
        dec_temporal_transformer = new Transformer(spatial with
        {
            Block = new string('t', config.PixTemporalDepth), Causal = true, SpatialPos = SpatialPosition.Rel,
        });
        to_pixels_first_frame = new ToPixels(config.PixDim, config.Channels, 1, config.PatchSize);
        to_pixels = new ToPixels(config.PixDim, config.Channels, config.TemporalPatchSize, config.PatchSize);
        RegisterComponents();
    }

    public Transformer SpatialTransformer => dec_spatial_transformer;
    public Transformer TemporalTransformer => dec_temporal_transformer;

    public override Tensor forward(Tensor latent)
    {
        using var scope = NewDisposeScope();
        long b = latent.shape[0], d = latent.shape[1], t = latent.shape[2], h = latent.shape[3], w = latent.shape[4];
        var shape = new VideoShape(b, t, h, w);
        var tokens = latent.permute(0, 3, 4, 2, 1).reshape(b * h * w, t, d);
        tokens = dec_temporal_transformer.forward(tokens, new TransformerCall(shape, IsSpatial: false));
        tokens = tokens.reshape(b, h * w, t, d).transpose(1, 2).reshape(b * t, h * w, d);
        tokens = dec_spatial_transformer.forward(tokens, new TransformerCall(shape, IsSpatial: true)).reshape(b, t, h, w, d);

        var first = to_pixels_first_frame.forward(tokens[.., ..1]);
        if (t == 1) return scope.MoveToOuter(first);
        return scope.MoveToOuter(cat([first, to_pixels.forward(tokens[.., 1..])], 2));
    }
}
