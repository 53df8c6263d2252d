using Tessera.Tests.Video;

namespace Tessera.Tests.Cli;

/// <summary>The model committed under models/ is what encode and reconstruct use without --model.</summary>
public sealed class BundledModelTests
{
    [Fact]
    public void Reconstruct_WithoutModel_UsesTheBundledModel()
    {
        using var dir = new TempDir();
        var input = dir.File("clip.mp4");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=80x64:rate=8:duration=2", "-pix_fmt", "yuv420p", input);
        var r = CliRunner.Run("reconstruct", input, "--size", "64");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("tessera_small_fsq_causal_488_4096", r.Out);
        Assert.Contains("16 frames", r.Out);
        Assert.Contains("PSNR", r.Out);
    }
}
