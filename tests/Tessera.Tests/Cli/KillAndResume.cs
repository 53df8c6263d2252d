using System.Diagnostics;
using System.Globalization;
using Tessera.Training;

namespace Tessera.Tests.Cli;

/// <summary>
/// The kill-and-resume check every trainable family passes through the CLI: a run trained without interruption, and the
/// same run SIGKILLed once its first checkpoint exists and then continued with <c>--resume</c>, log the same loss at
/// every step. Every run is pinned to one thread: float sums depend on the thread count, and the in-process runs would
/// otherwise inherit whatever count an earlier in-process command left on the test's thread (OpenMP keeps it per thread).
/// </summary>
internal static class KillAndResume
{
    /// <summary>Runs both and asserts the loss curves agree; returns the two runs' outputs (stderr) for further checks.</summary>
    public static (CliResult Whole, CliResult Resumed) AssertSameLossCurve(TempDir dir, string config, string videos, int maxSteps)
    {
        var reference = dir.File("reference");
        var whole = CliRunner.Run("train", "-c", config, "--data", videos, "-o", reference, "--threads", "1");
        Assert.True(whole.ExitCode == 0, whole.Error);

        var killed = dir.File("killed");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll"), "train", "-c", config, "--data", videos, "-o", killed, "--threads", "1" })
            info.ArgumentList.Add(arg);
        using (var p = Process.Start(info)!)
        {
            p.ErrorDataReceived += (_, _) => { };
            p.OutputDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            var store = new CheckpointStore(killed);
            var watch = Stopwatch.StartNew();
            while (store.List().Count == 0 && !p.HasExited && watch.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(50);
            if (!p.HasExited) p.Kill(entireProcessTree: true);   // SIGKILL
            p.WaitForExit();
        }
        Assert.True(new CheckpointStore(killed).List()[^1].Step < maxSteps, "the run finished before it could be killed");
        var resumed = CliRunner.Run("train", "-c", config, "--data", videos, "-o", killed, "--resume", "--threads", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resumed from", resumed.Error);

        var a = Totals(reference);
        var b = Totals(killed);
        Assert.Equal(maxSteps, a.Length);
        Assert.Equal(a.Length, b.Length);
        for (var i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6 * Math.Max(1, Math.Abs(a[i])), $"step {i + 1}: {a[i]} vs {b[i]}");
        return (whole, resumed);
    }

    /// <summary>The total loss per logged step of a run's train_log.csv.</summary>
    public static double[] Totals(string run) => File.ReadAllLines(Path.Combine(run, "train_log.csv")).Skip(1)
        .Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
}
