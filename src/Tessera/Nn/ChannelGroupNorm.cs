using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>Which axes besides a channel group a <see cref="ChannelGroupNorm"/> takes its statistics over.</summary>
internal enum NormScope
{
    /// <summary>Each frame on its own: (channels of a group, H, W) per (b, t). VidTok's per-frame 2-D layout.</summary>
    Frame,

    /// <summary>
    /// Each position and frame on its own: only the group's channels per (b, t, h, w). VidTok's causal 1-D
    /// temporal blocks normalise like this: they fold the pixels into the batch before a rearrange that leaves a
    /// spatial axis of length 1.
    /// </summary>
    Position,

    /// <summary>Each position across time: (channels of a group, T) per (b, h, w). VidTok's non-causal 1-D blocks.</summary>
    Time,

    /// <summary>The whole clip: (channels of a group, T, H, W) per b. VidTok's non-causal 3-D blocks.</summary>
    Volume,
}

/// <summary>
/// GroupNorm with 32 groups and eps 1e-6 (VidTok's <c>norm_type: groupnorm</c>) on [B, C, T, H, W], with the statistics
/// taken over the axes the reference's layout at that layer implies. Keys <c>weight</c>/<c>bias</c>, as torch.nn.GroupNorm.
/// </summary>
internal sealed class ChannelGroupNorm : nn.Module<Tensor, Tensor>
{
    public const int Groups = 32;

    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly NormScope scope;
    private readonly double eps;

    public ChannelGroupNorm(long channels, NormScope scope, double eps = 1e-6) : base(nameof(ChannelGroupNorm))
    {
        if (channels % Groups != 0)
            throw new ConfigException($"groupnorm needs a channel count divisible by {Groups}, got {channels} (use norm_type: layernorm or a width that is a multiple of {Groups})");
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));
        this.scope = scope;
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        switch (scope)
        {
            case NormScope.Volume:
                return nn.functional.group_norm(x, Groups, weight, bias, eps);
            case NormScope.Frame:
            {
                using var frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w);
                using var normed = nn.functional.group_norm(frames, Groups, weight, bias, eps);
                using var back = normed.view(b, t, c, h, w);
                return back.permute(0, 2, 1, 3, 4).contiguous();
            }
            case NormScope.Position:
            {
                using var rows = x.permute(0, 2, 3, 4, 1).reshape(b * t * h * w, c);
                using var normed = nn.functional.group_norm(rows, Groups, weight, bias, eps);
                using var back = normed.view(b, t, h, w, c);
                return back.permute(0, 4, 1, 2, 3).contiguous();
            }
            case NormScope.Time:
            {
                using var series = x.permute(0, 3, 4, 1, 2).reshape(b * h * w, c, t);
                using var normed = nn.functional.group_norm(series, Groups, weight, bias, eps);
                using var back = normed.view(b, h, w, c, t);
                return back.permute(0, 3, 4, 1, 2).contiguous();
            }
            default:
                throw new InvalidOperationException($"unknown norm scope {scope}");
        }
    }
}
