using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// The OmniTokenizer VQ tokenizer SweetTok is distilled from, in its own checkpoint layout (<c>encoder</c>,
/// <c>pre_vq_conv</c>, <c>codebook</c>, <c>decoder</c>, <c>post_vq_conv</c>). Its codes are SweetTok's stage-1
/// targets; its decoder, codebook and post-VQ projection seed SweetTok's <c>pixel_*</c> modules.
/// </summary>
internal sealed class ProxyTokenizer : nn.Module
{
    private readonly OmniTokenizerEncoder encoder;
    private readonly ChannelLinear pre_vq_conv;
    private readonly ProxyCodebook codebook;
    private readonly PixelDecoder decoder;
    private readonly ChannelLinear post_vq_conv;

    public ProxyTokenizer(SweetTokConfig config) : base(nameof(ProxyTokenizer))
    {
        config.Validate();
        encoder = new OmniTokenizerEncoder(config);
        pre_vq_conv = new ChannelLinear(config.PixDim, config.ProxyCodeDim);
        codebook = new ProxyCodebook(config.ProxyCodebookSize, config.ProxyCodeDim);
        decoder = new PixelDecoder(config);
        post_vq_conv = new ChannelLinear(config.ProxyCodeDim, config.PixDim);
        RegisterComponents();
    }

    /// <summary>Video [B, 3, T, H, W] in [−0.5, 0.5] → code ids [B, T', h, w]: nearest code to the L2-normalised latent.</summary>
    public Tensor Encode(Tensor video)
    {
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(pre_vq_conv.forward(encoder.forward(video)), dim: 1);
        long b = z.shape[0], c = z.shape[1], t = z.shape[2], h = z.shape[3], w = z.shape[4];
        var flat = z.permute(0, 2, 3, 4, 1).reshape(-1, c);
        var embeddings = codebook.Embeddings;
        // The reference's order of terms: ‖z‖² − 2 z·e + ‖e‖².
        var distances = (flat.pow(Scalars.Of(2)).sum(1, keepdim: true) - 2 * flat.matmul(embeddings.t()))
            .add(embeddings.t().pow(Scalars.Of(2)).sum(0, keepdim: true), Scalars.One);
        return scope.MoveToOuter(distances.argmin(1).view(b, t, h, w));
    }

    public ProxyCodebook Codebook => codebook;
    public ChannelLinear PostVqConv => post_vq_conv;
    public PixelDecoder Decoder => decoder;

    /// <summary>Code ids [B, T', h, w] → video [B, 3, T, H, W], unclamped.</summary>
    public Tensor Decode(Tensor codes)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(DecodeVectors(codebook.Lookup(codes)));
    }

    /// <summary>Code vectors [B, code dim, T', h, w] (looked up or soft) → video [B, 3, T, H, W], unclamped.</summary>
    public Tensor DecodeVectors(Tensor vectors)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(decoder.forward(post_vq_conv.forward(vectors)));
    }
}
