using System.Diagnostics;
using Tessera.Dataset;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>A shard killed with SIGKILL mid-way and rerun ends byte-identical to an uninterrupted run; merge catches corruption.</summary>
[DisposeScopePerTest]
public sealed class ShardResumeTests
{
    [Fact]
    public void KilledShard_Rerun_IsByteIdentical_FinishedShard_IsNotRedone_CorruptTar_FailsMerge()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        var model = DatasetFixture.TinyModel(dir);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10", "-frames:v", "100", "-c:v", "ffv1", Path.Combine(videos, "a.mkv"));
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=32x32:rate=10", "-frames:v", "50", "-c:v", "ffv1", Path.Combine(videos, "b.mkv"));
        var plan = dir.File("plan");
        Assert.Equal(0, CliRunner.Run("dataset", "plan", videos, "--shards", "1", "--frames", "5", "-o", plan).ExitCode);
        Assert.Equal(30, DatasetPlan.Load(plan).Clips.Count);
        string[] Encode(string o) => ["dataset", "encode", plan, "--shard", "0", "-m", model, "-o", o, "--max-count", "4", "--threads", "1"];

        var whole = dir.File("whole");
        var uninterrupted = DatasetFixture.Run(Encode(whole));
        Assert.True(uninterrupted.Code == 0, uninterrupted.Error);

        var resumed = dir.File("resumed");
        using (var p = Process.Start(DatasetFixture.Tessera(Encode(resumed)))!)
        {
            _ = p.StandardOutput.ReadToEndAsync();
            string? line;
            while ((line = p.StandardError.ReadLine()) is not null && !line.StartsWith("shard 0: 6/", StringComparison.Ordinal)) { }
            Assert.NotNull(line);
            p.Kill(); // SIGKILL: no handler runs
            p.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(resumed, ShardFiles.Marker(0))), "the kill came after the shard finished");
        Assert.True(Directory.Exists(Path.Combine(resumed, ShardFiles.Work(0))));
        var rerun = DatasetFixture.Run(Encode(resumed));
        Assert.True(rerun.Code == 0, rerun.Error);
        Assert.Contains("from an earlier run", rerun.Out);
        Assert.DoesNotContain(" 0 from an earlier run", rerun.Out);

        var expected = DatasetFixture.Outputs(whole);
        var actual = DatasetFixture.Outputs(resumed);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
        Assert.Equal(8, Directory.EnumerateFiles(resumed, "*.tar").Count());
        Assert.Empty(Directory.EnumerateFileSystemEntries(resumed, ".*"));

        // A finished shard is left alone.
        var before = File.GetLastWriteTimeUtc(Path.Combine(resumed, ShardFiles.Tar(0, 0)));
        var again = DatasetFixture.Run(Encode(resumed));
        Assert.Equal(0, again.Code);
        Assert.Contains("already done", again.Out);
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(resumed, ShardFiles.Tar(0, 0))));

        Assert.Equal(0, CliRunner.Run("dataset", "merge", resumed).ExitCode);
        var tar = Path.Combine(resumed, ShardFiles.Tar(0, 3));
        var bytes0 = File.ReadAllBytes(tar);
        bytes0[700] ^= 0x01;
        File.WriteAllBytes(tar, bytes0);
        File.Delete(Path.Combine(resumed, DatasetSummary.FileName));
        var corrupt = CliRunner.Run("dataset", "merge", resumed);
        Assert.Equal(3, corrupt.ExitCode);
        Assert.Contains($"shard 0: {ShardFiles.Tar(0, 3)} is corrupt", corrupt.Error);
        Assert.False(File.Exists(Path.Combine(resumed, DatasetSummary.FileName)));
    }
}
