using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Metrics;

/// <summary>Peak signal-to-noise ratio per frame on [0, 1] images: −10·log10(MSE + 1e-8) (VidTok's evaluation).</summary>
public static class Psnr
{
    /// <summary>Per-frame PSNR in dB for two videos [B, 3, T, H, W] (or [3, T, H, W]) in [-1, 1]; frames in batch-major order.</summary>
    public static double[] PerFrame(Tensor reference, Tensor reconstruction)
    {
        using var scope = NewDisposeScope();
        var (x, y) = MetricInput.ToFrames01(reference, reconstruction);
        var mse = (x - y).pow(Scalars.Of(2)).mean([1, 2, 3]);
        var psnr = -10.0 * mse.add(Scalars.Of(1e-8), Scalars.One).log10();
        return psnr.to_type(ScalarType.Float64).data<double>().ToArray();
    }
}
