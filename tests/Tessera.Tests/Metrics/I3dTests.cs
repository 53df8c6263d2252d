using Tessera.Checkpoints;
using Tessera.Metrics.Fvd;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Metrics;

[DisposeScopePerTest]
public class I3dTests(ITestOutputHelper output)
{
    private static string Fixture(string name) => TestPaths.Fixture("Metrics", "fvd", name);

    /// <summary>Same formula as make_i3d_fixture.py: frac(43758.5453 sin(12.9898 i + 78.233 k)) in float64.</summary>
    private static Tensor Wave(long n, int k)
        => (arange(n, dtype: ScalarType.Float64) * 12.9898 + 78.233 * k).sin().mul(43758.5453).frac();

    /// <summary>The closed-form weights of make_i3d_fixture.py, keyed by sorted (ordinal) name; without num_batches_tracked.</summary>
    private static StateDict ClosedFormWeights(InceptionI3d net)
    {
        var sd = new StateDict();
        var target = net.state_dict();
        var names = target.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        for (int k = 0; k < names.Count; k++)
        {
            var name = names[k];
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            using var scope = NewDisposeScope();
            var shape = target[name].shape;
            var w = Wave(target[name].numel(), k).reshape(shape);
            Tensor v;
            if (name.EndsWith("conv3d.weight", StringComparison.Ordinal)) v = w * Math.Sqrt(6.0 / (target[name].numel() / shape[0]));
            else if (name.EndsWith("bn.weight", StringComparison.Ordinal)) v = 1.0 + 0.2 * w;
            else if (name.EndsWith("bn.running_var", StringComparison.Ordinal)) v = 1.0 + 0.5 * w;
            else v = 0.1 * w;
            sd.Add(name, v.to_type(ScalarType.Float32).MoveToOuterDisposeScope());
        }
        return sd;
    }

    private static Tensor Clip(long[] shape, double a, double b)
    {
        using var scope = NewDisposeScope();
        var i = arange(shape.Aggregate(1L, (x, y) => x * y), dtype: ScalarType.Float64);
        return ((i * a + 0.5).sin() * (i * b).cos() * 0.95).reshape(shape).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to_type(ScalarType.Float64);
        var a = actual.to_type(ScalarType.Float64).reshape(e.shape);
        return (a - e).abs().max().item<double>() / e.abs().max().item<double>();
    }

    [Fact]
    public void StateDictKeysAndShapesMatchPytorchI3d()
    {
        using var net = new InceptionI3d();
        var expected = File.ReadAllLines(Fixture("i3d_state_dict_keys.txt"))
            .Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        var actual = net.state_dict().ToDictionary(kv => kv.Key, kv => string.Join(",", kv.Value.shape));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (k, shape) in expected) Assert.True(shape == actual[k], $"{k}: expected [{shape}], got [{actual[k]}]");
    }

    [Fact]
    public void SamePaddingFollowsTheTensorFlowRule()
    {
        // size divisible by stride: k - s; otherwise k - size % s; never negative.
        Assert.Equal(5, SamePadding.Total(16, 7, 2));
        Assert.Equal(6, SamePadding.Total(193, 7, 2));
        Assert.Equal(1, SamePadding.Total(100, 3, 2));
        Assert.Equal(0, SamePadding.Total(8, 2, 2));
        Assert.Equal(1, SamePadding.Total(7, 2, 2));
        Assert.Equal(2, SamePadding.Total(9, 3, 1));
    }

    /// <summary>
    /// Closed-form weights saved as safetensors without num_batches_tracked, loaded through
    /// <see cref="I3dFeatureExtractor.Load"/>, against reference pytorch-i3d outputs (make_i3d_fixture.py).
    /// </summary>
    [Fact]
    public void MatchesReferencePytorchI3d()
    {
        using var dir = new TempDir();
        var path = dir.File("i3d.safetensors");
        using (var net = new InceptionI3d())
        using (var sd = ClosedFormWeights(net))
            SafeTensorsFile.Save(path, sd);

        using var expected = CheckpointReader.Read(Fixture("i3d_expected.npz"));
        using var extractor = I3dFeatureExtractor.Load(path);
        Assert.Equal("i3d_logits400", extractor.Name);
        Assert.Equal(400, extractor.FeatureDim);

        // A: the network alone on an odd-sized 9x193x200 clip.
        var netA = extractor.Network!;
        using var xa = Clip([1, 3, 9, 193, 200], 0.0137, 0.00071);
        using var aPooled = netA.PooledFeatures(xa);
        using var aLogits = netA.Logits(aPooled);
        Assert.Equal(new long[] { 1, 400, 1 }, aLogits.shape);
        double errA = RelativeError(aLogits, expected["a_logits"]), errAp = RelativeError(aPooled, expected["a_pooled"]);

        // B: the FVD protocol through the extractor (16x64x64 resized to 224x224).
        using var xb = Clip([1, 3, 16, 64, 64], 0.0213, 0.00053);
        using var bFeatures = extractor.Features(xb);
        Assert.Equal(ScalarType.Float64, bFeatures.dtype);
        Assert.Equal(new long[] { 1, 400 }, bFeatures.shape);
        double errB = RelativeError(bFeatures, expected["b_logits"]);

        output.WriteLine($"relative max error vs pytorch-i3d: a_logits {errA:E2}, a_pooled {errAp:E2}, b_logits (extractor) {errB:E2}");
        Assert.True(errA < 1e-4 && errAp < 1e-4 && errB < 1e-4, $"relative errors: a_logits {errA:E2}, a_pooled {errAp:E2}, b_logits {errB:E2}");
    }

    [Fact]
    public void RejectsClipsTooSmallForTheFinalPool()
    {
        using var net = new InceptionI3d();
        using var x = zeros(new long[] { 1, 3, 8, 224, 224 });
        Assert.Throws<InvalidInputException>(() => net.forward(x));
    }
}
