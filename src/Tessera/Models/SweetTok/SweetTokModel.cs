using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.SweetTok;

/// <summary>
/// A SweetTok tokenizer (<c>SweetTok_Compact</c>), its fields named like the official state-dict prefixes:
/// learned queries, <c>encoder</c>, pre/post-VQ projections, the two MLC quantisers, <c>decoder</c> and, in the
/// stage-2 layout, the proxy pixel path (<c>pixel_decoder</c>, <c>pixel_codebook</c>, <c>pixel_post_vq_conv</c>).
/// Its typed methods are tensors in, tensors out; the <see cref="TokenizerModel"/> overrides (SweetTokModel.Codes.cs) serve the
/// family seam with the four word groups. The language codebooks are not part of the state dict; set them with
/// <see cref="SetCodebooks"/> (from a model file) or <see cref="RefineCodebooks"/> (from the priors).
/// </summary>
internal sealed partial class SweetTokModel : TokenizerModel
{
    private readonly Parameter latent_spatial_tokens;
    private readonly Parameter latent_temporal_tokens;
    private readonly SweetTokEncoder encoder;
    private readonly SweetTokDecoder decoder;
    private readonly ChannelLinear pre_vq_conv_;
    private readonly ChannelLinear pre_vq_conv_temporal;
    private readonly ChannelLinear post_vq_conv_;
    private readonly ChannelLinear post_vq_conv_temporal;
    private readonly MlcQuantizer quantize;
    private readonly MlcQuantizer quantize_temporal;
    private readonly PixelDecoder? pixel_decoder;
    private readonly ProxyCodebook? pixel_codebook;
    private readonly ChannelLinear? pixel_post_vq_conv;
    private MlcCodebooks? spatialBooks;
    private MlcCodebooks? temporalBooks;

    public SweetTokModel(SweetTokConfig config) : base(nameof(SweetTokModel))
    {
        config.Validate();
        Config = config;
        long dim = config.Dim;
        var scale = Math.Pow(dim, -0.5);
        latent_spatial_tokens = nn.Parameter(randn(config.NumSpatialLatentTokens, dim) * scale);
        latent_temporal_tokens = nn.Parameter(randn(config.NumTemporalLatentTokens, dim) * scale);
        encoder = new SweetTokEncoder(config);
        decoder = new SweetTokDecoder(config);
        pre_vq_conv_ = new ChannelLinear(dim, dim);
        pre_vq_conv_temporal = new ChannelLinear(dim, dim);
        post_vq_conv_ = new ChannelLinear(dim, dim);
        post_vq_conv_temporal = new ChannelLinear(dim, dim);
        quantize = new MlcQuantizer(config.SpatialPriorDim, config.EDim, config.TopK, config.Beta, withMapping: false, config.CentredCodebooks);
        quantize_temporal = new MlcQuantizer(config.TemporalPriorDim, config.EDim, config.TopK, config.Beta, withMapping: true, config.CentredCodebooks);
        if (config.FinetuneDecoder)
        {
            pixel_decoder = new PixelDecoder(config);
            pixel_codebook = new ProxyCodebook(config.ProxyCodebookSize, config.ProxyCodeDim);
            pixel_post_vq_conv = new ChannelLinear(config.ProxyCodeDim, config.PixDim);
        }
        RegisterComponents();
    }

    public SweetTokConfig Config { get; }
    protected internal override ModelConfig ModelConfig => Config;
    public SweetTokEncoder Encoder => encoder;
    public SweetTokDecoder Decoder => decoder;
    public MlcQuantizer SpatialQuantizer => quantize;
    public MlcQuantizer TemporalQuantizer => quantize_temporal;
    public PixelDecoder? PixelDecoder => pixel_decoder;
    public MlcCodebooks? SpatialCodebooks => spatialBooks;
    public MlcCodebooks? TemporalCodebooks => temporalBooks;

    /// <summary>Takes ownership of the adjective/noun and adverb/verb codebooks.</summary>
    public void SetCodebooks(MlcCodebooks spatial, MlcCodebooks temporal)
    {
        foreach (var books in new[] { spatial, temporal })
        {
            if (books.First.dim() != 2 || books.Second.dim() != 2 || books.First.shape[1] != Config.EDim || books.Second.shape[1] != Config.EDim)
                throw new ArgumentException($"codebooks must be [n, {Config.EDim}] (e_dim), got [{string.Join(", ", books.First.shape)}] and [{string.Join(", ", books.Second.shape)}]");
            if (books.First.shape[0] < Config.TopK || books.Second.shape[0] < 1)
                throw new ArgumentException($"the first codebook needs at least top_k = {Config.TopK} words and the second at least one");
        }
        spatialBooks?.Dispose();
        temporalBooks?.Dispose();
        spatialBooks = spatial;
        temporalBooks = temporal;
    }

