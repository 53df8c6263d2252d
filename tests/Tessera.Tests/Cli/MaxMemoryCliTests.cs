using System.Diagnostics;
using System.Globalization;
using Tessera.Inference;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;
using Xunit.Abstractions;

namespace Tessera.Tests.Cli;

/// <summary>
/// --max-memory through the real binary: the plan is printed before the work, the process stays within the budget, and a
/// budget below the smallest plan is refused before anything is written.
/// </summary>
[DisposeScopePerTest]
public sealed class MaxMemoryCliTests(ITestOutputHelper log)
{
    [Fact]
    public void ABudget_PrintsThePlan_AndThePeakStaysUnderIt()
    {
        if (!OperatingSystem.IsLinux()) return; // VmHWM comes from /proc
        using var dir = new TempDir();
        var model = TinyModel(dir);
        var input = Video(dir, frames: 9, size: 64);
        // Just enough for whole frames with the planner's headroom: the process must stay under the budget, so the cost
        // model's error on this point (not one it was fitted on: another model, 9 frames, 1 thread) must be under 10%.
        long budget;
        using (var tokenizer = VideoTokenizer.Load(model))
        {
            var request = new MemoryPlanner.Request(MemoryPass.Reconstruct, tokenizer.Footprint!, tokenizer.Card, true, true, (64, 64), 9);
            budget = (long)(MemoryPlanner.Evaluate(request, null, 16).PredictedBytes / MemoryCost.Headroom) + (1 << 20);
        }
        var output = dir.File("out.mkv");
        var (peak, stderr) = Run(dir, "reconstruct", input, "-m", model, "-o", output, "--threads", "1",
            "--max-memory", budget.ToString(CultureInfo.InvariantCulture));
        log.WriteLine(stderr);
        log.WriteLine($"budget {budget >> 20} MiB, peak {peak >> 20} MiB");
        var planLine = stderr.Split('\n').Single(l => l.StartsWith("memory plan for", StringComparison.Ordinal));
        Assert.Contains("whole frames", planLine);
        Assert.Contains("predicted peak", planLine);
        Assert.True(stderr.IndexOf(planLine, StringComparison.Ordinal) < stderr.IndexOf("encoding", StringComparison.Ordinal), "the plan came after the work started");
        Assert.True(peak <= budget, $"peak {peak >> 20} MiB above the budget {budget >> 20} MiB");
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void ABudgetBelowTheSmallestPlan_IsRefused_NamingBoth()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        var input = Video(dir, frames: 5, size: 128);
        var tokens = dir.File("tokens.safetensors");
        foreach (var args in new[]
        {
            new[] { "encode", input, "-m", model, "-o", tokens },
            ["reconstruct", input, "-m", model, "-o", dir.File("out.mkv")],
        })
        {
            var r = CliRunner.Run([.. args, "--max-memory", "50M"]);
            Assert.Equal(2, r.ExitCode);
            var message = r.Error.Trim().Split('\n')[^1];
            Assert.Contains("--max-memory 50 MiB is below the smallest plan", message);
            Assert.Matches(@"need about \d+ MiB", message);
        }
        Assert.False(File.Exists(tokens));
        Assert.False(File.Exists(dir.File("out.mkv")));

        var bad = CliRunner.Run("encode", input, "-m", model, "-o", tokens, "--max-memory", "lots");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--max-memory must be a size", bad.Error);
    }

    [Fact]
    public void Decode_PlansFromTheTokenFile()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        var input = Video(dir, frames: 5, size: 128);
        var tokens = dir.File("tokens.safetensors");
        Assert.Equal(0, CliRunner.Run("encode", input, "-m", model, "-o", tokens).ExitCode);
        var r = CliRunner.Run("decode", tokens, "-o", dir.File("out.mkv"), "--max-memory", "8G", "--tile", "64");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("memory plan for 8.00 GiB (128x128 frames): 64x64 tiles, 16 px overlap, 9 tiles per frame, chunks of 16 frames", r.Error);
    }

    private static (long Peak, string Stderr) Run(TempDir dir, params string[] args)
    {
        var peakFile = dir.File("peak");
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Tessera.Cli"), args)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            Environment = { ["TESSERA_PEAK_MEMORY_FILE"] = peakFile, ["OMP_NUM_THREADS"] = "1" },
        };
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("still running after 3 minutes");
        }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{stderr.Result}\n{stdout.Result}");
        return (long.Parse(File.ReadAllText(peakFile).Trim(), CultureInfo.InvariantCulture), stderr.Result);
    }

    private static string TinyModel(TempDir dir)
    {
        var path = dir.File("tiny.safetensors");
        using var m = TinyModels.Model(VidTokFamily.CausalV1_1);
        VidTokWeights.Save(path, m);
        return path;
    }

    private static string Video(TempDir dir, int frames, int size)
    {
        var path = dir.File($"input-{frames}.mkv");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", $"testsrc2=size={size}x{size}:rate=8", "-frames:v", frames.ToString(CultureInfo.InvariantCulture),
            "-c:v", "ffv1", path);
        return path;
    }
}
