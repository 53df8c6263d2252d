using Tessera.Models;
using Tessera.Nn;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Inference;

/// <summary>
/// Lets video stay 8-bit until the encoder takes it: an encoder input of uint8 pixels [B, 3, T, H, W] (a view of RGB24
/// frames) is converted to float32 in the card's range here, one tile at a time when this sits under
/// <see cref="TiledAutoencoder"/>, instead of the whole chunk being held as float beforehand. The conversion is element
/// by element (<see cref="VideoClip.ToSigned"/>, then <see cref="ValueRange.FromSigned"/>), so a tile converted alone
/// equals that tile of the converted frames bit for bit. Float inputs pass through unchanged.
/// </summary>
internal sealed class ByteFrames(ICausalAutoencoder inner, ValueRange range) : ICausalAutoencoder
{
    public int TemporalFactor => inner.TemporalFactor;

    public int EncodeSteps => inner.EncodeSteps;

    public int DecodeSteps => inner.DecodeSteps;

    public Tensor EncodeRaw(Tensor video, CausalCache cache)
    {
        if (video.dtype != ScalarType.Byte) return inner.EncodeRaw(video, cache);
        using var x = ToModel(video, range);
        return inner.EncodeRaw(x, cache);
    }

    public Tensor DecodeRaw(Tensor latent, CausalCache cache) => inner.DecodeRaw(latent, cache);

    public int DecodeLookAhead => inner.DecodeLookAhead;

    public void PrepareOverlapDecode(CausalCache cache) => inner.PrepareOverlapDecode(cache);

    /// <summary>uint8 pixels (any layout) as contiguous float32 in <paramref name="range"/>; a new tensor in the caller's scope.</summary>
    public static Tensor ToModel(Tensor bytes, ValueRange range)
    {
        using var scope = NewDisposeScope();
        // One 8-bit copy into the standard layout first, so the float copy is made once and is contiguous, as the
        // whole-frame conversion (VideoClip.ToModelInput) makes it.
        using var dense = bytes.contiguous();
        var signed = VideoClip.ToSigned(dense);
        return range.FromSigned(signed).MoveToOuterDisposeScope();
    }
}
