using Tessera.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>
/// Temporal ÷2 (TimeDownsampleResCausal2x / TimeDownsampleRes2x): blends a (3,1,1) average pool with a
/// stride-2 3×3×3 conv. Causal: one extra frame in front (on the first chunk zeros in v1.0, frame 0 in v1.1;
/// the previous chunk's last frame after it). Non-causal: one zero frame at the end. Keys: mix_factor, conv.*
/// </summary>
internal sealed class TimeDownsample : StreamModule
{
    private readonly Parameter mix_factor;
    private readonly StreamModule conv;
    private readonly CausalPadding? causal;

    public TimeDownsample(long channels, CausalPadding? causal) : base(nameof(TimeDownsample))
    {
        this.causal = causal;
        mix_factor = AlphaBlender.NewMixFactor();
        conv = causal is { } mode
            ? new CausalConv3d(channels, channels, 3, mode, KernelAxes.Full3d, timeStride: 2)
            : new Conv(channels, channels, 3, KernelAxes.Full3d, stride: (2, 1, 1), padding: (0, 1, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, CausalCache cache)
    {
        if (causal is null)
        {
            using var padded = nn.functional.pad(x, [0, 0, 0, 0, 0, 1]);
            using var pooled = Pool(padded);
            using var learned = conv.forward(padded, cache);
            return AlphaBlender.Blend(mix_factor, pooled, learned);
        }
        using (var padded = PadFront(x, causal.Value, cache))
        using (var pooled = Pool(padded))
        using (var learned = conv.forward(x, cache))
            return AlphaBlender.Blend(mix_factor, pooled, learned);
    }

    // AvgPool3d((3,1,1), stride (2,1,1)) written out: libtorch has no CPU bfloat16 avg_pool3d.
    private static Tensor Pool(Tensor x)
    {
        var n = (x.shape[2] - 3) / 2 + 1;
        using var a = x.slice(2, 0, 2 * n - 1, 2);
        using var b = x.slice(2, 1, 2 * n, 2);
        using var c = x.slice(2, 2, 2 * n + 1, 2);
        using var ab = a.add(b, Scalars.One);
        using var abc = ab.add_(c, Scalars.One);
        return abc / 3;
    }

    private Tensor PadFront(Tensor x, CausalPadding mode, CausalCache cache)
    {
        Tensor padded;
        if (cache.IsFirstChunk && mode == CausalPadding.Zeros)
            padded = nn.functional.pad(x, [0, 0, 0, 0, 1, 0]);
        else if (cache.IsFirstChunk)
        {
            using var first = x[.., .., ..1];
            padded = cat([first, x], 2);
        }
        else
        {
            var previous = cache.Get(this) ?? throw new InvalidOperationException("a later chunk reached a temporal downsampler with no cached frame");
            padded = cat([previous, x], 2);
        }
        if (cache.Keeps)
        {
            using var last = padded[.., .., (int)(padded.shape[2] - 1)..];
            cache.Set(this, last);
        }
        return padded;
    }
}
