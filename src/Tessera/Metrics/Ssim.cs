using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Metrics;

/// <summary>
/// Structural similarity exactly as VidTok's evaluation computes it: both images average-pooled by
/// f = max(1, round(min(H, W) / 256)), an 11×11 Gaussian window (σ = 1.5) applied per channel without
/// padding, c1 = 0.01², c2 = 0.03² (data range 1), mean over the map and the channels.
/// </summary>
public static class Ssim
{
    /// <summary>Side of the Gaussian window in pixels.</summary>
    public const int WindowSize = 11;
    /// <summary>Standard deviation of the Gaussian window in pixels.</summary>
    public const double Sigma = 1.5;

    /// <summary>Per-frame SSIM for two videos [B, 3, T, H, W] (or [3, T, H, W]) in [-1, 1].</summary>
    public static double[] PerFrame(Tensor reference, Tensor reconstruction)
    {
        using var scope = NewDisposeScope();
        var (x, y) = MetricInput.ToFrames01(reference, reconstruction);
        var f = Math.Max(1, (int)Math.Round(Math.Min(x.shape[2], x.shape[3]) / 256.0, MidpointRounding.ToEven));
        if (f > 1)
        {
            x = nn.functional.avg_pool2d(x, f, f);
            y = nn.functional.avg_pool2d(y, f, f);
        }
        if (x.shape[2] < WindowSize || x.shape[3] < WindowSize)
            throw new InvalidInputException($"SSIM needs frames of at least {WindowSize}x{WindowSize} after pooling, got {x.shape[3]}x{x.shape[2]} (width x height)");
        var channels = x.shape[1];
        var window = Window(x.dtype).expand(channels, 1, WindowSize, WindowSize);
        Tensor Filter(Tensor t) => nn.functional.conv2d(t, window, groups: channels);

        const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
        var muX = Filter(x);
        var muY = Filter(y);
        var sigmaX = Filter(x * x) - muX * muX;
        var sigmaY = Filter(y * y) - muY * muY;
        var sigmaXY = Filter(x * y) - muX * muY;
        var map = (2 * muX * muY).add(Scalars.Of(c1), Scalars.One) * (2 * sigmaXY).add(Scalars.Of(c2), Scalars.One)
            / ((muX * muX).add(muY * muY, Scalars.One).add(Scalars.Of(c1), Scalars.One) * sigmaX.add(sigmaY, Scalars.One).add(Scalars.Of(c2), Scalars.One));
        var perFrame = map.mean([1, 2, 3]);
        return perFrame.to_type(ScalarType.Float64).data<double>().ToArray();
    }

    private static Tensor Window(ScalarType dtype)
    {
        var g = new double[WindowSize];
        for (var i = 0; i < WindowSize; i++)
        {
            var d = i - (WindowSize - 1) / 2.0;
            g[i] = Math.Exp(-d * d / (2 * Sigma * Sigma));
        }
        var sum = g.Sum();
        var g1 = tensor(g.Select(v => v / sum).ToArray()).to_type(dtype);
        return g1.outer(g1).unsqueeze(0).unsqueeze(0);
    }
}
