using Tessera.Nn;
using Tessera.Video;
using static TorchSharp.torch;

namespace Tessera.Training.Data;

/// <summary>
/// Turns the hue of RGB frames by an angle: the (I, Q) chroma plane of YIQ (NTSC) is rotated, luma Y is kept, and the
/// result is clipped to [-1, 1]. The map is linear and sends grey to grey, so it applies to frames scaled to [-1, 1]
/// as it does to [0, 1].
/// </summary>
internal static class HueRotation
{
    /// <summary>The 3x3 RGB-to-RGB matrix of a hue turn by <paramref name="radians"/>.</summary>
    public static double[,] Matrix(double radians)
    {
        var (sin, cos) = Math.SinCos(radians);
        var rotate = new double[,] { { 1, 0, 0 }, { 0, cos, -sin }, { 0, sin, cos } };
        return Multiply(Invert(Yiq.FromRgb), Multiply(rotate, Yiq.FromRgb));
    }

    /// <summary>Rotates the hue of <paramref name="rgb"/> [3, ...] (channels first) and clips it to [-1, 1].</summary>
    public static Tensor Apply(Tensor rgb, double radians)
    {
        using var scope = NewDisposeScope();
        var m = Matrix(radians);
        var flat = new float[9];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                flat[i * 3 + j] = (float)m[i, j];
        var matrix = tensor(flat, [3, 3]).to(rgb.device);
        var turned = matrix.matmul(rgb.reshape(3, -1)).reshape(rgb.shape).clamp_(Scalars.Of(-1.0), Scalars.Of(1.0));
        return turned.MoveToOuterDisposeScope();
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var c = new double[3, 3];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                for (var k = 0; k < 3; k++)
                    c[i, j] += a[i, k] * b[k, j];
        return c;
    }

    private static double[,] Invert(double[,] a)
    {
        var det = a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
                - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
                + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]);
        var inv = new double[3, 3];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
            {
                // Cofactor of a[j, i] (the adjugate is the transposed cofactor matrix).
                int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
                inv[i, j] = (a[r0, c0] * a[r1, c1] - a[r0, c1] * a[r1, c0]) / det;
            }
        return inv;
    }
}
