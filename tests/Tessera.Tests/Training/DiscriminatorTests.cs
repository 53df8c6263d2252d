using System.Text.Json;
using Tessera.Training.Discriminators;
using TorchSharp;
using TorchSharp.Modules;
using static Tessera.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
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

    /// <summary>
    /// The adversarial weight of VidTok's loss rests on the gradient of D's output w.r.t. its input, which train-mode
    /// BatchNorm cancels almost entirely (‖∇‖ ≈ 0.05 against a pre-cancellation scale of order 1), so it amplifies
    /// any loss of precision in the kernels: computed at bfloat16 precision it is off by 50–100%, at float32 it
    /// agrees with float64 to ~1e-5. This pins the float32 kernels of the CPU the suite runs on against float64
    /// (different kernels: no oneDNN), with the closed-form weights and input of the loss test.
    /// </summary>
    [Fact]
    public void InputGradientThroughTrainModeBatchNorm_Float32AgreesWithFloat64()
    {
        Tensor Gradient(ScalarType dtype)
        {
            using var scope = NewDisposeScope();
            using var d = new NLayerDiscriminator();
            Fill(d);
            d.to(dtype);
            d.train();
            var x = Load("vl_x").permute(0, 2, 1, 3, 4).reshape(-1, 3, 32, 32).to_type(dtype).requires_grad_();
            var g = -d.forward(x).mean();
            return autograd.grad([g], [x])[0].to_type(ScalarType.Float64).MoveToOuterDisposeScope();
        }
        using var g64 = Gradient(ScalarType.Float64);
        using var g32 = Gradient(ScalarType.Float32);
        using var err = (g32 - g64).norm() / g64.norm();
        Assert.True(err.item<double>() < 1e-3,
            $"float32 input gradient of the discriminator differs from float64 by {err.item<double>():P3} (relative L2) on {Tessera.CpuInfo.Describe()}: this CPU's float32 convolution/BatchNorm kernels lose precision");
    }
}
