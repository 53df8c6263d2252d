using static TorchSharp.torch;

namespace Tessera.Video;

/// <summary>The YIQ (NTSC) colour space: luma Y and the chroma plane (I, Q), linear in RGB, grey at I = Q = 0.</summary>
internal static class Yiq
{
    /// <summary>RGB to YIQ, rows Y, I, Q.</summary>
    public static readonly double[,] FromRgb =
    {
        { 0.299, 0.587, 0.114 },
        { 0.595716, -0.274453, -0.321263 },
        { 0.211456, -0.522591, 0.311135 },
    };

    /// <summary>
    /// The chroma (I, Q) of RGB values along dimension <paramref name="channelDim"/> (3 entries there, 2 in the result).
    /// Linear, so it applies to differences and to values scaled to [-1, 1] alike.
    /// </summary>
    public static Tensor Chroma(Tensor rgb, long channelDim)
    {
        var rows = new float[6];
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < 3; j++)
                rows[i * 3 + j] = (float)FromRgb[i + 1, j];
        using var iq = tensor(rows, [2, 3]).to(rgb.dtype).to(rgb.device);
        return rgb.movedim([channelDim], [-1]).matmul(iq.t()).movedim([-1], [channelDim]);
    }
}
