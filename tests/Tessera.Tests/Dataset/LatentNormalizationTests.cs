using System.Text.Json;
using Tessera.Dataset;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>dataset stats on a KL model's latents, then encode --normalize: per-channel mean ≈ 0 and std ≈ 1, recorded in every sample.</summary>
[DisposeScopePerTest]
public sealed class LatentNormalizationTests
{
    [Fact]
    public void Stats_ThenNormalize_GivesZeroMeanUnitStd_RecordedInEverySample()
    {
        using var dir = new TempDir();
        var model = DatasetFixture.TinyModel(dir, fsq: false);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10", "-frames:v", "20", "-c:v", "ffv1", Path.Combine(videos, "a.mkv"));
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=32x32:rate=10", "-frames:v", "10", "-c:v", "ffv1", Path.Combine(videos, "b.mkv"));
        var plan = dir.File("plan");
        Assert.Equal(0, CliRunner.Run("dataset", "plan", videos, "--shards", "2", "--frames", "5", "-o", plan).ExitCode);
        foreach (var s in new[] { "0", "1" })
            Assert.Equal(0, CliRunner.Run("dataset", "encode", plan, "--shard", s, "-m", model, "-o", dir.File("raw")).ExitCode);
        var stats = CliRunner.Run("dataset", "stats", dir.File("raw"), "-o", dir.File("stats.json"));
        Assert.True(stats.ExitCode == 0, stats.Error);
        var raw = LatentStatistics.Load(dir.File("stats.json"));
        Assert.Equal(6, raw.Samples);
        Assert.Contains(raw.Mean, m => Math.Abs(m) > 1e-3);

        foreach (var s in new[] { "0", "1" })
        {
            var r = CliRunner.Run("dataset", "encode", plan, "--shard", s, "-m", model, "-o", dir.File("norm"), "--normalize", dir.File("stats.json"));
            Assert.True(r.ExitCode == 0, r.Error);
        }
        Assert.Equal(0, CliRunner.Run("dataset", "merge", dir.File("norm")).ExitCode);
        var printed = CliRunner.Run("dataset", "stats", dir.File("norm"));
        Assert.Equal(0, printed.ExitCode);
        Assert.Contains("channel 0: mean", printed.Out);
        var normalized = LatentStatistics.Of(dir.File("norm"));
        Assert.All(normalized.Mean, m => Assert.InRange(m, -1e-5, 1e-5));
        Assert.All(normalized.Std, s => Assert.InRange(s, 1 - 1e-4, 1 + 1e-4));

        var samples = DatasetFixture.Samples(dir.File("norm"));
        var record = JsonDocument.Parse(samples.First(kv => kv.Key.EndsWith(".json", StringComparison.Ordinal)).Value).RootElement;
        Assert.True(record.GetProperty("normalized").GetBoolean());
        Assert.Equal(raw.Std[0], record.GetProperty("latents_std")[0].GetDouble());
        var file = dir.File("sample.safetensors");
        File.WriteAllBytes(file, samples.First(kv => kv.Key.EndsWith(".safetensors", StringComparison.Ordinal)).Value);
        var meta = Tessera.Checkpoints.SafeTensorsFile.ReadHeader(file).Metadata;
        Assert.Equal("true", meta["normalized"]);
        Assert.Equal(raw.Mean[0], JsonSerializer.Deserialize<double[]>(meta["latents_mean"])![0]);

        // Discrete tokens have no channel statistics; normalising them is refused.
        var fsq = DatasetFixture.TinyModel(dir);
        var refused = CliRunner.Run("dataset", "encode", plan, "--shard", "0", "-m", fsq, "-o", dir.File("fsq"), "--normalize", dir.File("stats.json"));
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("continuous latents", refused.Error);
    }
}
