using Tessera.Training;
using static Tessera.Tests.Training.TrainingFixtures;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public class GanLossesTests
{
    [Fact]
    public void LossTermsMatchReferenceIncludingLargeLogits()
    {
        using var real = Load("gan_logits_real");
        using var fake = Load("gan_logits_fake");
        var g = Meta.GetProperty("gan");
        using (var t = GanLosses.HingeDLoss(real, fake)) Close(g.GetProperty("hinge").GetDouble(), t.item<float>(), 1e-6);
        using (var t = GanLosses.VanillaDLoss(real, fake)) Close(g.GetProperty("vanilla").GetDouble(), t.item<float>(), 1e-6);
        using (var t = GanLosses.NonSaturatingGenLoss(fake)) Close(g.GetProperty("non_saturate_gen").GetDouble(), t.item<float>(), 1e-6);
    }

    [Fact]
    public void LeCamEmaAndRegularizerMatchReference()
    {
        using var real = Load("gan_logits_real");
        using var fake = Load("gan_logits_fake");
        var ema = new LeCamEma();
        var k = 0;
        foreach (var e in Meta.GetProperty("gan").GetProperty("lecam").EnumerateArray())
        {
            using var r = real * (k + 1);
            using var f = fake - k;
            ema.Update(r, f);
            Close(e.GetProperty("ema_real").GetDouble(), ema.LogitsReal, 1e-12, 0);
            Close(e.GetProperty("ema_fake").GetDouble(), ema.LogitsFake, 1e-12, 0);
            using var reg = GanLosses.LeCamReg(real, fake, ema);
            Close(e.GetProperty("reg").GetDouble(), reg.item<float>(), 1e-6);
            k++;
        }
    }
}
