using Tessera.Training.Optim;
using TorchSharp.Modules;
using static Tessera.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public class EmaTests
{
    [Fact]
    public void ShadowsAndKeysMatchLitEma()
    {
        var w = new Parameter(Load("ema_w_init"));
        var b = new Parameter(Load("ema_b_init"));
        var frozen = new Parameter(ones(2), requires_grad: false);
        (string, Parameter)[] named = [("a.weight", w), ("a.bias", b), ("frozen", frozen)];
        using var ema = new Ema(named);
        for (var s = 0; s < 3; s++)
        {
            using (no_grad())
            {
                w.copy_(Load($"ema_w_s{s}"));
                b.copy_(Load($"ema_b_s{s}"));
            }
            ema.Update(named);
            Close(Load($"ema_shadow_w_s{s}"), ema.Shadow("a.weight"), 1e-7);
            Close(Load($"ema_shadow_b_s{s}"), ema.Shadow("a.bias"), 1e-7);
        }
        var e = Meta.GetProperty("ema");
        var keys = e.GetProperty("keys").EnumerateArray().Select(k => "model_ema." + k[0].GetString()).ToArray();
        var state = ema.StateTensors().ToList();
        Assert.Equal(keys, state.Select(t => t.Name));
        Assert.Equal(ScalarType.Int32, state[1].Tensor.dtype);
        Assert.Equal(e.GetProperty("num_updates").GetInt32(), state[1].Tensor.item<int>());
        Assert.Equal((float)e.GetProperty("decay").GetDouble(), state[0].Tensor.item<float>());
    }

    [Fact]
    public void StoreCopyToRestoreRoundTrip()
    {
        var p = new Parameter(tensor(new[] { 1f, 2f }));
        (string, Parameter)[] named = [("p", p)];
        using var ema = new Ema(named);
        using (no_grad()) p.copy_(tensor(new[] { 11f, 12f }));
        ema.Update(named);
        using var shadow = ema.Shadow("p").clone();
        ema.Apply(named);
        Assert.Equal(0.0, MaxAbsDiff(p, shadow));
        ema.Restore([p]);
        Assert.Equal(new[] { 11f, 12f }, p.data<float>().ToArray());
    }
}
