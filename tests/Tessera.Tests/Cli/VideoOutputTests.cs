namespace Tessera.Tests.Cli;

/// <summary>Where decode and reconstruct may write: a frame folder must say it is one with a trailing '/'.</summary>
[DisposeScopePerTest]
public sealed class VideoOutputTests
{
    [Fact]
    public void FrameFolderWithoutSlash_IsAUsageErrorThatSaysHowToFixIt()
    {
        using var dir = new TempDir();
        var output = dir.File("frames");
        var r = CliRunner.Run("reconstruct", TestPaths.Fixture("VidTok", "v1_0_fsq_ckpt", "frames"), "-o", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"give a folder ending in '/' ('{output}/')", r.Error);
        Assert.Empty(dir.Entries());
    }
}
