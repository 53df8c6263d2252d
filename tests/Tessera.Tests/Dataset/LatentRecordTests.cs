using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Checkpoints;
using Tessera.Dataset;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>
/// Latent records of a KL model: posterior mean with its log-variance, a seeded posterior sample, the scaling factor of the
/// normalisation, statistics of a plan and of shards, the statistics in a model file and in a diffusers-shaped config.
/// </summary>
[DisposeScopePerTest]
public sealed class LatentRecordTests
{
    [Fact]
    public void Posterior_LogVar_ScalingFactor_ModelStatistics_AndDiffusersConfig()
    {
        using var dir = new TempDir();
        var model = DatasetFixture.TinyModel(dir, fsq: false);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10", "-frames:v", "10", "-c:v", "ffv1", Path.Combine(videos, "a.mkv"));
        var plan = dir.File("plan");
        Assert.Equal(0, CliRunner.Run("dataset", "plan", videos, "--shards", "1", "--frames", "5", "-o", plan).ExitCode);
        string[] Encode(string o, params string[] more) => ["dataset", "encode", plan, "--shard", "0", "-m", model, "-o", dir.File(o), "--threads", "1", .. more];

        // Posterior mean with the log-variance beside it.
        var raw = CliRunner.Run(Encode("raw", "--logvar"));
        Assert.True(raw.ExitCode == 0, raw.Error);
        var (rawRecord, rawFile) = FirstSample(dir.File("raw"));
        Assert.Equal("mean", rawRecord["posterior"]!.GetValue<string>());
        Assert.True(rawRecord["logvar"]!.GetValue<bool>());
        Assert.Equal(1.0, rawRecord["scaling_factor"]!.GetValue<double>());
        using (var mean = SafeTensorsFile.Load(rawFile))
            Assert.Equal(mean["latents"].shape, mean["logvar"].shape);
        Assert.True(CliRunner.Run("decode", rawFile, "-m", model, "-o", dir.File("raw.mp4")).ExitCode == 0, "a token file with logvar still decodes");

        // A seeded sample: mean + σ·ε, ε standard normal, the same for the same seed and key.
        var sampled = CliRunner.Run(Encode("sample", "--posterior", "sample", "--seed", "3"));
        Assert.True(sampled.ExitCode == 0, sampled.Error);
        var (sampleRecord, sampleFile) = FirstSample(dir.File("sample"));
        Assert.Equal("sample", sampleRecord["posterior"]!.GetValue<string>());
        Assert.Equal(3, sampleRecord["seed"]!.GetValue<long>());
        Assert.Equal(ShardEncoding.ClipSeed(3, sampleRecord["key"]!.GetValue<string>()), sampleRecord["sample_seed"]!.GetValue<ulong>());
        using (var m = SafeTensorsFile.Load(rawFile))
        using (var s = SafeTensorsFile.Load(sampleFile))
        {
            var eps = (s["latents"] - m["latents"]) / (0.5 * m["logvar"]).exp();
            var meanSquare = eps.square().mean().item<float>();
            Assert.InRange(meanSquare, 0.5, 1.5);
            Assert.Equal("sample", s.Metadata["posterior"]);
        }
        Assert.Equal(2, CliRunner.Run(Encode("bad", "--posterior", "mode")).ExitCode);
        Assert.Equal(3, CliRunner.Run(Encode("bad", "--posterior", "sample", "--logvar")).ExitCode);

        // Statistics of the shards and of the plan (its clips encoded on the fly) agree; the model file gets them.
        var stats = CliRunner.Run("stats", dir.File("raw"), "-o", dir.File("stats.json"), "-m", model, "--write-model", dir.File("with-stats.safetensors"), "--scaling-factor", "0.5");
        Assert.True(stats.ExitCode == 0, stats.Error);
        var fromPlan = CliRunner.Run("stats", plan, "-m", model, "--threads", "1");
        Assert.True(fromPlan.ExitCode == 0, fromPlan.Error);
        Assert.Equal(stats.Out.Split('\n').Where(l => l.StartsWith("channel", StringComparison.Ordinal)), fromPlan.Out.Split('\n').Where(l => l.StartsWith("channel", StringComparison.Ordinal)));
        var statistics = LatentStatistics.Load(dir.File("stats.json"));
        var meta = SafeTensorsFile.ReadHeader(dir.File("with-stats.safetensors")).Metadata;
        Assert.Equal(statistics.Mean, JsonSerializer.Deserialize<double[]>(meta["latents_mean"]));
        Assert.Equal(statistics.Std, JsonSerializer.Deserialize<double[]>(meta["latents_std"]));
        Assert.Equal("0.5", meta["scaling_factor"]);
        using (var a = SafeTensorsFile.Load(model))
        using (var b = SafeTensorsFile.Load(dir.File("with-stats.safetensors")))
            Assert.All(a.Keys, k => Assert.True(a[k].eq(b[k]).all().item<bool>(), k));
        Assert.False(SafeTensorsFile.ReadHeader(model).Metadata.ContainsKey("latents_mean"));
        Assert.Equal(2, CliRunner.Run("stats", dir.File("raw"), "-m", model, "--write-model", model).ExitCode);

        var config = CliRunner.Run("dataset", "export-config", "-m", dir.File("with-stats.safetensors"), "-o", dir.File("config.json"));
        Assert.True(config.ExitCode == 0, config.Error);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        Assert.Equal(statistics.Mean, json["latents_mean"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(statistics.Std, json["latents_std"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(0.5, json["scaling_factor"]!.GetValue<double>());
        Assert.Equal(4, json["latent_channels"]!.GetValue<int>());
        Assert.Equal(4, json["temporal_compression_ratio"]!.GetValue<int>());
        Assert.Equal(8, json["spatial_compression_ratio"]!.GetValue<int>());
        Assert.StartsWith("AutoencoderKL", json["_class_name"]!.GetValue<string>());

        // z_norm = (z − mean) · scaling_factor / std: mean 0 and std = scaling_factor over the data set; the log-variance
        // moves with it (σ scales by scaling_factor / std).
        var norm = CliRunner.Run(Encode("norm", "--normalize", dir.File("stats.json"), "--scaling-factor", "0.5", "--logvar"));
        Assert.True(norm.ExitCode == 0, norm.Error);
        var normalized = LatentStatistics.Of(dir.File("norm"));
        Assert.All(normalized.Mean, v => Assert.InRange(v, -1e-5, 1e-5));
        Assert.All(normalized.Std, v => Assert.InRange(v, 0.5 - 1e-4, 0.5 + 1e-4));
        var (normRecord, normFile) = FirstSample(dir.File("norm"));
        Assert.Equal(0.5, normRecord["scaling_factor"]!.GetValue<double>());
        Assert.Equal(SampleRecord.NormalizationFormula, normRecord["normalization"]!.GetValue<string>());
        using (var m = SafeTensorsFile.Load(rawFile))
        using (var n = SafeTensorsFile.Load(normFile))
        {
            var expected = m["logvar"][0] + 2 * Math.Log(0.5 / statistics.Std[0]);
            Assert.True(n["logvar"][0].allclose(expected, rtol: 1e-5, atol: 1e-5));
            Assert.Equal("0.5", n.Metadata["scaling_factor"]);
        }
        var mixed = CliRunner.Run(Encode("norm", "--normalize", dir.File("stats.json"), "--logvar"));
        Assert.Equal(3, mixed.ExitCode);
        Assert.Contains("scaling_factor=0.5", mixed.Error);
    }

    private static (JsonNode Record, string File) FirstSample(string folder)
    {
        var samples = DatasetFixture.Samples(folder);
        var first = samples.Keys.First(k => k.EndsWith(".safetensors", StringComparison.Ordinal));
        var file = Path.Combine(folder, "sample-" + first);
        File.WriteAllBytes(file, samples[first]);
        return (JsonNode.Parse(samples[first.Replace(".safetensors", ".json", StringComparison.Ordinal)])!, file);
    }
}
