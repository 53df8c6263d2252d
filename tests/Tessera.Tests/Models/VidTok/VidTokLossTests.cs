using System.Text.Json;
using Tessera.Models.VidTok;
using Tessera.Training;
using TorchSharp.Modules;
using static Tessera.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Tessera.Tests.Models.VidTok;

[DisposeScopePerTest]
public class VidTokLossTests
{
    private static Tensor StandInPerceptual(Tensor x, Tensor y) => (x - y).pow(2).mean([1, 2, 3]);

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void GeneratorAndDiscriminatorStepsMatchReference(string tag)
    {
        var config = tag == "a"
            ? new LossConfig()
            : new LossConfig { GenLossCrossEntropy = false, LecamLossWeight = 0, DiscLoss = DiscriminatorLossKind.Vanilla, PerceptualWeight = 0 };
        using var loss = new VidTokLoss(config, StandInPerceptual);
        Fill(loss.Discriminator);
        using (no_grad()) loss.LogVar.fill_(0.1);
        loss.train();
        using var x = Load("vl_x");
        using var h = Load("vl_h");
        using var w = new Parameter(Load("vl_w"));
        var d = loss.Discriminator.state_dict();

        foreach (var step in Meta.GetProperty("vidtok_loss").GetProperty(tag).GetProperty("steps").EnumerateArray())
        {
            var gs = step.GetProperty("global_step").GetInt64();
            using var scope = NewDisposeScope();
            var xrec = einsum("oc,bcthw->bothw", w, h).tanh();
            var reg = new Dictionary<string, Tensor>
            {
                ["aux_loss"] = 0.37f * w.sum(), ["kl_loss"] = tensor(1234.5f), ["indices"] = zeros(3),
            };
            w.grad = null;
            loss.LogVar.grad = null;
            foreach (var p in loss.parameters()) p.grad = null;

            var gen = step.GetProperty("gen");
            using var g = loss.GeneratorLoss(x, xrec, gs, w, reg);
            g.Loss.backward();
            Close(gen.GetProperty("loss").GetDouble(), g.Total, 2e-6);
            Close(gen.GetProperty("nll_loss").GetDouble(), g.Nll, 2e-6);
            Close(gen.GetProperty("rec_loss").GetDouble(), g.Rec, 2e-6);
            Close(gen.GetProperty("p_loss").GetDouble(), g.P, 2e-6);
            Close(gen.GetProperty("d_weight").GetDouble(), g.DWeight, 1e-4);
            Close(gen.GetProperty("g_loss").GetDouble(), g.GLoss, 1e-5);
            Assert.Equal(gen.GetProperty("disc_factor").GetDouble(), g.DiscFactor);
            Close(gen.GetProperty("logvar").GetDouble(), g.LogVar, 0);
            Close(gen.GetProperty("aux_loss").GetDouble(), g.Regularization["aux_loss"], 1e-6);
            Close(gen.GetProperty("kl_loss").GetDouble(), g.Regularization["kl_loss"], 0);
            Assert.False(g.Regularization.ContainsKey("indices"));
            Close(gen.GetProperty("grad_logvar").GetDouble(), loss.LogVar.grad!.item<float>(), 2e-5);
            Close(Load($"vl_{tag}_gs{gs}_grad_w"), w.grad!, 1e-5, 1e-4);

            foreach (var p in loss.parameters()) p.grad = null;
            var dis = step.GetProperty("disc");
            using var r = loss.DiscriminatorLoss(x, xrec, gs);
            r.Loss.backward();
            Close(dis.GetProperty("loss").GetDouble(), r.DiscLoss, 1e-5);
            Close(dis.GetProperty("logits_real").GetDouble(), r.LogitsReal, 1e-5);
            Close(dis.GetProperty("logits_fake").GetDouble(), r.LogitsFake, 1e-5);
            Close(dis.GetProperty("non_saturated_d_loss").GetDouble(), r.NonSaturatedDLoss, 1e-5);
            Assert.Equal(dis.GetProperty("disc_factor").GetDouble(), r.DiscFactor);
            if (tag == "a")
            {
                Close(dis.GetProperty("lecam_loss").GetDouble(), r.LeCam!.Value, 1e-5);
                Close(dis.GetProperty("ema_real").GetDouble(), loss.LeCam!.LogitsReal, 1e-5);
                Close(dis.GetProperty("ema_fake").GetDouble(), loss.LeCam!.LogitsFake, 1e-5);
            }
            else
            {
                Assert.Null(r.LeCam);
            }
            if (gs > 0)
            {
                Close(Load($"vl_{tag}_gs{gs}_grad_d0w"), d["main.0.weight"].grad!, 1e-7, 1e-4);
                Close(Load($"vl_{tag}_gs{gs}_grad_d11b"), d["main.11.bias"].grad!, 1e-7, 1e-4);
            }
            else
            {
                Assert.True(d["main.0.weight"].grad is null || d["main.0.weight"].grad!.abs().max().item<float>() == 0);
            }
        }
        Close(Load($"vl_{tag}_bn9_running_var"), d["main.9.running_var"], 1e-6, 1e-5);
    }

