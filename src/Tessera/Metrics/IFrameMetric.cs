using static TorchSharp.torch;

namespace Tessera.Metrics;

/// <summary>A full-reference metric computed per frame (PSNR, SSIM, LPIPS).</summary>
public interface IFrameMetric : IDisposable
{
    /// <summary>Short name used in tables and files ("psnr", "ssim", "lpips_vgg").</summary>
    string Name { get; }

    /// <summary>True when larger values mean closer videos.</summary>
    bool HigherIsBetter { get; }

    /// <summary>One value per frame for two videos [B, 3, T, H, W] (or [3, T, H, W]) in [-1, 1], frames batch-major.</summary>
    double[] PerFrame(Tensor reference, Tensor reconstruction);
}

/// <summary>Maps whole clips to feature vectors for distribution metrics (I3D for FVD).</summary>
public interface IVideoFeatureExtractor : IDisposable
{
    /// <summary>Names the features in results (e.g. <c>i3d_logits400</c>); FVDs compare only between equal names.</summary>
    string Name { get; }
    /// <summary>D, the width of each feature vector.</summary>
    int FeatureDim { get; }

    /// <summary>Features [B, D] float64 for clips [B, 3, T, H, W] in [-1, 1], preprocessed as the extractor's protocol says.</summary>
    Tensor Features(Tensor clips);
}

/// <summary>The parameter-free per-frame metrics as <see cref="IFrameMetric"/>s.</summary>
internal static class FrameMetrics
{
    public static IFrameMetric Psnr { get; } = new Delegating("psnr", true, Metrics.Psnr.PerFrame);
    public static IFrameMetric Ssim { get; } = new Delegating("ssim", true, Metrics.Ssim.PerFrame);

    private sealed class Delegating(string name, bool higherIsBetter, Func<Tensor, Tensor, double[]> perFrame) : IFrameMetric
    {
        public string Name => name;
        public bool HigherIsBetter => higherIsBetter;
        public double[] PerFrame(Tensor reference, Tensor reconstruction) => perFrame(reference, reconstruction);
        public void Dispose() { }
    }
}
