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

    /// <summary>
    /// Latent frames each decoded chunk but the last must see beyond itself, their output frames dropped: 1 where the
    /// decoder blends each latent with the next (trilinear temporal upsampling), 0 where it is causal in latent time.
    /// </summary>
    int DecodeLookAhead { get; }

    /// <summary>Prepares a cache for decoding chunks that overlap by <see cref="DecodeLookAhead"/> latent frames (called only when that is positive).</summary>
    void PrepareOverlapDecode(CausalCache cache);
}
