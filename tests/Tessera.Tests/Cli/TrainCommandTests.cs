using System.Diagnostics;
using System.Globalization;
using Tessera.Tests.Video;
using Tessera.Training;

namespace Tessera.Tests.Cli;

/// <summary>`tessera train` end to end on tiny videos, including a run killed with SIGKILL and resumed.</summary>
[DisposeScopePerTest]
public sealed class TrainCommandTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly string config;
    private readonly string videos;

    public TrainCommandTests()
    {
        videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x40:rate=10:duration=3", "-pix_fmt", "yuv420p", Path.Combine(videos, "a.mp4"));
        config = dir.File("tiny.yaml");
        File.WriteAllText(config, """
            model:
              base_learning_rate: 1.0e-3
              target: vidtok.models.autoencoder_v1_1.AutoencodingEngine
              params:
                ema_decay: 0.99
                encoder_config:
                  target: vidtok.modules.model_3dcausal_v1_1.EncoderCausal3DPadding
                  params: {double_z: false, z_channels: 4, in_channels: 3, out_ch: 3, ch: 8, ch_mult: [1, 2, 2, 2], num_res_blocks: 1,
                           norm_type: layernorm, interpolation_mode: trilinear}
                decoder_config:
                  target: vidtok.modules.model_3dcausal_v1_1.DecoderCausal3DPadding
                  params: ${model.params.encoder_config.params}
                regularizer_config:
                  target: vidtok.modules.regularizers.FSQRegularizer
                  params: {levels: [8, 8, 8, 8], entropy_loss_weight: 0.1, entropy_loss_annealing_steps: 2000, entropy_loss_annealing_factor: 3, commitment_loss_weight: 0.25}
                loss_config:
                  target: vidtok.modules.losses.GeneralLPIPSWithDiscriminator
                  params: {disc_start: 2, disc_weight: 0.2, disc_type: 2d, learn_logvar: true, gen_loss_cross_entropy: true, lecam_loss_weight: 0.005, perceptual_weight: 0.0,
                           regularization_weights: {aux_loss: 1.0}}
            tessera: {frames: 5, fps: 5, size: 32, max_steps: 6, log_every: 1, checkpoint_every: 2, eval_every: 1000}
            """);
    }

    public void Dispose() => dir.Dispose();

    private static double[] Totals(string run) => KillAndResume.Totals(run);

    [Fact]
    public void Train_RefusesExistingRunWithoutResume_AndContinuesWithIt()
    {
        var run = dir.File("run");
        var first = CliRunner.Run("train", "-c", config, "--data", videos, "-o", run, "--max-steps", "2");
        Assert.True(first.ExitCode == 0, first.Error);
        var again = CliRunner.Run("train", "-c", config, "--data", videos, "-o", run);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--resume", again.Error);
        var resumed = CliRunner.Run("train", "-c", config, "--data", videos, "-o", run, "--resume", "--max-steps", "4");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resumed from", resumed.Error);
        Assert.Equal(4, Totals(run).Length);
    }

    [Fact]
    public void Train_NonFiniteLoss_ExitsWith1NamingTheStep_AndLeavesOnlyFiniteCheckpoints()
    {
        var absurd = dir.File("absurd.yaml");
        File.WriteAllText(absurd, File.ReadAllText(config).Replace("base_learning_rate: 1.0e-3", "base_learning_rate: 1.0e+30", StringComparison.Ordinal));
        var run = dir.File("diverged");
        var r = CliRunner.Run("train", "-c", absurd, "--data", videos, "-o", run);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"error: training diverged at step \d+: non-finite", r.Error);
        Assert.DoesNotContain("trained to step", r.Out);
        foreach (var (_, path) in new CheckpointStore(run).List())
        {
            using var sd = Tessera.Checkpoints.SafeTensorsFile.Load(path);
            foreach (var name in sd.Keys)
                if (sd[name].is_floating_point())
                    Assert.True(sd[name].isfinite().all().item<bool>(), $"{name} in {path} is not finite");
        }
    }

    [Fact]
    public void Train_NoBf16_OverridesTheConfig_AndContradictoryFlagsAreAUsageError()
    {
        var bf16 = dir.File("bf16.yaml");
        File.WriteAllText(bf16, File.ReadAllText(config).Replace("eval_every: 1000}", "eval_every: 1000, bf16: true}", StringComparison.Ordinal));
        Assert.True(TrainConfigYaml.Load(bf16).Bf16);
        var r = CliRunner.Run("train", "-c", bf16, "--data", videos, "-o", dir.File("fp32"), "--max-steps", "1", "--no-bf16");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("1 steps, float32", r.Error);
        Assert.DoesNotContain("bf16:", r.Error);

        var both = CliRunner.Run("train", "-c", bf16, "--data", videos, "-o", dir.File("both"), "--bf16", "--no-bf16");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--no-bf16", both.Error);
    }

    [Theory]
    [InlineData(true, false, false, true, true, false)]     // the config's bf16 on a CPU with bfloat16 instructions
    [InlineData(true, false, false, null, true, false)]     // unknown CPU: the config decides
    [InlineData(true, false, false, false, false, true)]    // no bfloat16 instructions: float32, with a note
    [InlineData(true, true, false, false, true, false)]     // --bf16 forces it anywhere
    [InlineData(true, false, true, true, false, false)]     // --no-bf16
    [InlineData(false, false, false, true, false, false)]   // the config says float32
    public void Bf16_FromTheConfig_HoldsOnlyOnACpuWithBfloat16Instructions(
        bool configAsks, bool forceOn, bool forceOff, bool? native, bool expected, bool noted)
    {
        var (bf16, why) = Tessera.Cli.Commands.TrainCommand.ChooseBf16(configAsks, forceOn, forceOff, native);
        Assert.Equal(expected, bf16);
        Assert.Equal(noted, why is not null);
        if (noted) Assert.Contains("--bf16", why);
    }

    [Fact]
    public void Train_KilledWithSigkill_ResumesOnTheSameLossCurve()
    {
        KillAndResume.AssertSameLossCurve(dir, config, videos, maxSteps: 6);
    }
}
