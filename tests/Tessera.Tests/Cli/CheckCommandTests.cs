using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Models.VidTok;
using static TorchSharp.torch;

namespace Tessera.Tests.Cli;

/// <summary><c>tessera check</c>: the card, a reconstruction against the published PSNR, and the warnings for the usual causes of a bad one.</summary>
[DisposeScopePerTest]
public sealed class CheckCommandTests
{
    [Fact]
    public void BundledModel_OnTheTestPattern_ReconstructsCleanly_AgainstItsRecordedHeldOutPsnr()
    {
        var r = CliRunner.Run("check", "tessera_small_fsq_causal_488_4096");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("model        tessera_small_fsq_causal_488_4096: FSQ 4,096 codes", r.Out);
        Assert.Contains("clip         generated test pattern: 17 frames of 64x64", r.Out);
        // The figure and its protocol come from the file's training record (annotate --about), never from check itself.
        Assert.Matches(@"expected     \d+\.\d\d dB published \(tessera_small_fsq_causal_488_4096\.safetensors metadata: trainer evaluation", r.Out);
        Assert.Contains("input range  the model takes [-1, 1]; the same clip given in [0, 1]", r.Out);
        Assert.Contains("result       nothing looks wrong", r.Out);
        Assert.DoesNotContain("warning:", r.Error);
    }

    [Fact]
    public void WrongWeights_AreFlagged_FlatOutputCollapsedTokens_OrFarBelowPublished()
    {
        using var dir = new TempDir();
        var bundled = Path.Combine(AppContext.BaseDirectory, "models", "tessera_small_fsq_causal_488_4096.safetensors");
        var config = VidTokWeights.ReadConfig(bundled)!;
        var zeroed = dir.File("zeroed.safetensors");
        var shifted = dir.File("shifted.safetensors");
        using (var model = new VidTokModel(config))
        using (no_grad())
        {
            VidTokWeights.Load(model, bundled, useEma: false);
            // The trained weights with the decoder's output pushed towards white: plausible-looking, far from the input.
            var bias = model.named_parameters().Single(p => p.name.StartsWith("decoder.conv_out", StringComparison.Ordinal) && p.name.EndsWith("bias", StringComparison.Ordinal)).parameter;
            bias.add_(1.5);
            VidTokWeights.Save(shifted, model);
            foreach (var p in model.parameters()) p.zero_();
            VidTokWeights.Save(zeroed, model);
        }
        var r = CliRunner.Run("check", "tessera_small_fsq_causal_488_4096", "--weights", zeroed);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("warning: the decoder's output is flat", r.Error);
        Assert.Contains("warning: every tokens token is the same code", r.Error);

        // The held-out PSNR comes from the model file's record (the README's figure for these weights, given with --about).
        var models = Directory.CreateDirectory(dir.File("models")).FullName;
        var about = dir.File("about.yaml");
        File.WriteAllText(about, "heldout_psnr: 17.75\nheldout_protocol: README, held-out eval split at 256x256\n");
        Assert.Equal(0, CliRunner.Run("annotate", bundled, "--about", about, "-o", Path.Combine(models, "annotated_small.safetensors")).ExitCode);
        r = CliRunner.RunWithModels(models, "check", "annotated_small", "--weights", shifted);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("expected     17.75 dB published (annotated_small.safetensors metadata: README, held-out eval split at 256x256)", r.Out);
        Assert.Matches(@"warning: PSNR [\d.]+ dB on the test pattern is [\d.]+ dB below the published 17\.75 dB: wrong or mismatched weights", r.Error);
        Assert.DoesNotContain("flat", r.Error);
    }

    [Fact]
    public void OfficialLayoutCheckpoint_FrameCountOffTheRule_IsWarned()
    {
        var golden = GoldenCase.Fixture("v1_0_fsq_ckpt");
        var r = CliRunner.Run("check", Path.Combine(golden.Dir, "model.yaml"), Path.Combine(golden.Dir, "frames"),
            "--weights", Path.Combine(golden.Dir, "model.ckpt"), "--frames", "10", "--size", "32");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("frames: 1 + 4k frames", r.Out);
        Assert.Contains("clip         ", r.Out);
        Assert.Contains("10 frames of 32x32", r.Out);
        Assert.Contains("expected     no published PSNR", r.Out);
        Assert.Contains("warning: 10 frames: the model takes 1 + 4k frames (1, 5, 9, …); Tessera pads to 13 with the last frame", r.Error);
    }

    [Fact]
    public void KlModel_ReportsLatentScale_AndWeightsConvertedForAnotherPreset()
    {
        using var dir = new TempDir();
        var file = dir.File("kl.safetensors");
        using (var model = TinyModels.Model(VidTokFamily.CausalV1_0, fsq: false))
            VidTokWeights.Save(file, model, new Dictionary<string, string> { ["converted_from"] = "vidtok_kl_causal_488_4chn.ckpt" });
        var r = CliRunner.Run("check", file, "--size", "32");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Matches(@"latents      mean -?[\d.]+, std [\d.]+ \(as the encoder gives them", r.Out);
        Assert.Contains("warning: the weights were converted from vidtok_kl_causal_488_4chn.ckpt but the model is configured as tiny_CausalV1_0_kl", r.Error);
    }

    [Fact]
    public void Suspicious_OnlyForAGapNoContentExplains()
    {
        Assert.False(Tessera.Cli.Commands.CheckCommand.Suspicious(22, 29.39));
        Assert.True(Tessera.Cli.Commands.CheckCommand.Suspicious(21, 29.39));
    }
}
