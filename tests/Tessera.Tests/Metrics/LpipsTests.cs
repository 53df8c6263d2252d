using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Metrics;
using Tessera.Metrics.Backbones;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tessera.Tests.Metrics;

/// <summary>
/// Deterministic weights and inputs that make_lpips_fixture.py reproduces bit for bit in numpy, so the reference
/// values in Fixtures/Metrics/lpips/expected.json can be checked without committing any weights.
/// </summary>
internal static class LpipsSynthetic
{
    /// <summary>u(i, seed) in [0, 1): an integer hash of the element index (exact in numpy's uint64 too).</summary>
    public static double[] Uniform(long n, int seed)
    {
        const ulong mask = 0xFFFFFFFFUL;
        var offset = (ulong)(seed * 40503 + 12345);
        var r = new double[n];
        for (long i = 0; i < n; i++)
        {
            var x = ((ulong)i * 2654435761UL + offset) & mask;
            for (var round = 0; round < 3; round++)
            {
                x ^= x >> 16;
                x = (x * 0x45D9F3BUL) & mask;
            }
            x ^= x >> 16;
            r[i] = x / 4294967296.0;
        }
        return r;
    }

    /// <summary>features.N.weight = (2u − 1)·√(6 / fan_in) (seed 2N + 1), bias = (2u − 1)·0.05 (seed 2N + 2).</summary>
    public static StateDict Backbone(LpipsBackbone backbone)
    {
        using var net = Net(backbone);
        var sd = new StateDict();
        foreach (var (key, t) in net.state_dict())
        {
            var parts = key.Split('.');
            var index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            var shape = t.shape;
            var u = Uniform(t.numel(), parts[2] == "weight" ? 2 * index + 1 : 2 * index + 2);
            var scale = parts[2] == "weight" ? Math.Sqrt(6.0 / (shape[1] * shape[2] * shape[3])) : 0.05;
            sd.Add(key, tensor(u.Select(v => (float)((2 * v - 1) * scale)).ToArray(), shape));
        }
        return sd;
    }

    /// <summary>lin{k}.model.1.weight = u·0.5 (seed 100 + k).</summary>
    public static StateDict Heads(LpipsBackbone backbone)
    {
        var sd = new StateDict();
        var channels = backbone == LpipsBackbone.Vgg16 ? new[] { 64, 128, 256, 512, 512 } : [64, 192, 384, 256, 256];
        for (var k = 0; k < 5; k++)
            sd.Add($"lin{k}.model.1.weight", tensor(Uniform(channels[k], 100 + k).Select(v => (float)(v * 0.5)).ToArray(), [1, channels[k], 1, 1]));
        return sd;
    }

    /// <summary>x = 2u − 1 (seed 501), y = 0.7x + 0.3(2u − 1) (seed 502), [n, 3, h, w] float32.</summary>
    public static (Tensor X, Tensor Y) Inputs(int n, int h, int w)
    {
        long[] shape = [n, 3, h, w];
        var size = n * 3L * h * w;
        var x = Uniform(size, 501).Select(u => 2 * u - 1).ToArray();
        var noise = Uniform(size, 502);
        var y = new float[size];
        for (long i = 0; i < size; i++) y[i] = (float)(0.7 * x[i] + 0.3 * (2 * noise[i] - 1));
        return (tensor(x.Select(v => (float)v).ToArray(), shape), tensor(y, shape));
    }

    public static LpipsFeatureNet Net(LpipsBackbone backbone)
        => backbone == LpipsBackbone.Vgg16 ? new Vgg16Features() : new AlexNetFeatures();
}

/// <summary>Both metrics with synthetic weights, built once for the test class (VGG16 has 14.7 M parameters).</summary>
public sealed class LpipsSyntheticModels : IDisposable
{
    private readonly Dictionary<LpipsBackbone, Lpips> _metrics = new();

    public LpipsSyntheticModels()
    {
        foreach (var b in new[] { LpipsBackbone.Vgg16, LpipsBackbone.AlexNet })
        {
            using var trunk = LpipsSynthetic.Backbone(b);
            using var heads = LpipsSynthetic.Heads(b);
            _metrics[b] = Lpips.Create(b, trunk, heads);
        }
    }

    public Lpips this[LpipsBackbone b] => _metrics[b];

    public void Dispose()
    {
        foreach (var m in _metrics.Values) m.Dispose();
    }
}

