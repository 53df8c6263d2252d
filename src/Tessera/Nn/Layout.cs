using static TorchSharp.torch;

namespace Tessera.Nn;

/// <summary>Moves the channel axis between dim 1 ([B, C, ...]) and the last dim ([B, ..., C]) as a view.</summary>
internal static class Layout
{
    public static Tensor ChannelsLast(Tensor x)
    {
        var rank = x.dim();
        var order = new long[rank];
        order[0] = 0;
        for (var i = 1; i < rank - 1; i++) order[i] = i + 1;
        order[rank - 1] = 1;
        return x.permute(order);
    }

    public static Tensor ChannelsFirst(Tensor x)
    {
        var rank = x.dim();
        var order = new long[rank];
        order[0] = 0;
        order[1] = rank - 1;
        for (var i = 2; i < rank; i++) order[i] = i - 1;
        return x.permute(order);
    }
}
