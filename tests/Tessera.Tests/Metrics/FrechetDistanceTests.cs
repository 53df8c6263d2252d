using System.Globalization;
using Tessera.Checkpoints;
using Tessera.Metrics.Fvd;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Metrics;

[DisposeScopePerTest]
public class FrechetDistanceTests(ITestOutputHelper output)
{
    [Fact]
    public void OneDimensionalByHand()
    {
        // a = {0, 2}: mean 1, unbiased variance 2. b = {1, 5}: mean 3, variance 8.
        // FD = (1 − 3)² + 2 + 8 − 2·√(2·8) = 4 + 10 − 8 = 6.
        using var a = tensor(new double[] { 0, 2 }).reshape(2, 1);
        using var b = tensor(new double[] { 1, 5 }).reshape(2, 1);
        Assert.Equal(6.0, FrechetDistance.Compute(a, b), 12);
    }

    [Fact]
    public void DiagonalCovariancesByHand()
    {
        // Independent axes: FD = Σ (μ₁ − μ₂)² + (σ₁ − σ₂)² per axis.
        // a: axis 0 {−1, 1} (var 2), axis 1 {0, 0} → var 0. b: axis 0 {0, 4} (mean 2, var 8), axis 1 {−3, 3} (var 18).
        using var a = tensor(new double[] { -1, 0, 1, 0 }).reshape(2, 2);
        using var b = tensor(new double[] { 0, -3, 4, 3 }).reshape(2, 2);
        double expected = 4 + Math.Pow(Math.Sqrt(2) - Math.Sqrt(8), 2) + Math.Pow(0 - Math.Sqrt(18), 2);
        Assert.Equal(expected, FrechetDistance.Compute(a, b), 10);
    }

    [Fact]
    public void IdenticalSetsAreAtDistanceZeroAndFloat32IsPromoted()
    {
        manual_seed(3);
        using var a = randn(50, 20);
        double d = FrechetDistance.Compute(a, a);
        Assert.True(Math.Abs(d) < 1e-9, $"FD(a, a) = {d}");
    }

    private sealed class ChannelMeans : Tessera.Metrics.IVideoFeatureExtractor
    {
        public string Name => "channel_means";
        public int FeatureDim => 3;
        public Tensor Features(Tensor clips) => clips.mean([2, 3, 4]).to_type(ScalarType.Float64);
        public void Dispose() { }
    }

    [Fact]
    public void FvdPoolsBatchesThenTakesTheDistance()
    {
        manual_seed(5);
        var real = new[] { randn(new long[] { 3, 3, 2, 4, 4 }), randn(new long[] { 2, 3, 2, 4, 4 }) };
        var fake = new[] { randn(new long[] { 4, 3, 2, 4, 4 }) * 2 + 0.5 };
        using var extractor = new ChannelMeans();
        using var fr = cat(real.Select(r => r.mean([2, 3, 4])).ToList(), 0);
        using var ff = fake[0].mean([2, 3, 4]);
        Assert.Equal(FrechetDistance.Compute(fr, ff), Fvd.Compute(extractor, real, fake), 9);
        foreach (var t in real.Concat(fake)) t.Dispose();
    }

    [Fact]
    public void RejectsBadShapes()
    {
        using var one = zeros(new long[] { 1, 4 }, dtype: ScalarType.Float64);
        using var two = zeros(new long[] { 2, 4 }, dtype: ScalarType.Float64);
        using var other = zeros(new long[] { 2, 5 }, dtype: ScalarType.Float64);
        Assert.Throws<InvalidInputException>(() => FrechetDistance.Compute(one, two));
        Assert.Throws<InvalidInputException>(() => FrechetDistance.Compute(two, other));
    }

    private const string ScipyScript = """
        import sys
        import numpy as np
        import scipy.linalg
        def fd(a, b):
            mu1, mu2 = a.mean(0), b.mean(0)
            s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
            covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
            return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))
        for i in range(1, len(sys.argv), 2):
            print(repr(fd(np.load(sys.argv[i]), np.load(sys.argv[i + 1]))))
        """;

    /// <summary>Against the usual scipy.linalg.sqrtm formula (numpy.cov, real part of the trace) on fixed random features.</summary>
    [PythonFact("numpy", "scipy")]
    public void MatchesScipySqrtm()
    {
        using var dir = new TempDir();
        manual_seed(20240611);
        // Two full-rank cases (N > D) with different means, scales and correlations, and a rank-deficient one (N < D).
        var cases = new List<(Tensor A, Tensor B)>
        {
            (randn(200, 16, dtype: ScalarType.Float64), randn(150, 16, dtype: ScalarType.Float64).matmul(randn(16, 16, dtype: ScalarType.Float64) * 0.4) + 0.7),
            (randn(300, 32, dtype: ScalarType.Float64) * 30 + 5, randn(300, 32, dtype: ScalarType.Float64).matmul(randn(32, 32, dtype: ScalarType.Float64)) * 20),
            (randn(24, 40, dtype: ScalarType.Float64), randn(30, 40, dtype: ScalarType.Float64) * 1.5 + 0.2),
        };
        var args = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            Npy.Save(dir.File($"a{i}.npy"), cases[i].A);
            Npy.Save(dir.File($"b{i}.npy"), cases[i].B);
            args.Add(dir.File($"a{i}.npy"));
            args.Add(dir.File($"b{i}.npy"));
        }
        int rc = TestPaths.RunPython(ScipyScript, out var stdout, out var stderr, 120_000, [.. args]);
        Assert.True(rc == 0, stderr);
        var expected = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(cases.Count, expected.Length);
        for (int i = 0; i < cases.Count; i++)
        {
            double actual = FrechetDistance.Compute(cases[i].A, cases[i].B);
            double rel = Math.Abs(actual - expected[i]) / Math.Abs(expected[i]);
            output.WriteLine($"case {i}: Tessera {actual:R}, scipy {expected[i]:R}, relative difference {rel:E2}");
            Assert.True(rel < 1e-6, $"case {i}: Tessera {actual:R} vs scipy {expected[i]:R} (relative {rel:E2})");
        }
        foreach (var (a, b) in cases) { a.Dispose(); b.Dispose(); }
    }
}
