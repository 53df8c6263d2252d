using Tessera.Checkpoints;
using Tessera.Metrics.Fvd;
using TorchSharp;
using static TorchSharp.torch;

namespace Tessera.Tests.Metrics;

/// <summary>
/// TorchScript archives written by torch 1.13 (make_torchscript_fixture.py) run through TorchSharp / libtorch 2.10,
/// with keyword arguments mapped to positions from the archive's code.
/// </summary>
[DisposeScopePerTest]
public class TorchScriptI3dTests
{
    private static string Fixture(string name) => TestPaths.Fixture("Metrics", "fvd", name);

    private static Tensor Clip(long[] shape, double a, double b)
    {
        using var scope = NewDisposeScope();
        var i = arange(shape.Aggregate(1L, (x, y) => x * y), dtype: ScalarType.Float64);
        return ((i * a + 0.5).sin() * (i * b).cos() * 0.95).reshape(shape).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        using var e = expected.to_type(ScalarType.Float64);
        using var a = actual.to_type(ScalarType.Float64);
        Assert.Equal(e.shape, a.shape);
        double rel = (a - e).abs().max().item<double>() / e.abs().max().item<double>();
        Assert.True(rel < 1e-5, $"{what}: relative error {rel:E2}");
    }

    [Fact]
    public void DetectsArchivesByContent()
    {
        Assert.True(TorchScriptVideoModel.IsTorchScriptArchive(Fixture("tiny_traced.pt")));
        Assert.False(TorchScriptVideoModel.IsTorchScriptArchive(Fixture("i3d_expected.npz")));
        Assert.False(TorchScriptVideoModel.IsTorchScriptArchive(TestPaths.Fixture("Checkpoints", "lightning.ckpt"))); // torch.save zip
        Assert.False(TorchScriptVideoModel.IsTorchScriptArchive(Fixture("PROVENANCE.md")));
    }

    [Fact]
    public void ReadsTheForwardSignature()
    {
        using var m = TorchScriptVideoModel.Load(Fixture("tiny_kwargs_script.pt"));
        Assert.Equal(
            new[] { new ScriptParameter("x", "Tensor", null), new("rescale", "bool", "False"), new("resize", "bool", "False"), new("return_features", "bool", "False") },
            m.ForwardParameters);
        using var t = TorchScriptVideoModel.Load(Fixture("tiny_traced.pt"));
        Assert.Equal(new[] { new ScriptParameter("x", "Tensor", null) }, t.ForwardParameters);
    }

    [Fact]
    public void KeywordArgumentsGiveThePythonOutputs()
    {
        using var expected = CheckpointReader.Read(Fixture("torchscript_expected.npz"));
        using var x = Clip([2, 3, 4, 12, 10], 0.0173, 0.0031);
        using var m = TorchScriptVideoModel.Load(Fixture("tiny_kwargs_script.pt"));
        using (var y = m.Forward(x)) AssertClose(expected["kw_default"], y, "defaults");
        using (var y = m.Forward(x, new Dictionary<string, object> { ["return_features"] = true })) AssertClose(expected["kw_features"], y, "return_features");
        using (var y = m.Forward(x, new Dictionary<string, object> { ["return_features"] = true, ["rescale"] = true })) AssertClose(expected["kw_rescale_features"], y, "rescale+return_features");
        using (var y = m.Forward(x, new Dictionary<string, object> { ["resize"] = true })) AssertClose(expected["kw_resize"], y, "resize");
        var ex = Assert.Throws<InvalidInputException>(() => m.Forward(x, new Dictionary<string, object> { ["antialias"] = true }));
        Assert.Contains("no parameter 'antialias'", ex.Message);

        using var t = TorchScriptVideoModel.Load(Fixture("tiny_traced.pt"));
        using (var y = t.Forward(x)) AssertClose(expected["traced"], y, "traced");
    }

    [Fact]
    public void ExtractorLoadsTorchScriptAndCallsItTheFvdWay()
    {
        using var expected = CheckpointReader.Read(Fixture("torchscript_expected.npz"));
        using var extractor = I3dFeatureExtractor.Load(Fixture("tiny_kwargs_script.pt"));
        Assert.NotNull(extractor.Script);
        Assert.Null(extractor.Network);
        Assert.Equal("i3d_torchscript", extractor.Name);
        using var x = Clip([2, 3, 4, 12, 10], 0.0173, 0.0031);
        using var f = extractor.Features(x); // resized to 224x224 here, then forward(x, rescale=False, resize=False, return_features=True)
        Assert.Equal(ScalarType.Float64, f.dtype);
        AssertClose(expected["kw_extractor"], f, "extractor");
        Assert.Equal(5, extractor.FeatureDim);
    }

    [Fact]
    public void ExtractorCallsAClipOnlyModuleWithTheClipAlone()
    {
        using var expected = CheckpointReader.Read(Fixture("torchscript_expected.npz"));
        using var extractor = I3dFeatureExtractor.Load(Fixture("tiny_traced.pt"));
        using var x = Clip([2, 3, 4, 12, 10], 0.0173, 0.0031);
        using var f = extractor.Features(x);
        AssertClose(expected["traced_extractor"], f, "traced extractor");
        Assert.Equal(6, extractor.FeatureDim);
    }
}