    [Fact]
    public void StateKeysMatchOfficialLossPrefixAndDefaults()
    {
        using var loss = new VidTokLoss();
        var keys = loss.state_dict().Keys.ToList();
        Assert.Equal("logvar", keys[0]);
        Assert.Contains("discriminator.main.11.bias", keys);
        Assert.Contains("discriminator.main.9.num_batches_tracked", keys);
        Assert.Equal(0f, loss.LogVar.item<float>());
        Assert.Equal(0.0, loss.DiscFactorAt(20000));
        Assert.Equal(1.0, loss.DiscFactorAt(20001));
        Assert.Single(loss.AutoencoderParameters());
    }

    [Fact]
    public void AdaptiveWeightIsZeroWithoutGraph()
    {
        using var loss = new VidTokLoss(new LossConfig { DiscNdf = 8 });
        using var _ = no_grad();
        using var x = rand(new long[] { 1, 3, 1, 32, 32 });
        using var y = rand(new long[] { 1, 3, 1, 32, 32 });
        using var w = new Parameter(ones(2));
        using var r = loss.GeneratorLoss(x, y, 0, w);
        Assert.Equal(0.0, r.DWeight);
    }

    [Fact]
    public void ColourTermCostsARegionalShiftButNotZeroMeanTexture()
    {
        using var plain = new VidTokLoss(new LossConfig { DiscNdf = 8, PerceptualWeight = 0 });
        using var coloured = new VidTokLoss(new LossConfig { DiscNdf = 8, PerceptualWeight = 0, ColourWeight = 2 });
        using var _ = no_grad();
        var generator = new Generator(7, device("cpu"));
        var x = rand(new long[] { 2, 3, 2, 20, 24 }, generator: generator) * 2 - 1;   // 20 is not a multiple of 8

        // A shift of one channel by 0.1: every 8x8 block's mean moves by 0.1, so the term adds 2 x 0.1 per pixel of it.
        var shifted = x.clone();
        shifted[.., 1] += 0.1;
        var rPlain = plain.GeneratorLoss(x, shifted, 0, null, adversarial: false);
        var rColour = coloured.GeneratorLoss(x, shifted, 0, null, adversarial: false);
        Assert.Equal(rPlain.Rec * 3, rColour.Rec, 1e-5);

        // A +-0.1 checkerboard has a zero mean over every full block and adds nothing there; the 4-row edge blocks
        // (rows 16..19) also hold as many + as -, so the term adds nothing at all.
        var checker = (arange(20).unsqueeze(1) + arange(24).unsqueeze(0)).remainder(2) * 0.2 - 0.1;
        var textured = x + checker.to_type(ScalarType.Float32);
        rPlain = plain.GeneratorLoss(x, textured, 0, null, adversarial: false);
        rColour = coloured.GeneratorLoss(x, textured, 0, null, adversarial: false);
        Assert.Equal(rPlain.Rec, rColour.Rec, 1e-5);
    }

    [Fact]
    public void ChromaTermCostsAHueShiftButNotALumaShift()
    {
        using var plain = new VidTokLoss(new LossConfig { DiscNdf = 8, PerceptualWeight = 0 });
        using var chroma = new VidTokLoss(new LossConfig { DiscNdf = 8, PerceptualWeight = 0, ChromaWeight = 2 });
        using var _ = no_grad();
        var generator = new Generator(7, device("cpu"));
        var x = rand(new long[] { 2, 3, 2, 20, 24 }, generator: generator) * 2 - 1;

        // The same shift on all three channels changes luma only: I and Q of (d, d, d) are 0 (Q to 1e-3 of d).
        var brighter = x + 0.1;
        var rPlain = plain.GeneratorLoss(x, brighter, 0, null, adversarial: false);
        var rChroma = chroma.GeneratorLoss(x, brighter, 0, null, adversarial: false);
        Assert.Equal(rPlain.Rec, rChroma.Rec, 1e-3);

        // Red up by 0.1: I moves by 0.0596 and Q by 0.0211, so every channel of every pixel gains 2 x 0.0807 on top of
        // the mean L1 of 0.1 / 3.
        var redder = x.clone();
        redder[.., 0] += 0.1;
        rPlain = plain.GeneratorLoss(x, redder, 0, null, adversarial: false);
        rChroma = chroma.GeneratorLoss(x, redder, 0, null, adversarial: false);
        Assert.Equal(0.1 / 3, rPlain.Rec, 1e-5);
        Assert.Equal(0.1 / 3 + 2 * (0.0595716 + 0.0211456), rChroma.Rec, 1e-5);
    }
}
