using System.Diagnostics;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tests.Video;

namespace Tessera.Tests.Hostile;

/// <summary>The tessera process stops promptly on SIGINT/SIGTERM mid-encode: exit 130/143, no output, no temporary.</summary>
[DisposeScopePerTest]
public sealed class SignalTests
{
    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void Signal_DuringEncode_StopsPromptlyWithoutOutput(string signal, int expected)
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        var model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(model, m);
        var input = dir.File("long.mp4");
        // 30,000 frames: the encode must still be running when the signal lands, however long a loaded machine takes
        // to start `kill` (with 1,500 frames a fast CPU finished first and exited 0).
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25:duration=1200", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", input);
        var output = dir.File("out.safetensors");
        var exe = Path.Combine(AppContext.BaseDirectory, "Tessera.Cli");
        // A process started in the background by a non-interactive shell (nohup ... &) inherits SIGINT ignored, and so
        // does every child, and .NET keeps an ignored SIGINT ignored as a shell expects: reset it for the child.
        var start = new ProcessStartInfo("env", ["--default-signal=INT", exe, "encode", input, "-m", model, "-o", output, "--chunk", "4", "--size", "64"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(start)!;
        _ = p.StandardOutput.ReadToEndAsync();
        string? line;
        var seen = new List<string>();
        while ((line = p.StandardError.ReadLine()) is not null && !line.StartsWith("encoding", StringComparison.Ordinal)) seen.Add(line);
        Assert.True(line is not null, string.Join('\n', seen));
        Thread.Sleep(500);
        using (var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        // The bound is generous because the suite runs test collections in parallel on 2 cores; what separates a
        // handled signal from an ignored one is the exit code and the missing output (an ignored SIGINT lets the
        // encode finish with exit 0 and write its file), not seconds.
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(120)), "still running 120 s after the signal");
        Assert.Equal(expected, p.ExitCode);
        Assert.False(File.Exists(output));
        Assert.DoesNotContain(dir.Entries(), e => e.Contains(".tmp", StringComparison.Ordinal));
    }
}
