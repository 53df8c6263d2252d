using System.Text.Json;
using Tessera.Checkpoints;
using Tessera.Quantizers;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public class KlLossTests
{
    [Fact]
    public void KlIsHalfSumOverElementsDividedByBatch()
    {
        using var mean = tensor(new float[] { 0.5f, -1f, 0f, 2f }).reshape(2, 1, 2, 1, 1);
        using var logVar = tensor(new float[] { 0f, 1f, -1f, 0.5f }).reshape(2, 1, 2, 1, 1);
        double expected = 0;
        var m = new[] { 0.5, -1, 0, 2 };
        var lv = new[] { 0.0, 1, -1, 0.5 };
        for (var i = 0; i < 4; i++) expected += 0.5 * (m[i] * m[i] + Math.Exp(lv[i]) - 1 - lv[i]);
        using var kl = new DiagonalGaussian(1).Kl(mean, logVar);
        Assert.Equal(expected / 2, kl.item<float>(), 5);
    }

    [SharedFact("reference/vidtok-golden/causal_v1_0_kl/meta.json", "reference/vidtok-golden/causal_v1_0_kl/posterior_mean.npy")]
    public void GoldenKlLoss()
    {
        using var meta = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("reference/vidtok-golden/causal_v1_0_kl/meta.json")!));
        using var mean = Npy.Load(TestPaths.Shared("reference/vidtok-golden/causal_v1_0_kl/posterior_mean.npy")!);
        using var logVar = Npy.Load(TestPaths.Shared("reference/vidtok-golden/causal_v1_0_kl/posterior_logvar_clamped.npy")!);
        using var kl = new DiagonalGaussian((int)mean.shape[1]).Kl(mean, logVar);
        TrainingFixtures.Close(meta.RootElement.GetProperty("kl_loss").GetDouble(), kl.item<float>(), 1e-5);
    }
}
