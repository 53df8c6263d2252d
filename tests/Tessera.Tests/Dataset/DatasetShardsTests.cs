using System.Diagnostics;
using System.Text.Json;
using Tessera.Dataset;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>
/// The whole dataset workflow through the real tessera binary: plan, shards encoded by concurrent processes (the shard
/// index from --shard and from the Kubernetes and Slurm variables), merge, a 1-shard run giving the same samples.
/// </summary>
[DisposeScopePerTest]
public sealed class DatasetShardsTests
{
    [SharedFact("data/clips")]
    public void FourConcurrentShards_Merge_AndOneShard_GiveTheSameSamples()
    {
        using var dir = new TempDir();
        var model = DatasetFixture.TinyModel(dir);
        var videos = DatasetFixture.Videos(dir, real: true);
        var plan4 = dir.File("plan4");
        var plan1 = dir.File("plan1");
        var r = CliRunner.Run("dataset", "plan", videos, "--shards", "4", "--fps", "10", "--size", "32", "--frames", "5", "--stride", "4", "-o", plan4);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("broken.mp4", r.Error);
        Assert.Equal(0, CliRunner.Run("dataset", "plan", videos, "--shards", "1", "--fps", "10", "--size", "32", "--frames", "5", "--stride", "4", "-o", plan1).ExitCode);
        var plan = DatasetPlan.Load(plan4);
        Assert.Equal(4, plan.Videos.Count);
        Assert.Single(plan.Unreadable);
        Assert.True(plan.Clips.Count >= 8, $"{plan.Clips.Count} clips");
        Assert.True(plan.ShardFrames.Max() - plan.ShardFrames.Min() <= 5, string.Join(",", plan.ShardFrames));
        Assert.All(Enumerable.Range(0, 4), s => Assert.Contains(plan.Clips, c => c.Shard == s));

        var out4 = dir.File("out4");
        string[] Common(string p, string o) => ["dataset", "encode", p, "-m", model, "-o", o, "--max-count", "2", "--threads", "1"];
        var processes = new[]
        {
            Process.Start(DatasetFixture.Tessera([.. Common(plan4, out4), "--shard", "0"]))!,
            Process.Start(DatasetFixture.Tessera([.. Common(plan4, out4), "--shard", "1"]))!,
            Process.Start(DatasetFixture.Tessera(Common(plan4, out4), new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "2" }))!,
            Process.Start(DatasetFixture.Tessera(Common(plan4, out4), new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "3" }))!,
        };
        var results = processes.Select(DatasetFixture.Wait).ToArray();
        foreach (var (code, _, error) in results) Assert.True(code == 0, error);
        for (var s = 0; s < 4; s++) Assert.Contains($"shard {s}:", results[s].Out);
        var out1 = dir.File("out1");
        var one = DatasetFixture.Run([.. Common(plan1, out1), "--shard", "0"]);
        Assert.True(one.Code == 0, one.Error);

        var merged = CliRunner.Run("dataset", "merge", out4);
        Assert.True(merged.ExitCode == 0, merged.Error);
        Assert.Contains("4 shards verified", merged.Out);
        Assert.Equal(0, CliRunner.Run("dataset", "merge", out1).ExitCode);

        // Every clip has the same token bytes and record whichever shard encoded it.
        var four = DatasetFixture.Samples(out4);
        var single = DatasetFixture.Samples(out1);
        Assert.Equal(plan.Clips.Count * 2, four.Count);
        Assert.Equal(single.Keys, four.Keys);
        foreach (var (name, bytes) in single) Assert.True(bytes.AsSpan().SequenceEqual(four[name]), name);

        var index = ShardIndexRow.Load(Path.Combine(out4, DatasetSummary.IndexName));
        Assert.Equal(plan.Clips.Count, index.Count);
        var row = index[0];
        var data = UstarArchive.Read(Path.Combine(out4, row.Tar), new TarMember(row.Key, row.Offset, row.Size));
        Assert.True(data.AsSpan().SequenceEqual(four[row.Key + ".safetensors"]));
        Assert.Equal("int32", row.DType);
        using var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(out4, DatasetSummary.FileName)));
        Assert.Equal(plan.Clips.Count, summary.RootElement.GetProperty("clips").GetInt32());
        Assert.Equal(index.Sum(x => x.Elements), summary.RootElement.GetProperty("tokens").GetInt64());
        var usage = summary.RootElement.GetProperty("codebook_usage")[0];
        Assert.InRange(usage.GetProperty("used").GetInt64(), 1, usage.GetProperty("codebook_size").GetInt64());
        Assert.Equal(4, summary.RootElement.GetProperty("throughput").GetArrayLength());

        // The samples decode as token files of their own.
        var sample = dir.File("sample.safetensors");
        File.WriteAllBytes(sample, data);
        var decoded = CliRunner.Run("decode", sample, "-m", model, "-o", dir.File("sample.mp4"));
        Assert.True(decoded.ExitCode == 0, decoded.Error);

        // A missing shard is named.
        File.Delete(Path.Combine(out4, ShardFiles.Marker(2)));
        var missing = CliRunner.Run("dataset", "merge", out4);
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("shard 2: missing", missing.Error);
    }
}
