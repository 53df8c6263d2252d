using System.Diagnostics;
using Tessera.Dataset;
using Tessera.Tests.Cli;
using Tessera.Tests.Video;

namespace Tessera.Tests.Dataset;

/// <summary>A fact skipped (with the reason) where Slurm's commands or root (to start a local cluster) are missing.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        var missing = new[] { "sbatch", "squeue", "slurmctld", "slurmd", "munged" }.Where(t => SlurmArrayTests.Which(t) is null).ToArray();
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux for a local Slurm cluster";
        else if (missing.Length > 0) Skip = $"needs Slurm and munge on PATH (missing: {string.Join(", ", missing)}; apt-get install slurmctld slurmd slurm-client munge, as .ci/run does)";
        else if (Environment.UserName != "root") Skip = "needs root to start a local Slurm cluster (scripts/slurm-local.sh)";
    }
}

/// <summary>The repository's Slurm array script runs the 4 shards of a plan on a single-node cluster; merge verifies them.</summary>
[DisposeScopePerTest]
public sealed class SlurmArrayTests
{
    internal static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"]).Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    [SlurmFact]
    public void FourTaskJobArray_EncodesEveryShard_MergeVerifies()
    {
        var repo = TestPaths.RepoRoot ?? throw new InvalidOperationException("repository root not found");
        using var dir = new TempDir();
        var cluster = Directory.CreateDirectory(dir.File("slurm")).FullName;
        var model = DatasetFixture.TinyModel(dir);
        var videos = Directory.CreateDirectory(dir.File("videos")).FullName;
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10", "-frames:v", "40", "-c:v", "ffv1", Path.Combine(videos, "a.mkv"));
        var plan = dir.File("plan");
        var output = dir.File("out");
        Assert.Equal(0, CliRunner.Run("dataset", "plan", videos, "--shards", "4", "--frames", "5", "-o", plan).ExitCode);

        var started = Shell("bash", Path.Combine(repo, "scripts", "slurm-local.sh"), "start", cluster);
        try
        {
            Assert.True(started.Code == 0, started.Output);
            var conf = Path.Combine(cluster, "slurm.conf");
            var submit = Shell(Which("sbatch")!, ["--parsable", "--array=0-3", $"--output={cluster}/task-%a.log",
                $"--export=ALL,SLURM_CONF={conf},PLAN={plan},MODEL={model},OUT={output},TESSERA={Path.Combine(AppContext.BaseDirectory, "Tessera.Cli")}",
                Path.Combine(repo, "deploy", "dataset-slurm-array.sh")], conf);
            Assert.True(submit.Code == 0, submit.Output);
            var job = submit.Output.Trim().Split(';')[0];
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            while (Shell(Which("squeue")!, ["-h", "-j", job], conf).Output.Trim().Length > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"job array {job} still queued or running after 5 minutes");
                Thread.Sleep(500);
            }
            var logs = string.Join("\n", Directory.EnumerateFiles(cluster, "task-*.log").Order().Select(f => $"{Path.GetFileName(f)}: {File.ReadAllText(f)}"));
            for (var s = 0; s < 4; s++) Assert.True(File.Exists(Path.Combine(output, ShardFiles.Marker(s))), $"shard {s} has no marker; task logs:\n{logs}");
            var merged = CliRunner.Run("dataset", "merge", output);
            Assert.True(merged.ExitCode == 0, merged.Error);
            Assert.Contains("4 shards verified: 8 clips", merged.Out);
        }
        finally
        {
            Shell("bash", Path.Combine(repo, "scripts", "slurm-local.sh"), "stop", cluster);
        }
    }

    private static (int Code, string Output) Shell(string exe, params string[] args) => Shell(exe, args, null);

    private static (int Code, string Output) Shell(string exe, string[] args, string? slurmConf)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (slurmConf is not null) start.Environment["SLURM_CONF"] = slurmConf;
        using var p = Process.Start(start)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), $"{exe} still running after 2 minutes");
        return (p.ExitCode, o.Result + e.Result);
    }
}