    /// <summary>Runs both GCNs over their priors and keeps the refined codebooks.</summary>
    public void RefineCodebooks(WordGraph spatialPrior, WordGraph temporalPrior)
    {
        using var noGrad = no_grad();
        SetCodebooks(quantize.Refine(spatialPrior), quantize_temporal.Refine(temporalPrior));
    }

    /// <summary>The quantiser inputs [B, dim, 1, L]: encoder latents through pre-VQ, L2-normalised over all channels.</summary>
    public (Tensor Spatial, Tensor Temporal) EncodeLatents(Tensor video)
    {
        using var scope = NewDisposeScope();
        using var latents = encoder.forward(video, latent_spatial_tokens, latent_temporal_tokens);
        var spatial = nn.functional.normalize(pre_vq_conv_.forward(latents.Spatial), dim: 1);
        var temporal = nn.functional.normalize(pre_vq_conv_temporal.forward(latents.Temporal), dim: 1);
        return (scope.MoveToOuter(spatial), scope.MoveToOuter(temporal));
    }

    /// <summary>
    /// Diagnostics (<c>Tessera.Benchmarks sweettok-codes</c>): the spatial latents before pre-VQ, [B, dim, 1, L_s], and
    /// their pre-VQ projection split into its input-dependent part and its bias (both [B, dim, 1, L_s]).
    /// </summary>
    internal (Tensor Latents, Tensor Linear, Tensor Bias) SpatialPreVqParts(Tensor video)
    {
        using var scope = NewDisposeScope();
        using var latents = encoder.forward(video, latent_spatial_tokens, latent_temporal_tokens);
        var bias = pre_vq_conv_.forward(zeros_like(latents.Spatial));
        var linear = pre_vq_conv_.forward(latents.Spatial) - bias;
        return (scope.MoveToOuter(latents.Spatial.alias()), scope.MoveToOuter(linear), scope.MoveToOuter(bias));
    }

    /// <summary>The spatial query path stage by stage (diagnostic; <see cref="SweetTokEncoder.SpatialTrace"/>).</summary>
    internal IReadOnlyList<(string Name, Tensor Rows)> SpatialTrace(Tensor video) => encoder.SpatialTrace(video, latent_spatial_tokens);

    /// <summary>Spatial pre-training (T = 1): single frames [B, 3, 1, H, W] → the spatial quantiser input [B, dim, 1, L_s].</summary>
    public Tensor EncodeSpatialLatents(Tensor image)
    {
        using var scope = NewDisposeScope();
        using var latents = encoder.ForwardSpatial(image, latent_spatial_tokens);
        return scope.MoveToOuter(nn.functional.normalize(pre_vq_conv_.forward(latents), dim: 1));
    }

