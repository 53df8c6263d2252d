using Tessera.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Metrics.Fvd;

/// <summary>
/// Fréchet distance between Gaussians fitted to two feature sets:
/// ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁Σ₂), in float64. Covariances are unbiased (N − 1, as numpy.cov).
/// tr √(Σ₁Σ₂) is computed without a non-symmetric matrix square root: Σ₁Σ₂ is similar to the symmetric
/// positive semi-definite S = √Σ₁ Σ₂ √Σ₁, so the trace is Σᵢ √λᵢ(S). √Σ₁ comes from <c>eigh</c> of Σ₁ with
/// negative eigenvalues (rounding) clamped to 0, and negative eigenvalues of S are clamped the same way.
/// This agrees with scipy.linalg.sqrtm's trace without its complex round-off or the ε-offset retry.
/// </summary>
internal static class FrechetDistance
{
    /// <summary>Distance between feature sets [N, D] and [M, D] (N, M ≥ 2).</summary>
    public static double Compute(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var (mu1, s1) = Statistics(a);
        var (mu2, s2) = Statistics(b);
        return Compute(mu1, s1, mu2, s2);
    }

    /// <summary>Mean [D] and unbiased covariance [D, D] (float64) of features [N, D].</summary>
    public static (Tensor Mean, Tensor Covariance) Statistics(Tensor features)
    {
        if (features.dim() != 2) throw new InvalidInputException($"features must be [N, D], got [{string.Join(", ", features.shape)}]");
        if (features.shape[0] < 2) throw new InvalidInputException($"a covariance needs at least 2 feature vectors, got {features.shape[0]}");
        using var scope = NewDisposeScope();
        var x = features.to_type(ScalarType.Float64);
        var mu = x.mean([0]);
        var c = x - mu;
        var cov = c.t().matmul(c) / (x.shape[0] - 1);
        return (mu.MoveToOuterDisposeScope(), cov.MoveToOuterDisposeScope());
    }

    /// <summary>Distance from precomputed statistics (means [D], covariances [D, D]).</summary>
    public static double Compute(Tensor mean1, Tensor cov1, Tensor mean2, Tensor cov2)
    {
        using var scope = NewDisposeScope();
        var m1 = mean1.to_type(ScalarType.Float64);
        var m2 = mean2.to_type(ScalarType.Float64);
        var s1 = Symmetric(cov1.to_type(ScalarType.Float64));
        var s2 = Symmetric(cov2.to_type(ScalarType.Float64));
        long d = m1.shape[0];
        if (m2.shape[0] != d || !s1.shape.SequenceEqual([d, d]) || !s2.shape.SequenceEqual([d, d]))
            throw new InvalidInputException($"feature statistics disagree in size: means [{m1.shape[0]}], [{m2.shape[0]}], covariances [{string.Join(", ", s1.shape)}], [{string.Join(", ", s2.shape)}]");

        var (l1, v1) = linalg.eigh(s1);
        var root1 = (v1 * l1.clamp_min(Scalars.Of(0)).sqrt().unsqueeze(0)).matmul(v1.t());
        var inner = Symmetric(root1.matmul(s2).matmul(root1));
        double traceSqrt = linalg.eigvalsh(inner).clamp_min(Scalars.Of(0)).sqrt().sum().item<double>();

        double meanTerm = (m1 - m2).square().sum().item<double>();
        return meanTerm + s1.trace().item<double>() + s2.trace().item<double>() - 2 * traceSqrt;
    }

    private static Tensor Symmetric(Tensor m) => m.add(m.t(), Scalars.One) / 2;
}

/// <summary>Fréchet Video Distance: <see cref="FrechetDistance"/> between features of real and generated clips.</summary>
public static class Fvd
{
    /// <summary>Features [N, D] float64 of all clips in <paramref name="batches"/> (each [B, 3, T, H, W] in [-1, 1]).</summary>
    public static Tensor Features(IVideoFeatureExtractor extractor, IEnumerable<Tensor> batches)
    {
        var parts = new List<Tensor>();
        try
        {
            foreach (var batch in batches) parts.Add(extractor.Features(batch));
            if (parts.Count == 0) throw new InvalidInputException("no clips given");
            return cat(parts, 0);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>FVD between two sets of clip batches, in the extractor's protocol (see <see cref="I3dFeatureExtractor"/>).</summary>
    public static double Compute(IVideoFeatureExtractor extractor, IEnumerable<Tensor> real, IEnumerable<Tensor> generated)
    {
        using var a = Features(extractor, real);
        using var b = Features(extractor, generated);
        return FrechetDistance.Compute(a, b);
    }
}
