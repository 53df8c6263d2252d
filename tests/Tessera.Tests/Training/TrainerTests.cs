using System.Globalization;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;
using Tessera.Training;
using Tessera.Training.Data;
using static TorchSharp.torch;

namespace Tessera.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly VideoDataset data;

    public TrainerTests()
    {
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
        Prefetch = 1,
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
        using (var trainer = new Trainer(Tiny(60) with { Bf16 = true, CheckpointEvery = 60, Loss = new LossConfig { DiscNdf = 8, DiscStart = 40, PerceptualWeight = 0 } }, run, data, null))
            trainer.Run();
        var rec = Column(Path.Combine(run, "train_log.csv"), "rec");
        Assert.True(rec.TakeLast(10).Average() < 0.8 * rec.Take(10).Average(), $"L1 went from {rec.Take(10).Average():0.0000} to {rec.TakeLast(10).Average():0.0000}");
        var header = Tessera.Checkpoints.SafeTensorsFile.ReadHeader(new CheckpointStore(run).Latest()!);
        Assert.All(header.Tensors.Where(t => t.Name.StartsWith("encoder.", StringComparison.Ordinal)), t => Assert.Equal(ScalarType.Float32, t.DType));
    }

    [Fact]
    public void KilledAndResumed_GivesTheSameLossCurve()
    {
        var whole = dir.File("whole");
        using (var trainer = new Trainer(Tiny(8), whole, data, null))
            trainer.Run();

        var broken = dir.File("broken");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = new Trainer(Tiny(8), broken, data, null))
            // Stop after step 5: the newest checkpoint is step 3, so steps 4 and 5 are lost and redone.
            trainer.Run(cancel.Token, new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); }));
        Assert.Equal(3, new CheckpointStore(broken).List()[^1].Step);
        using (var trainer = new Trainer(Tiny(8), broken, data, null))
            trainer.Run();

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
            var after = trainer.Model.Encoder.state_dict();
            foreach (var (name, t) in before.Encoder.state_dict())
                Assert.True(t.equal(after[name]).all().item<bool>(), $"encoder.{name} changed");
            Assert.False(before.Decoder.state_dict()["conv_out.conv.weight"].equal(trainer.Model.Decoder.state_dict()["conv_out.conv.weight"]).all().item<bool>());
        }
    }

    private sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
