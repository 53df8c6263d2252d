using Tessera.Cli;
using Tessera.Models.VidTok;
using Tessera.Tests.Inference;
using Tessera.Tokens;

namespace Tessera.Tests.Cli;

/// <summary>--size is width x height, as video tools write it; a single number is the short side (square crop).</summary>
[DisposeScopePerTest]
public sealed class SizeOptionTests
{
    [Theory]
    [InlineData("1280x720", 720, 1280)]
    [InlineData("32X16", 16, 32)]
    [InlineData("256", 256, 256)]
    public void ParseSize_ReadsWidthFirst(string text, int height, int width) =>
        Assert.Equal((height, width), CommonOptions.ParseSize(text));

    [Fact]
    public void Encode_NonSquareSize_IsWidthByHeight_AndSaysSoFirst()
    {
        using var dir = new TempDir();
        var model = dir.File("tiny.safetensors");
        using (var m = TinyModels.Model(VidTokFamily.CausalV1_1)) VidTokWeights.Save(model, m);
        var tokens = dir.File("t.safetensors");
        var r = CliRunner.Run("encode", TestPaths.Fixture("VidTok", "v1_0_fsq_ckpt", "frames"), "-m", model, "--size", "32x16", "-o", tokens);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.StartsWith("resizing to 32x16 (width x height)", r.Error);
        Assert.Equal((16, 32), TokenFile.ReadInfo(tokens).ProcessedSize);
        Assert.Contains("of 32x16", r.Error);
    }
}
