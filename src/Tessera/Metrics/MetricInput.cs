using Tessera.Nn;
using static TorchSharp.torch;

namespace Tessera.Metrics;

internal static class MetricInput
{
    /// <summary>Two videos in [-1, 1] → frames [N, 3, H, W] in [0, 1] (clamped), float32.</summary>
    public static (Tensor X, Tensor Y) ToFrames01(Tensor reference, Tensor reconstruction)
    {
        if (!reference.shape.SequenceEqual(reconstruction.shape))
            throw new InvalidInputException($"metric inputs differ in shape: [{string.Join(", ", reference.shape)}] vs [{string.Join(", ", reconstruction.shape)}]");
        return (Frames(reference), Frames(reconstruction));
    }

    private static Tensor Frames(Tensor v)
    {
        var x = v.dim() == 4 ? v.unsqueeze(0) : v;
        if (x.dim() != 5 || x.shape[1] != 3)
            throw new InvalidInputException($"metrics expect videos [B, 3, T, H, W], got [{string.Join(", ", v.shape)}]");
        // [B, 3, T, H, W] -> [B·T, 3, H, W]
        var frames = x.permute(0, 2, 1, 3, 4).reshape(-1, x.shape[1], x.shape[3], x.shape[4]);
        return frames.to_type(ScalarType.Float32).clamp(Scalars.Of(-1.0), Scalars.Of(1.0)).add(Scalars.Of(1), Scalars.One) / 2;
    }
}
