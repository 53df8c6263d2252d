using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Models.VidTok;

/// <summary>The convolution and resampling layers of one VidTok family (v1.0 causal, v1.1 causal, non-causal).</summary>
internal sealed class VidTokLayers(VidTokConfig config)
{
    private CausalPadding? Causal => config.Family switch
    {
        VidTokFamily.CausalV1_0 => CausalPadding.Zeros,
        VidTokFamily.CausalV1_1 => CausalPadding.ReplicateOrCache,
        _ => null,
    };

    /// <summary>Per-frame 2-D convolution (keys weight/bias, Conv2d shapes).</summary>
    public ConvFactory Spatial => (i, o, k) => new Conv(i, o, k, KernelAxes.Spatial2d, padding: (0, k / 2, k / 2));

    /// <summary>Per-pixel 1-D temporal convolution (causal: keys conv.weight/bias; non-causal: weight/bias).</summary>
    public ConvFactory Temporal => Causal is { } mode
        ? (i, o, k) => new CausalConv3d(i, o, k, mode, KernelAxes.Temporal1d)
        : (i, o, k) => new Conv(i, o, k, KernelAxes.Temporal1d, padding: (k / 2, 0, 0));

    /// <summary>3-D convolution for conv_in/conv_out, the mid blocks and the attention projections.</summary>
    public ConvFactory Volume => Causal is { } mode
        ? (i, o, k) => new CausalConv3d(i, o, k, mode)
        : (i, o, k) => new Conv(i, o, k, KernelAxes.Full3d, padding: (k / 2, k / 2, k / 2));

    /// <summary>
    /// The normalisation of one layer: VidTok's channel LayerNorm, or GroupNorm(32) over the axes the reference's
    /// tensor layout at that layer gives it (per frame in the causal models, the whole clip in the non-causal one).
    /// </summary>
    public NormFactory Norm(NormScope groupScope) => config.NormType == NormType.GroupNorm
        ? c => new ChannelGroupNorm(c, groupScope)
        : c => new ChannelLayerNorm(c);

    private NormScope ClipScope => Causal is null ? NormScope.Volume : NormScope.Frame;

    public StreamModule SpatialBlock(long i, long o) => new ResnetBlock(i, o, Spatial, Norm(NormScope.Frame));
    public StreamModule TemporalBlock(long c) => new ResnetBlock(c, c, Temporal, Norm(Causal is null ? NormScope.Time : NormScope.Position), zeroInitLast: true);
    public StreamModule VolumeBlock(long c) => new ResnetBlock(c, c, Volume, Norm(ClipScope));
    public StreamModule Attention(long c) => new AttnBlock(c, Volume, Norm(ClipScope));
    public nn.Module<Tensor, Tensor> NormOut(long c) => Norm(ClipScope)(c);
    public StreamModule TimeDownsample(long c) => new TimeDownsample(c, Causal);
    public StreamModule TimeUpsample(long c, int firstSegment) => new TimeUpsample(c, Causal, config.InterpolationMode, firstSegment);
}
