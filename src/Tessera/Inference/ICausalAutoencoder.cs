using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>A causal encoder/decoder pair that <see cref="TemporalChunker"/> can stream chunk by chunk.</summary>
internal interface ICausalAutoencoder
{
    /// <summary>Input frames per latent frame after the first.</summary>
    int TemporalFactor { get; }

    /// <summary>The <see cref="CausalCache.OnStep"/> calls one <see cref="EncodeRaw"/> makes.</summary>
    int EncodeSteps { get; }

    /// <summary>The <see cref="CausalCache.OnStep"/> calls one <see cref="DecodeRaw"/> makes.</summary>
    int DecodeSteps { get; }

    /// <summary>Encoder output for video [B, 3, T, H, W], before any bottleneck.</summary>
    Tensor EncodeRaw(Tensor video, CausalCache cache);

    /// <summary>Decoder output for latent [B, C, T', H', W'].</summary>
    Tensor DecodeRaw(Tensor latent, CausalCache cache);

    /// <summary>Prepares a cache for decoding chunks that overlap by one latent frame.</summary>
    void PrepareOverlapDecode(CausalCache cache);
}