[DisposeScopePerTest]
public sealed class LpipsTests(LpipsSyntheticModels models, ITestOutputHelper output) : IClassFixture<LpipsSyntheticModels>
{
    private const double RelTol = 1e-4;
    private const string HeadsDir = "weights/lpips-heads";

    private sealed record Case(LpipsBackbone Backbone, string Heads, int N, int H, int W, double[] Lpips, double[][] PerLayer);

    private static readonly Lazy<List<Case>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("Metrics", "lpips", "expected.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("backbone").GetString() == "vgg" ? LpipsBackbone.Vgg16 : LpipsBackbone.AlexNet,
            c.GetProperty("heads").GetString()!,
            c.GetProperty("n").GetInt32(), c.GetProperty("h").GetInt32(), c.GetProperty("w").GetInt32(),
            c.GetProperty("lpips").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
            c.GetProperty("per_layer").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray())).ToList();
    });

    private static Case Find(LpipsBackbone b, string heads, int h) => Cases.Value.Single(c => c.Backbone == b && c.Heads == heads && c.H == h);

    private double CompareToReference(string label, double[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var maxAbs = 0.0;
        var maxRel = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var abs = Math.Abs(actual[i] - expected[i]);
            maxAbs = Math.Max(maxAbs, abs);
            maxRel = Math.Max(maxRel, abs / Math.Abs(expected[i]));
        }
        output.WriteLine($"{label}: max abs diff {maxAbs:E2}, max rel diff {maxRel:E2} over {expected.Length} values");
        Assert.True(maxRel <= RelTol, $"{label}: max relative difference {maxRel:E3} > {RelTol:E0}");
        return maxRel;
    }

    private static double[] ToArray(Tensor t) => t.to_type(ScalarType.Float64).flatten().data<double>().ToArray();

    [Fact]
    public void Modules_UseTorchvisionAndLpipsKeyLayout()
    {
        using var vgg = new Vgg16Features();
        using var alex = new AlexNetFeatures();
        int[] vggConvs = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28];
        Assert.Equal(vggConvs.SelectMany(i => new[] { $"features.{i}.weight", $"features.{i}.bias" }), vgg.state_dict().Keys);
        Assert.Equal(new[] { 0, 3, 6, 8, 10 }.SelectMany(i => new[] { $"features.{i}.weight", $"features.{i}.bias" }), alex.state_dict().Keys);
        Assert.Equal(14_714_688L, vgg.parameters().Sum(p => p.numel()));
        Assert.Equal(2_469_696L, alex.parameters().Sum(p => p.numel()));
        Assert.Equal(new long[] { 64, 3, 11, 11 }, alex.state_dict()["features.0.weight"].shape);

        using var heads = new LpipsHeads(alex.Channels);
        Assert.Equal(Enumerable.Range(0, 5).Select(k => $"lin{k}.model.1.weight"), heads.state_dict().Keys);
        Assert.Equal(new long[] { 1, 384, 1, 1 }, heads.state_dict()["lin2.model.1.weight"].shape);
    }

    [Fact]
    public void NameAndDirection()
    {
        Assert.Equal("lpips_vgg", models[LpipsBackbone.Vgg16].Name);
        Assert.Equal("lpips_alex", models[LpipsBackbone.AlexNet].Name);
        Assert.False(models[LpipsBackbone.Vgg16].HigherIsBetter);
    }

    [Theory]
    [InlineData(LpipsBackbone.Vgg16, 64)]
    [InlineData(LpipsBackbone.Vgg16, 40)]   // 2 images 40×72: odd sizes through the pools
    [InlineData(LpipsBackbone.AlexNet, 64)]
    [InlineData(LpipsBackbone.AlexNet, 40)]
    public void Forward_MatchesReference_SyntheticWeights(LpipsBackbone backbone, int h)
    {
        var c = Find(backbone, "synthetic", h);
        using var scope = NewDisposeScope();
        var (x, y) = LpipsSynthetic.Inputs(c.N, c.H, c.W);
        var perLayer = models[backbone].ForwardPerLayer(x, y);
        Assert.Equal(new long[] { c.N, 5 }, perLayer.shape);
        CompareToReference($"{backbone} {c.N}x{c.H}x{c.W} per layer", ToArray(perLayer), c.PerLayer.SelectMany(r => r).ToArray());
        CompareToReference($"{backbone} {c.N}x{c.H}x{c.W} total", ToArray(perLayer.sum(1)), c.Lpips);
    }

    [Fact]
    public void PerFrame_OnVideos_IsBatchMajorAndChunked()
    {
        var c = Find(LpipsBackbone.AlexNet, "synthetic", 64);
        using var scope = NewDisposeScope();
        var (x, y) = LpipsSynthetic.Inputs(c.N, c.H, c.W);
        // images 0..3 as 2 videos of 2 frames: video b, frame t = image 2b + t → [B, 3, T, H, W]
        Tensor Video(Tensor frames) => frames.reshape(2, 2, 3, c.H, c.W).permute(0, 2, 1, 3, 4);
        var metric = models[LpipsBackbone.AlexNet];
        metric.BatchSize = 3; // 4 frames → passes of 3 and 1
        try
        {
            CompareToReference("AlexNet PerFrame [2,3,2,64,64], batch 3", metric.PerFrame(Video(x), Video(y)), c.Lpips);
            var single = metric.PerFrame(x.narrow(0, 0, 2).permute(1, 0, 2, 3), y.narrow(0, 0, 2).permute(1, 0, 2, 3)); // [3, T, H, W]
            CompareToReference("AlexNet PerFrame [3,2,64,64]", single, c.Lpips[..2]);
        }
        finally
        {
            metric.BatchSize = 8;
        }
    }

    [SharedFact(HeadsDir + "/vgg.pth", HeadsDir + "/alex.pth")]
    public void Forward_MatchesReference_RealHeads()
    {
        foreach (var (backbone, file) in new[] { (LpipsBackbone.Vgg16, "vgg.pth"), (LpipsBackbone.AlexNet, "alex.pth") })
        {
            var c = Find(backbone, "real", 64);
            using var scope = NewDisposeScope();
            using var trunk = LpipsSynthetic.Backbone(backbone);
            using var heads = CheckpointReader.Read(TestPaths.Shared(HeadsDir, file)!);
            using var metric = Lpips.Create(backbone, trunk, heads);
            var (x, y) = LpipsSynthetic.Inputs(c.N, c.H, c.W);
            var perLayer = metric.ForwardPerLayer(x, y);
            CompareToReference($"{backbone} real heads per layer", ToArray(perLayer), c.PerLayer.SelectMany(r => r).ToArray());
            CompareToReference($"{backbone} real heads total", ToArray(perLayer.sum(1)), c.Lpips);
        }
    }

    [Theory]
    [InlineData(LpipsBackbone.Vgg16)]
    [InlineData(LpipsBackbone.AlexNet)]
    public void IdenticalInputsGiveZero_AndDistanceIsSymmetric(LpipsBackbone backbone)
    {
        using var scope = NewDisposeScope();
        var (x, y) = LpipsSynthetic.Inputs(2, 32, 32);
        var metric = models[backbone];
        var same = ToArray(metric.Forward(x, x.clone()));
        Assert.All(same, v => Assert.True(Math.Abs(v) < 1e-7, $"LPIPS(x, x) = {v}"));
        var xy = ToArray(metric.Forward(x, y));
        var yx = ToArray(metric.Forward(y, x));
        Assert.All(xy, v => Assert.True(v > 1e-3, $"LPIPS(x, y) = {v}"));
        for (var i = 0; i < xy.Length; i++) Assert.True(Math.Abs(xy[i] - yx[i]) <= 1e-6 * xy[i], $"{xy[i]} vs {yx[i]}");
    }

    [Fact]
    public void RejectsMismatchedOrNonImageInputs()
    {
        using var scope = NewDisposeScope();
        var metric = models[LpipsBackbone.AlexNet];
        Assert.Throws<InvalidInputException>(() => metric.Forward(zeros(1, 3, 32, 32), zeros(1, 3, 32, 33)));
        Assert.Throws<InvalidInputException>(() => metric.Forward(zeros(1, 1, 32, 32), zeros(1, 1, 32, 32)));
        Assert.Throws<InvalidInputException>(() => metric.PerFrame(zeros(new long[] { 1, 3, 2, 32, 32 }), zeros(new long[] { 1, 3, 3, 32, 32 })));
    }

    [Fact]
    public void Load_FromFiles_IgnoresClassifier_AndAcceptsACombinedLpipsFile()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        using var trunk = LpipsSynthetic.Backbone(LpipsBackbone.AlexNet);
        using var heads = LpipsSynthetic.Heads(LpipsBackbone.AlexNet);
        var (x, y) = LpipsSynthetic.Inputs(2, 64, 64);
        var expected = ToArray(models[LpipsBackbone.AlexNet].Forward(x, y));

        // torchvision file: features.* plus classifier.* (ignored)
        var tvEntries = trunk.Select(kv => (kv.Key, kv.Value)).Append(("classifier.1.weight", ones(new long[] { 8, 4 }))).Append(("classifier.1.bias", ones(new long[] { 8 })));
        SafeTensorsFile.Save(dir.File("alexnet.safetensors"), tvEntries);
        SafeTensorsFile.Save(dir.File("heads.safetensors"), heads.Select(kv => (kv.Key, kv.Value)));
        using (var m = Lpips.Load(LpipsBackbone.AlexNet, dir.File("alexnet.safetensors"), dir.File("heads.safetensors")))
            Assert.Equal(expected, ToArray(m.Forward(x, y)));

        // A whole lpips.LPIPS state: scaling_layer.*, net.slice{s}.N.*, lin{k}.* and the lins.{k}.* duplicates
        int[] sliceOf = [1, 0, 0, 2, 0, 0, 3, 0, 4, 0, 5];
        var combined = new List<(string, Tensor)>
        {
            ("scaling_layer.shift", tensor(new[] { -0.030f, -0.088f, -0.188f }).reshape(1, 3, 1, 1)),
            ("scaling_layer.scale", tensor(new[] { 0.458f, 0.448f, 0.450f }).reshape(1, 3, 1, 1)),
        };
        foreach (var (key, t) in trunk)
        {
            var index = int.Parse(key.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);
            combined.Add(($"net.slice{sliceOf[index]}.{key["features.".Length..]}", t));
        }
        foreach (var (key, t) in heads)
        {
            combined.Add((key, t));
            combined.Add(("lins." + key["lin".Length..], t));
        }
        SafeTensorsFile.Save(dir.File("lpips_alex.safetensors"), combined);
        using (var m = Lpips.Load(LpipsBackbone.AlexNet, dir.File("lpips_alex.safetensors")))
            Assert.Equal(expected, ToArray(m.Forward(x, y)));
    }

    [Fact]
    public void StrictKeyChecks_NameTheOffendingKeys()
    {
        using var trunk = LpipsSynthetic.Backbone(LpipsBackbone.AlexNet);
        using var heads = LpipsSynthetic.Heads(LpipsBackbone.AlexNet);

        string Fails(StateDict t, StateDict h, LpipsBackbone b = LpipsBackbone.AlexNet)
            => Assert.Throws<CheckpointFormatException>(() => Lpips.Create(b, t, h, "trunk.pth", "heads.pth").Dispose()).Message;

        using (var missing = Copy(trunk, skip: "features.10.bias"))
            Assert.Contains("features.10.bias", Fails(missing, heads));
        using (var extra = Copy(trunk, extra: "features.12.weight"))
        {
            var message = Fails(extra, heads);
            Assert.Contains("unexpected", message);
            Assert.Contains("features.12.weight", message);
        }
        using (var noLin4 = Copy(heads, skip: "lin4.model.1.weight"))
            Assert.Contains("lin4.model.1.weight", Fails(trunk, noLin4));
        using (var badScaling = Copy(trunk, extra: "scaling_layer.shift"))
            Assert.Contains("scaling_layer.shift", Fails(badScaling, heads));
        // AlexNet weights for a VGG16 trunk, and AlexNet heads on VGG16: shape mismatches and missing keys
        using (var vggHeads = LpipsSynthetic.Heads(LpipsBackbone.Vgg16))
        {
            var message = Fails(trunk, vggHeads, LpipsBackbone.Vgg16);
            Assert.Contains("missing", message);
            Assert.Contains("trunk.pth", message);
            Assert.Contains("shape mismatch", Fails(trunk, vggHeads));
        }
        // the trunk and the heads swapped
        Assert.Contains("missing", Fails(heads, trunk));
    }

    private static StateDict Copy(StateDict source, string? skip = null, string? extra = null)
    {
        var sd = new StateDict();
        foreach (var (key, t) in source)
            if (key != skip) sd.Add(key, t.alias());
        if (extra is not null) sd.Add(extra, ones(new long[] { 3 }));
        return sd;
    }
}
