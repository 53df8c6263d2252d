using System.Text.Json;
using Tessera.Training.Discriminators;
using TorchSharp;
using TorchSharp.Modules;
using static Tessera.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

public class DiscriminatorTests
{
    private static List<(string, long[])> Keys(JsonElement list) =>
        list.EnumerateArray().Select(e => (e[0].GetString()!, e[1].EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToList();

    private static List<(string, long[])> Keys(nn.Module m) =>
        m.state_dict().Select(kv => (kv.Key, kv.Value.shape)).ToList();

    // TorchSharp lists a module's buffers after all parameters, PyTorch interleaves them; loading is by name, so compare name → shape.
    private static void AssertKeys(JsonElement expected, nn.Module m)
    {
        var e = Keys(expected).ToDictionary(k => k.Item1, k => k.Item2);
        var a = Keys(m).ToDictionary(k => k.Item1, k => k.Item2);
        Assert.Equal(e.Keys.Order(), a.Keys.Order());
        foreach (var (name, shape) in e) Assert.Equal(shape, a[name]);
    }

    [Fact]
    public void OfficialSizeKeysAndShapesMatchReference()
    {
        using var d = new NLayerDiscriminator();
        AssertKeys(Meta.GetProperty("d2_64_keys"), d);
    }

    [Fact]
    public void PatchGan2dMatchesReferenceInTrainAndEvalMode()
    {
        using var d = new NLayerDiscriminator(3, 8, 3);
        AssertKeys(Meta.GetProperty("d2_keys"), d);
        Fill(d);
        using var x = Load("d2_input");
        d.train();
        using (var y = d.forward(x)) Close(Load("d2_out_train"), y, 1e-5, 1e-5);
        var bn = d.state_dict();
        Close(Load("d2_bn3_running_mean"), bn["main.3.running_mean"], 1e-6);
        Close(Load("d2_bn3_running_var"), bn["main.3.running_var"], 1e-6);
        d.eval();
        using (var y = d.forward(x)) Close(Load("d2_out_eval"), y, 1e-5, 1e-5);
    }

    [Fact]
    public void PatchGan3dMatchesReference()
    {
        using var d = new NLayerDiscriminator3D(3, 4, 3);
        AssertKeys(Meta.GetProperty("d3_keys"), d);
        Fill(d);
        d.train();
        using var x = Load("d3_input");
        using var y = d.forward(x);
        Close(Load("d3_out_train"), y, 1e-5, 1e-5);
    }

    [Fact]
    public void WeightsInitDrawsConvNormal002AndBatchNormAroundOne()
    {
        using var d = new NLayerDiscriminator(3, 16, 3);
        var sd = d.state_dict();
        using var biasBefore = sd["main.0.bias"].clone();
        DiscriminatorInit.Apply(d, new Generator(5));
        Assert.InRange(sd["main.8.weight"].std().item<float>(), 0.019, 0.021);
        Assert.InRange(sd["main.8.weight"].mean().item<float>(), -0.001, 0.001);
        Assert.InRange(sd["main.9.weight"].mean().item<float>(), 0.99, 1.01);
        Assert.Equal(0f, sd["main.9.bias"].abs().max().item<float>());
        // Conv biases keep PyTorch's default distribution U(±1/√fan_in) but are drawn from the generator too.
        Assert.NotEqual(0.0, MaxAbsDiff(sd["main.0.bias"], biasBefore));
        Assert.InRange(sd["main.0.bias"].abs().max().item<float>(), 0.0f, (float)(1 / Math.Sqrt(3 * 4 * 4)));

        // So the whole initialisation depends on the generator only, not on the global one.
        using var again = new NLayerDiscriminator(3, 16, 3);
        DiscriminatorInit.Apply(again, new Generator(5));
        foreach (var (name, t) in again.state_dict())
            Assert.Equal(0.0, MaxAbsDiff(t, sd[name]));
    }
}