    /// <summary>Spatial pre-training: quantised spatial vectors [B, dim, 1, L_s] → logits of one latent frame [B, K, 1, g, g].</summary>
    public Tensor DecodeSpatialLogits(Tensor spatialQuantized)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(decoder.ForwardSpatial(post_vq_conv_.forward(spatialQuantized)));
    }

    /// <summary>Video [B, 3, T, H, W] in [−0.5, 0.5] → codes, quantised vectors and VQ losses.</summary>
    public SweetTokEncoding Encode(Tensor video)
    {
        var (spatialBooks, temporalBooks) = RequireCodebooks();
        using var scope = NewDisposeScope();
        var (zs, zt) = EncodeLatents(video);
        using var s = quantize.forward(zs, spatialBooks);
        using var t = quantize_temporal.forward(zt, temporalBooks);
        var encoding = new SweetTokEncoding(
            new SweetTokCodes(s.FirstIndices.alias(), s.SecondIndices.alias(), t.FirstIndices.alias(), t.SecondIndices.alias()),
            s.Quantized.alias(), t.Quantized.alias(),
            s.QuantizerLoss.add(t.QuantizerLoss, Scalars.One), s.CommitmentLoss.add(t.CommitmentLoss, Scalars.One), s.CodebookLoss.add(t.CodebookLoss, Scalars.One));
        scope.MoveToOuter(encoding.Codes.Adjective, encoding.Codes.Noun, encoding.Codes.Adverb, encoding.Codes.Verb,
            encoding.SpatialQuantized, encoding.TemporalQuantized, encoding.QuantizerLoss, encoding.CommitmentLoss, encoding.CodebookLoss);
        return encoding;
    }

    /// <summary>
    /// The vectors codes stand for, [B, dim, 1, L] per branch: the mean of each query's own k first-codebook rows ‖ its
    /// second-codebook row. (The official <c>get_codebook_entry</c> pairs adjective j with j + L_s instead, which
    /// contradicts the layout its <c>forward</c> emits, and only works for batch 1.)
    /// </summary>
    public (Tensor Spatial, Tensor Temporal) LookUp(SweetTokCodes codes)
    {
        var (spatialBooks, temporalBooks) = RequireCodebooks();
        using var scope = NewDisposeScope();
        return (scope.MoveToOuter(Vectors(codes.Adjective, codes.Noun, spatialBooks)),
            scope.MoveToOuter(Vectors(codes.Adverb, codes.Verb, temporalBooks)));

        static Tensor Vectors(Tensor first, Tensor second, MlcCodebooks books)
        {
            long b = second.shape[0], l = second.shape[1];
            var a = books.First.index_select(0, first.reshape(-1).to_type(ScalarType.Int64)).view(b, l, first.shape[^1], -1).mean([2]);
            var n = books.Second.index_select(0, second.reshape(-1).to_type(ScalarType.Int64)).view(b, l, -1);
            return cat([a, n], 2).permute(0, 2, 1).unsqueeze(2);
        }
    }

    /// <summary>Codes → video [B, 3, T, H, W] in [−0.5, 0.5] through the pixel path (stage-2 decoder or attached proxy), unclamped.</summary>
    public Tensor Decode(SweetTokCodes codes)
    {
        using var scope = NewDisposeScope();
        var (spatial, temporal) = LookUp(codes);
        return scope.MoveToOuter(LogitsToVideo(DecodeLogits(spatial, temporal)));
    }

    /// <summary>The decoder inputs: quantised vectors [B, dim, 1, L] per branch through the post-VQ projections.</summary>
    public (Tensor Spatial, Tensor Temporal) DecoderInputs(Tensor spatialQuantized, Tensor temporalQuantized) =>
        (post_vq_conv_.forward(spatialQuantized), post_vq_conv_temporal.forward(temporalQuantized));

    /// <summary>Stage 1: quantised vectors [B, dim, 1, L] per branch → logits over the proxy codebook [B, K, T', g, g].</summary>
    public Tensor DecodeLogits(Tensor spatialQuantized, Tensor temporalQuantized)
    {
        using var scope = NewDisposeScope();
        var (spatial, temporal) = DecoderInputs(spatialQuantized, temporalQuantized);
        return scope.MoveToOuter(decoder.forward(spatial, temporal));
    }

    /// <summary>softmax over the proxy codes, weighted sum of the proxy code vectors: [B, code dim, T', g, g].</summary>
    public Tensor SoftProxyCodes(Tensor logits)
    {
        var codebook = pixel_codebook ?? throw new InvalidOperationException("this SweetTok model has no pixel path (stage-1 layout)");
        using var scope = NewDisposeScope();
        var soft = logits.softmax(1).permute(0, 2, 3, 4, 1).matmul(codebook.Embeddings);
        return scope.MoveToOuter(soft.permute(0, 4, 1, 2, 3).contiguous());
    }

    /// <summary>Stage 2: logits → proxy pixel decoder → video [B, 3, T, H, W] in [−0.5, 0.5], unclamped.</summary>
    public Tensor DecodePixels(Tensor logits)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(pixel_decoder!.forward(PixelLatent(SoftProxyCodes(logits))));
    }

    /// <summary>
    /// The stage-1 viewing path: proxy code ids [B, T', g, g] (e.g. the argmax of the logits) looked up in the proxy
    /// codebook and decoded to video by the proxy pixel decoder, as the proxy itself decodes.
    /// </summary>
    public Tensor DecodeProxyCodes(Tensor codes)
    {
        var codebook = pixel_codebook ?? throw new InvalidOperationException("this SweetTok model has no pixel path (stage-1 layout)");
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(pixel_decoder!.forward(PixelLatent(codebook.Lookup(codes))));
    }

    /// <summary>Proxy code vectors [B, code dim, T', g, g] → the pixel decoder's input [B, pix dim, T', g, g].</summary>
    public Tensor PixelLatent(Tensor codes) =>
        (pixel_post_vq_conv ?? throw new InvalidOperationException("this SweetTok model has no pixel path (stage-1 layout)")).forward(codes);

    private (MlcCodebooks Spatial, MlcCodebooks Temporal) RequireCodebooks() =>
        (spatialBooks ?? throw new InvalidOperationException("SweetTok codebooks are not set (SetCodebooks or RefineCodebooks)"), temporalBooks!);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            spatialBooks?.Dispose();
            temporalBooks?.Dispose();
            spatialBooks = temporalBooks = null;
            proxyPixels?.Dispose();
            proxyPixels = null;
        }
        base.Dispose(disposing);
    }
}
