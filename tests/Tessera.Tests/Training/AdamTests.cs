using Tessera.Training.Optim;
using Adam = Tessera.Training.Optim.Adam;
using TorchSharp.Modules;
using static Tessera.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public class AdamTests
{
    private static (string, Parameter)[] Params() =>
        [("p1", new Parameter(Load("adam_p1_init"))), ("p2", new Parameter(Load("adam_p2_init"))), ("p3", new Parameter(Load("adam_p3_init")))];

    private static void SetGrads((string, Parameter)[] ps, int s)
    {
        ps[0].Item2.grad = Load($"adam_g1_s{s}");
        ps[1].Item2.grad = Load($"adam_g2_s{s}");
        ps[2].Item2.grad = s == 0 ? null : Load($"adam_g3_s{s}");
    }

    [Fact]
    public void ThreeStepsMatchTorchOptimAdam()
    {
        var ps = Params();
        using var adam = new Adam(ps, Meta.GetProperty("adam").GetProperty("lr").GetDouble());
        for (var s = 0; s < 3; s++)
        {
            SetGrads(ps, s);
            adam.Step();
            for (var i = 0; i < 3; i++) Close(Load($"adam_p{i + 1}_s{s}"), ps[i].Item2, 1e-6);
        }
        Assert.Equal(3, adam.StepCount("p1"));
        Assert.Equal(2, adam.StepCount("p3"));
        var state = adam.StateTensors("opt.").ToDictionary(t => t.Name, t => t.Tensor);
        Close(Load("adam_p1_exp_avg"), state["opt.p1.exp_avg"], 1e-7);
        Close(Load("adam_p1_exp_avg_sq"), state["opt.p1.exp_avg_sq"], 1e-7);
        Assert.Equal(3f, state["opt.p1.step"].item<float>());
        Assert.Equal(ScalarType.Float32, state["opt.p1.step"].dtype);
    }

    [Fact]
    public void SavedStateResumesIdentically()
    {
        var a = Params();
        var b = Params();
        using var full = new Adam(a, 1e-3);
        using var first = new Adam(b, 1e-3);
        SetGrads(a, 0); full.Step();
        SetGrads(b, 0); first.Step();
        SetGrads(a, 1); full.Step();
        SetGrads(b, 1); first.Step();
        var saved = first.StateTensors().ToDictionary(t => t.Name, t => t.Tensor.clone());
        using var resumed = new Adam(b, 1e-3);
        resumed.LoadState(saved);
        SetGrads(a, 2); full.Step();
        SetGrads(b, 2); resumed.Step();
        for (var i = 0; i < 3; i++) Assert.Equal(0.0, MaxAbsDiff(a[i].Item2, b[i].Item2));
    }
}
