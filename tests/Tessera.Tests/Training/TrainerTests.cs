using System.Globalization;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;
using Tessera.Training;
using Tessera.Training.Data;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

[DisposeScopePerTest]
public sealed class TrainerTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly VideoDataset data;
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public TrainerTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        this.output = output;
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x40:rate=10:duration=3", "-pix_fmt", "yuv420p", Path.Combine(videos, "a.mp4"));
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=48x40:rate=10", "-t", "3", "-pix_fmt", "yuv420p", Path.Combine(videos, "b.mp4"));
        data = VideoDataset.Load(videos);
    }

    public void Dispose() => dir.Dispose();

    private static TrainConfig Tiny(long steps, VidTokFamily family = VidTokFamily.CausalV1_1, bool fsq = true) => new()
    {
        Model = TinyModels.Config(family, fsq),
        Clip = new ClipSpec { Frames = 5, Fps = 5, Size = 32 },
        Loss = new LossConfig { DiscNdf = 8, DiscStart = 4, PerceptualWeight = 0 },
        LearningRate = 2e-3,
        MaxSteps = steps,
        LogEvery = 1,
        EvalEvery = 1000,
        CheckpointEvery = 3,
        EmaDecay = 0.99,
    };

    private static double[] Column(string log, string column)
    {
        var lines = File.ReadAllLines(log);
        var index = Array.IndexOf(lines[0].Split(','), column);
        return lines.Skip(1).Select(l => double.Parse(l.Split(',')[index], CultureInfo.InvariantCulture)).ToArray();
    }

    [Fact]
    public void TinyModel_ReconstructionLossGoesDown()
    {
        var run = dir.File("run");
        using (var trainer = new Trainer(Tiny(150) with { CheckpointEvery = 150, Loss = new LossConfig { DiscNdf = 8, DiscStart = 1_000_000, PerceptualWeight = 0 } }, run, data, null))
            trainer.Run();
        var rec = Column(Path.Combine(run, "train_log.csv"), "rec");
        Assert.Equal(150, rec.Length);
        var first = rec.Take(20).Average();
        var last = rec.TakeLast(20).Average();
        Assert.True(last < 0.7 * first, $"L1 went from {first:0.0000} to {last:0.0000}");
        Assert.True(File.Exists(Path.Combine(run, "loss.png")));
    }

    [Fact]
    public void Bf16_TrainsOnAWorkingCopyAndKeepsFloat32Weights()
    {
        var run = dir.File("bf16");
        var messages = new List<string>();
        using (var trainer = new Trainer(Tiny(90) with { Bf16 = true, CheckpointEvery = 90, Loss = new LossConfig { DiscNdf = 8, DiscStart = 40, PerceptualWeight = 0 } }, run, data, null, report: messages.Add))
        {
            // Where this CPU's bfloat16 kernels fail the self-check the run must say so and train in float32 instead.
            var said = Assert.Single(messages, m => m.StartsWith("bf16: working copy", StringComparison.Ordinal) || m.StartsWith("warning: bf16 refused", StringComparison.Ordinal));
            Assert.Equal(trainer.Bf16Active, said.StartsWith("bf16: working copy", StringComparison.Ordinal));
            Assert.Contains(Tessera.CpuInfo.Model, said);
            output.WriteLine(said);
            trainer.Run();
        }
        var rec = Column(Path.Combine(run, "train_log.csv"), "rec");
        Assert.True(rec.TakeLast(10).Average() < 0.8 * rec.Take(10).Average(), $"L1 went from {rec.Take(10).Average():0.0000} to {rec.TakeLast(10).Average():0.0000}");
        var header = Tessera.Checkpoints.SafeTensorsFile.ReadHeader(new CheckpointStore(run).Latest()!);
        Assert.All(header.Tensors.Where(t => t.Name.StartsWith("encoder.", StringComparison.Ordinal)), t => Assert.Equal(ScalarType.Float32, t.DType));
    }

    [Fact]
    public void NonFiniteLoss_StopsTheRunNamingStepAndTerm_AndNoCheckpointHoldsNonFiniteValues()
    {
        var run = dir.File("diverged");
        // Adam moves every weight by about the learning rate on the first step: 1e30 overflows the next forward pass.
        using var trainer = new Trainer(Tiny(6) with { LearningRate = 1e30, CheckpointEvery = 1 }, run, data, null);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Matches(@"^training diverged at step \d+: non-finite (autoencoder|discriminator) (loss|gradient) \(\w+ = (NaN|-?Infinity|∞|-∞)", e.Message);
        Assert.Contains("learning rate", e.Message);
        var stopped = long.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"step (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(stopped - 1, trainer.Step);
        var saved = new CheckpointStore(run).List();
        Assert.All(saved, c => Assert.True(c.Step < stopped));
        foreach (var c in saved)
        {
            using var sd = Tessera.Checkpoints.SafeTensorsFile.Load(c.Path);
            foreach (var name in sd.Keys)
                if (sd[name].is_floating_point())
                    Assert.True(sd[name].isfinite().all().item<bool>(), $"{name} in {c.Path} is not finite");
        }
        // The weights in memory were never updated with the non-finite step either.
        Assert.All(trainer.Model.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
    }

    [Fact]
    public void Bf16Check_RefusesNonFiniteOrDistantResults_AndAcceptsBf16Rounding()
    {
        using var y = linspace(-1, 1, 1000);
        using var g = cos(linspace(0, 20, 5000));
        using var yBf16 = y.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
        using var gBf16 = g.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
        Assert.True(Bf16Check.Compare(y, yBf16, g, gBf16).Passed);

        using var yNan = yBf16.clone();
        yNan[3] = float.NaN;
        var nan = Bf16Check.Compare(y, yNan, g, gBf16);
        Assert.False(nan.Passed);
        Assert.Contains("NaN", nan.Failure);

        using var gNan = gBf16.clone();
        gNan[7] = float.PositiveInfinity;
        Assert.Contains("gradients", Bf16Check.Compare(y, yBf16, g, gNan).Failure);

        using var yFar = y * 1.2;
        Assert.Contains("reconstruction differs", Bf16Check.Compare(y, yFar, g, gBf16).Failure);
        using var gFar = g * 0.5;
        Assert.Contains("gradients differ", Bf16Check.Compare(y, yBf16, g, gFar).Failure);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KilledAndResumed_GivesTheSameLossCurve(bool evaluating)
    {
        // With evaluation at every checkpoint step the uninterrupted run evaluates (EMA weights swapped in and out)
        // right before the step the resumed run starts with: evaluation must leave no trace on training.
        var config = evaluating ? Tiny(8) with { EvalEvery = 3, EvalClips = 2 } : Tiny(8);
        var evalData = evaluating ? data : null;
        var whole = dir.File($"whole-{evaluating}");
        using (var trainer = new Trainer(config, whole, data, evalData))
            trainer.Run();

        var broken = dir.File($"broken-{evaluating}");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = new Trainer(config, broken, data, evalData))
            // Stop after step 5: the newest checkpoint is step 3, so steps 4 and 5 are lost and redone.
            Assert.Throws<OperationCanceledException>(() => trainer.Run(new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); }), cancel.Token));
        Assert.Equal(3, new CheckpointStore(broken).List()[^1].Step);
        // Cancellation throws between steps, never inside a checkpoint write: no temporary is left.
        Assert.Empty(Directory.EnumerateFiles(broken, "*.tmp", SearchOption.AllDirectories));
        using (var trainer = new Trainer(config, broken, data, evalData))
            trainer.Run();

        if (evaluating)
        {
            // Held-out PSNR, SSIM and the share of chroma kept, at steps 0, 3 and 6.
            var eval = File.ReadAllLines(Path.Combine(broken, "eval_log.csv"));
            Assert.Equal("step,psnr,ssim,chroma", eval[0]);
            Assert.Equal(["0", "3", "6"], eval.Skip(1).Select(l => l.Split(',')[0]));
            Assert.All(Column(Path.Combine(broken, "eval_log.csv"), "chroma"), c => Assert.InRange(c, 0.0, 10.0));
        }
        foreach (var column in new[] { "total", "rec", "disc_loss", "aux_loss", "logits_real" })
        {
            var a = Column(Path.Combine(whole, "train_log.csv"), column);
            var b = Column(Path.Combine(broken, "train_log.csv"), column);
            Assert.Equal(8, b.Length);
            for (var i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6 * Math.Max(1, Math.Abs(a[i])), $"{column} at step {i + 1}: {a[i]} vs {b[i]}");
        }
    }

    [Fact]
    public void FixEncoder_LeavesEncoderBitIdentical()
    {
        var stage1 = dir.File("stage1");
        using (var trainer = new Trainer(Tiny(3), stage1, data, null)) trainer.Run();
        var init = new CheckpointStore(stage1).Latest()!;

        var stage2 = dir.File("stage2");
        using var before = new VidTokModel(TinyModels.Config(VidTokFamily.CausalV1_1));
        VidTokWeights.Load(before, init);
        using (var trainer = new Trainer(Tiny(4) with { InitFrom = init, FixEncoder = true, Clip = new ClipSpec { Frames = 5, Fps = 5, Size = 40 } }, stage2, data, null))
        {
            trainer.Run();
            var after = ((VidTokModel)trainer.Model).Encoder.state_dict();
            foreach (var (name, t) in before.Encoder.state_dict())
                Assert.True(t.equal(after[name]).all().item<bool>(), $"encoder.{name} changed");
            Assert.False(before.Decoder.state_dict()["conv_out.conv.weight"].equal(((VidTokModel)trainer.Model).Decoder.state_dict()["conv_out.conv.weight"]).all().item<bool>());
        }
    }

    private sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
