using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>
/// Convolutions that stay off the oneDNN kernels found wrong for channel counts that are not a multiple of 16. On an
/// AMD Zen 5 EPYC (family 26) with libtorch 2.10, a [B, C, ...]-contiguous input with such a channel count gave
/// bfloat16 outputs 13–43% off (relative L2) and, in float32, wrong or NaN input gradients and now and then an output
/// channel of NaN; the same convolutions on a channels-last input were exact to rounding. With a channels-last input
/// the input gradient was still wrong for an odd number of output channels (1 or 3), so those kernels get zero output
/// channels up to a multiple of four, cut off again after the convolution. Channel counts that are multiples of 16
/// (every inner layer of the official models) run unchanged.
/// </summary>
internal static class TailSafeConv
{
    public static Tensor Conv3d(Tensor x, Tensor kernel, Tensor? bias, long[] stride, long[] padding) =>
        Convolve(x, kernel, bias, stride, padding, [1, 1, 1], 1);

    /// <summary>A 1-D, 2-D or 3-D convolution (by the kernel's rank) with zero padding.</summary>
    public static Tensor Convolve(Tensor x, Tensor kernel, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups)
    {
        var inChannels = kernel.shape[1] * groups;
        var outChannels = kernel.shape[0];
        if (groups != 1 || (inChannels % 16 == 0 && outChannels % 16 == 0))
            return Plain(x, kernel, bias, stride, padding, dilation, groups);
        using var scope = NewDisposeScope();
        var input = ChannelsLastStrides(x);
        var padded = outChannels % 4 == 0 ? 0 : 4 - outChannels % 4;
        if (padded > 0)
        {
            var pads = new long[2 * kernel.dim()];
            pads[^1] = padded;
            kernel = nn.functional.pad(kernel, pads);
            if (bias is not null) bias = nn.functional.pad(bias, [0, padded]);
        }
        var y = Plain(input, kernel, bias, stride, padding, dilation, 1);
        if (padded > 0) y = y.narrow(1, 0, outChannels);
        return y.MoveToOuterDisposeScope();
    }

    private static Tensor Plain(Tensor x, Tensor kernel, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups) => kernel.dim() switch
    {
        3 => nn.functional.conv1d(x, kernel, bias, stride[0], padding[0], dilation[0], groups),
        4 => nn.functional.conv2d(x, kernel, bias, stride, padding, dilation, groups),
        5 => nn.functional.conv3d(x, kernel, bias, stride, padding, dilation, groups),
        _ => throw new ArgumentException($"a convolution kernel has rank 3 to 5, got {kernel.dim()}"),
    };

    /// <summary>The same [B, C, ...] tensor with its channels innermost in memory (a copy unless they already are).</summary>
    private static Tensor ChannelsLastStrides(Tensor x)
    {
        using var last = Layout.ChannelsLast(x);
        using var dense = last.contiguous();
        return Layout.ChannelsFirst(dense);
    }
}

/// <summary>
/// A TorchSharp Conv1d/2d/3d whose forward goes through <see cref="TailSafeConv"/>; it keeps the wrapped layer's
/// parameters (and their initialisation) under the same state-dict keys, <c>weight</c> and <c>bias</c>.
/// </summary>
internal sealed class TailSafeConvLayer : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter weight;
    private readonly TorchSharp.Modules.Parameter? bias;
    private readonly long[] stride;
    private readonly long[] padding;
    private readonly long[] dilation;
    private readonly long groups;

    public TailSafeConvLayer(TorchSharp.Modules.Convolution conv) : base(conv.GetName())
    {
        if (conv.transposed || conv.padding_mode != TorchSharp.PaddingModes.Zeros)
            throw new ArgumentException("only zero-padded, non-transposed convolutions are wrapped", nameof(conv));
        weight = conv.weight!;
        bias = conv.bias;
        stride = conv.stride;
        padding = conv.padding ?? throw new ArgumentException("explicit padding expected", nameof(conv));
        dilation = conv.dilation;
        groups = conv.groups;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => TailSafeConv.Convolve(x, weight, bias, stride, padding, dilation, groups);
}
