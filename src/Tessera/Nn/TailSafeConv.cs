using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>
/// A 3-D convolution that stays off the oneDNN kernels found wrong for channel counts that are not a multiple of
/// 16. On an AMD Zen 5 EPYC (family 26) with libtorch 2.10, a [B, C, T, H, W]-contiguous input with such a channel
/// count gave bfloat16 outputs 15–40% off (relative L2) and, in float32, an output channel of NaN now and then;
/// the same convolutions on a channels-last input were exact to rounding. With a channels-last input the input
/// gradient was still wrong for an odd number of output channels (1 or 3), so those kernels get zero output channels
/// up to a multiple of four, cut off again after the convolution. Channel counts that are multiples of 16 (every
/// inner layer of the official models) run unchanged.
/// </summary>
internal static class TailSafeConv
{
    public static Tensor Conv3d(Tensor x, Tensor kernel, Tensor? bias, long[] stride, long[] padding)
    {
        var inChannels = kernel.shape[1];
        var outChannels = kernel.shape[0];
        if (inChannels % 16 == 0 && outChannels % 16 == 0)
            return nn.functional.conv3d(x, kernel, bias, strides: stride, padding: padding);
        using var scope = NewDisposeScope();
        var input = ChannelsLastStrides(x);
        var padded = outChannels % 4 == 0 ? 0 : 4 - outChannels % 4;
        if (padded > 0)
        {
            kernel = nn.functional.pad(kernel, [0, 0, 0, 0, 0, 0, 0, 0, 0, padded]);
            if (bias is not null) bias = nn.functional.pad(bias, [0, padded]);
        }
        var y = nn.functional.conv3d(input, kernel, bias, strides: stride, padding: padding);
        if (padded > 0) y = y.narrow(1, 0, outChannels);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The same [B, C, T, H, W] tensor with its channels innermost in memory (a copy unless they already are).</summary>
    private static Tensor ChannelsLastStrides(Tensor x)
    {
        using var last = Layout.ChannelsLast(x);
        using var dense = last.contiguous();
        return Layout.ChannelsFirst(dense);
    }
}
