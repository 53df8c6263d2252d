using Tessera.Inference;
using Tessera.Nn;
using Tessera.Quantizers;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// A VidTok autoencoder: <c>encoder</c> and <c>decoder</c> (the official state-dict prefixes) and the
/// parameter-free bottleneck (FSQ or KL). <see cref="EncodeRaw"/>/<see cref="DecodeRaw"/> are the low level:
/// tensors in, tensors out, with an explicit cache; <c>VidTokModel.Codes.cs</c> turns them into codes for the
/// VideoTokenizer facade.
/// </summary>
internal sealed partial class VidTokModel : TokenizerModel, IStreamingTokenizer
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;

    public VidTokModel(VidTokConfig config) : base(nameof(VidTokModel))
    {
        config.Validate();
        Config = config;
        encoder = new Encoder(config);
        decoder = new Decoder(config);
        switch (config.Regularizer)
        {
            case FsqBottleneck f: Fsq = new Fsq(f.Levels); break;
            case KlBottleneck k: Gaussian = new DiagonalGaussian(k.Channels); break;
        }
        RegisterComponents();
    }

    public VidTokConfig Config { get; }
    protected internal override ModelConfig ModelConfig => Config;
    public Encoder Encoder => encoder;
    public Decoder Decoder => decoder;

    /// <summary>The FSQ bottleneck, or null for a KL model.</summary>
    public Fsq? Fsq { get; }

    /// <summary>The KL bottleneck, or null for an FSQ model.</summary>
    public DiagonalGaussian? Gaussian { get; }

    /// <summary>Encoder output before the bottleneck: [B, z (FSQ) or 2z (KL), T', H', W'].</summary>
    public Tensor EncodeRaw(Tensor video, CausalCache cache) => encoder.forward(video, cache);

    /// <summary>Decoder output for a latent [B, z, T', H', W'] (v1.0 already trimmed; v1.1 tdf·T' frames).</summary>
    public Tensor DecodeRaw(Tensor latent, CausalCache cache) => decoder.forward(latent, cache);

    // The encoder's first level runs at full resolution (its down-sampler keeps the channels); the decoder's first
    // spatially up-sampling level brings its channels up to full resolution before the last level runs there.
    public override (int Encoder, int Decoder)? FullResolutionChannels()
    {
        var up = Config.SpatialUpsampleLevels.DefaultIfEmpty(0).Min();
        return (Config.Ch * Config.ChMult[0], Config.Ch * Math.Max(Config.ChMult[0], Config.ChMult[up]));
    }

    int ICausalAutoencoder.TemporalFactor => Config.TimeDownsampleFactor;

    int ICausalAutoencoder.EncodeSteps => encoder.Steps;

    int ICausalAutoencoder.DecodeSteps => decoder.Steps;

    // v1.0's decoder is causal in latent time (nearest upsampling); v1.1 decodes with the reference's one-latent overlap.
    int ICausalAutoencoder.DecodeLookAhead => Config.Family == VidTokFamily.CausalV1_1 ? 1 : 0;

    void ICausalAutoencoder.PrepareOverlapDecode(CausalCache cache) => decoder.SetOverlapCacheOffsets(cache);
}
