using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// Temporal ×2 (TimeUpsampleResCausal2x / TimeUpsampleRes2x): blends the ×2 upsampled input with a
/// 3×3×3 conv of it. Keys: mix_factor, conv.*
/// </summary>
internal sealed class TimeUpsample : StreamModule
{
    private readonly Parameter mix_factor;
    private readonly StreamModule conv;
    private readonly TemporalInterpolation interpolation;
    private readonly int firstSegment;
    private readonly bool cached;

    /// <param name="causal">Causal padding of the conv, or null for the non-causal model.</param>
    /// <param name="firstSegment">v1.1 trilinear: how many leading latent-derived frames are interpolated as their own
    /// sequence on the first chunk (1 for the deepest temporal upsampler, doubling for each further one).</param>
    /// <param name="channels">Input and output channels.</param>
    /// <param name="interpolation">How frames are doubled in time before the conv.</param>
    public TimeUpsample(long channels, CausalPadding? causal, TemporalInterpolation interpolation, int firstSegment) : base(nameof(TimeUpsample))
    {
        mix_factor = AlphaBlender.NewMixFactor();
        conv = causal is { } mode
            ? new CausalConv3d(channels, channels, 3, mode)
            : new Conv(channels, channels, 3, KernelAxes.Full3d, padding: (1, 1, 1));
        this.interpolation = interpolation;
        this.firstSegment = firstSegment;
        cached = causal is not null && interpolation == TemporalInterpolation.Trilinear;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        using var up = cached ? UpsampleStreaming(x, cache) : Interpolate(x);
        using var learned = conv.forward(up, cache);
        return AlphaBlender.Blend(mix_factor, up, learned);
    }

    private Tensor Interpolate(Tensor x) => interpolation == TemporalInterpolation.Nearest
        ? x.repeat_interleave(2, dim: 2)
        : nn.functional.interpolate(x, scale_factor: [2, 1, 1], mode: InterpolationMode.Trilinear, align_corners: false);

    // v1.1: the first `firstSegment` frames of a video are interpolated on their own so that the first
    // latent never blends with the next; later chunks carry `firstSegment` frames over as left context.
    private Tensor UpsampleStreaming(Tensor x, CausalCache cache)
    {
        var n = firstSegment;
        if (cache.IsFirstChunk)
        {
            if (cache.Keeps)
            {
                using var tail = x[.., .., (int)Math.Max(0, x.shape[2] - n)..];
                cache.Set(this, tail);
            }
            if (x.shape[2] <= n) return Interpolate(x);
            using var headFrames = x[.., .., ..n];
            using var restFrames = x[.., .., n..];
            using var head = Interpolate(headFrames);
            using var rest = Interpolate(restFrames);
            return cat([head, rest], 2);
        }
        var previous = cache.Get(this) ?? throw new InvalidOperationException("a later chunk reached a temporal upsampler with no cached frames");
        using var joined = cat([previous, x], 2);
        var len = (int)joined.shape[2];
        if (cache.Keeps)
        {
            using var carried = joined[.., .., Math.Max(0, len - 2 * n)..Math.Max(0, len - n)];
            cache.Set(this, carried);
        }
        using var upsampled = Interpolate(joined);
        using var fresh = upsampled[.., .., (2 * n)..];
        return fresh.contiguous();
    }
}
